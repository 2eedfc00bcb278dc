"""Crawl files as researchers really hand them over (issue "Real crawls from the wild", items 2, 3, 5):
every encoding Excel and editors save, reject payloads that never carry a person, and note ids that
survive only in ``note_url``."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from rednote_dagster.lib.pseudonym import Pseudonymizer
from rednote_dagster.lib.xhs.ingest import ingest_entity
from rednote_dagster.lib.xhs.normalize import REJECT_FIELDS
from rednote_dagster.lib.xhs.readers import decode, read_csv, read_json_array, read_jsonl
from tests.xhs_samples import comment, creator, hex_id, note, write_csv, write_json, write_jsonl, write_xlsx

MONTH = dt.date(2025, 1, 1)
KEY = Pseudonymizer("real-world-key")
FFFD = "\ufffd"


def ingest(month, entity="note"):
    return ingest_entity(month, MONTH, entity, KEY)


def conserved(result) -> None:
    for row in result.log.to_pylist():
        assert row["records_read"] == row["accepted"] + row["rejected"] + row["duplicates"], row


def stored_text(result) -> str:
    return json.dumps(result.rows.to_pylist(), ensure_ascii=False, default=str) + json.dumps(
        result.rejects.to_pylist(), ensure_ascii=False, default=str
    )


# --- 1. encodings -------------------------------------------------------------------------------

CHINESE = "美国网友来小红书了 #TikTok难民[话题]#"
GB18030_ONLY = "𠮷€"  # not in GBK: GB18030's four-byte forms


def csv_bytes(records: list[dict], encoding: str) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=list(records[0]))
    writer.writeheader()
    writer.writerows(records)
    return buf.getvalue().encode(encoding)


def json_bytes(records: list[dict], encoding: str) -> bytes:
    return json.dumps(records, ensure_ascii=False, indent=4).encode(encoding)


def jsonl_bytes(records: list[dict], encoding: str) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode(encoding)


ENCODED = {  # case: (extension, bytes maker, python codec, the encoding the reader reports, text)
    "utf8-bom-csv": ("csv", csv_bytes, "utf-8-sig", "utf-8-sig", CHINESE),
    "utf8-bom-jsonl": ("jsonl", jsonl_bytes, "utf-8-sig", "utf-8-sig", CHINESE),
    "utf8-bom-json": ("json", json_bytes, "utf-8-sig", "utf-8-sig", CHINESE),
    "utf16le-bom-csv": ("csv", csv_bytes, "utf-16", "utf-16-le", CHINESE),  # Excel's "Unicode Text"
    "utf16le-bom-jsonl": ("jsonl", jsonl_bytes, "utf-16", "utf-16-le", CHINESE),
    "utf16be-bom-json": ("json", lambda r, e: b"\xfe\xff" + json_bytes(r, "utf-16-be"), "-", "utf-16-be", CHINESE),
    "gbk-csv": ("csv", csv_bytes, "gbk", "gb18030", CHINESE),  # Excel on Chinese Windows
    "gbk-jsonl": ("jsonl", jsonl_bytes, "gbk", "gb18030", CHINESE),
    "gb18030-json": ("json", json_bytes, "gb18030", "gb18030", CHINESE + GB18030_ONLY),
    "gb18030-csv": ("csv", csv_bytes, "gb18030", "gb18030", CHINESE + GB18030_ONLY),
}


@pytest.mark.parametrize("case", list(ENCODED))
def test_every_encoding_is_decoded_without_loss(tmp_path, case):
    ext, make, codec, reported, text = ENCODED[case]
    records = [note(1, desc=text, ip_location="广东"), note(2, desc="second " + text)]
    data = make(records, codec)
    plain = {"csv": csv_bytes, "json": json_bytes, "jsonl": jsonl_bytes}[ext](records, "utf-8")
    assert data != plain  # the file really is not plain UTF-8
    path = tmp_path / f"xhs/{ext}/search_contents_2025-01-20.{ext}"
    path.parent.mkdir(parents=True)
    path.write_bytes(data)

    result = ingest(tmp_path)
    conserved(result)
    assert result.rejects.num_rows == 0, result.rejects.column("reason").to_pylist()
    rows = {r["note_id"]: r for r in result.rows.to_pylist()}
    assert rows[hex_id(1, "67890abc")]["description"] == text
    assert rows[hex_id(2, "67890abc")]["description"] == "second " + text
    assert rows[hex_id(1, "67890abc")]["ip_location"] == "广东"
    assert FFFD not in stored_text(result)
    assert result.file_details.column("encoding").to_pylist() == [reported]


def test_utf8_stays_on_the_fast_path():
    body = jsonl_bytes([note(1, desc=CHINESE)], "utf-8")
    out, encoding = decode(body)
    assert encoding == "utf-8" and out is body  # not decoded and re-encoded
    out, encoding = decode(b"\xef\xbb\xbf" + body)
    assert encoding == "utf-8-sig" and out == body


UNDECODABLE = {
    # UTF-8 with a BOM and a stray byte: a damaged UTF-8 file, never read as GBK
    "utf8-bom-with-bad-byte": ("jsonl", b"\xef\xbb\xbf" + jsonl_bytes([note(1)], "utf-8") + b'{"x": "\xff"}\n'),
    # neither UTF-8 nor GB18030 (0xff is no GB18030 lead byte; 0x80 is none either)
    "no-encoding-fits": ("csv", csv_bytes([note(1)], "utf-8") + b"\xff\x80\xff\n"),
    "json-array": ("json", json_bytes([note(1)], "utf-8")[:-2] + b"\x80\xff]"),
    # a UTF-16 BOM and an odd number of bytes / a lone surrogate
    "utf16-torn": ("json", b"\xff\xfe" + json_bytes([note(1)], "utf-16-le") + b"\x00\xd8"),
}


@pytest.mark.parametrize("case", list(UNDECODABLE))
def test_an_undecodable_file_is_rejected_whole_without_its_content(tmp_path, case):
    ext, data = UNDECODABLE[case]
    path = tmp_path / f"xhs/{ext}/search_contents_2025-01-20.{ext}"
    path.parent.mkdir(parents=True)
    path.write_bytes(data)

    result = ingest(tmp_path)
    conserved(result)
    [log] = result.log.to_pylist()
    assert (log["records_read"], log["accepted"], log["rejected"], log["duplicates"]) == (1, 0, 1, 0)
    [reject] = result.rejects.to_pylist()
    assert reject["reason"].startswith("cannot decode file: not UTF-8, UTF-16 or GB18030 (byte 0x")
    assert reject["record_index"] == 0
    payload = json.loads(reject["payload"])
    assert set(payload) == {"sha256", "length"} and payload["length"] == len(data)
    assert result.rows.num_rows == 0 and result.file_details.column("encoding").to_pylist() == ["undecodable"]


def test_the_offset_in_the_reason_is_the_first_bad_byte():
    data = b'{"a": 1}\n{"b": "\xff"}\n'
    [(index, reason, _)] = read_jsonl(data).rejects
    offset = data.index(b"\xff")
    assert reason.endswith(f"(byte 0xff at offset {offset})") and index == 0


# --- 2. rejects never carry a person ------------------------------------------------------------

USER = "5f3e2d1c0b9a887766554433"  # 24-hex, like a RedNote user id
NICK = "Zhangsan_Privacy_Test"
SHORT_NICK = "ZhangPT"  # short enough to be shown if a nickname field were ever allowed
AVATAR = "https://sns-avatar-qc.xhscdn.com/avatar/privacy_test_avatar_42.jpg"
BIO = "I live at 12 Privacy Lane, Springfield"
PLANTED = (USER, NICK, SHORT_NICK, AVATAR, BIO, "Zhangsan_Priv", "privacy_test_avatar", "Privacy Lane")
PERSON = {"user_id": USER, "nickname": SHORT_NICK, "avatar": AVATAR}
# keys that name or describe a person, or carry free text: never in a payload, whatever REJECT_FIELDS says
FORBIDDEN = {
    "user_id",
    "nickname",
    "avatar",
    "creator_hash",
    "desc",
    "title",
    "content",
    "note_url",
    "xsec_token",
    "image_list",
    "video_url",
    "tag_list",
    "pictures",
    "gender",
    "home_url",
}


def damaged_notes() -> list[dict]:
    return [
        note(1, **PERSON, liked="lots"),  # bad count
        note(2, **PERSON, time="yesterday"),  # bad epoch
        note(3, **PERSON, note_id=""),  # missing id (the sample's note_url has no 24-hex id)
        note(4, **PERSON, desc=f"{NICK} says hi", title=NICK, liked="x"),  # free text naming someone
        note(5, **PERSON, note_id=USER[:10]),  # malformed id
        note(6, **PERSON, last_modify_ts=NICK, liked_count=AVATAR, share_count=USER),  # slid into other fields
    ]


def build_damaged_month(month):
    write_json(month / "xhs/json/search_contents_2025-01-20.json", damaged_notes())
    # a JSON array holding non-objects, and one cut inside a record that names someone
    (month / "xhs/json/search_contents_2025-01-21.json").write_text(
        json.dumps([note(7), [USER, NICK], NICK, 42], ensure_ascii=False), encoding="utf-8"
    )
    cut = json.dumps([note(8), note(9, **{**PERSON, "nickname": NICK})], ensure_ascii=False, indent=4)
    (month / "xhs/json/search_contents_2025-01-22.json").write_text(
        cut[: cut.index("Zhangsan_Priv") + 13], encoding="utf-8"
    )
    # not an array at all; and data after the closing bracket
    (month / "xhs/json/search_contents_2025-01-23.json").write_text(f"{NICK} {AVATAR}", encoding="utf-8")
    (month / "xhs/json/search_contents_2025-01-24.json").write_text(
        json.dumps([note(10)]) + f' {{"user_id": "{USER}", "nickname": "{NICK}"}}', encoding="utf-8"
    )
    write_jsonl(
        month / "xhs/jsonl/search_contents_2025-01-20.jsonl",
        [*damaged_notes(), note(11)],
        torn_tail=f'{{"note_id": "{hex_id(12, "67890abc")}", "user_id": "{USER}", "nickname": "Zhangsan_Priv',
    )
    (month / "xhs/jsonl/search_contents_2025-01-21.jsonl").write_text(
        f'["{USER}", "{NICK}", "{AVATAR}"]\n"{NICK}"\n{{"note_id": "{USER}", "nickname": "{NICK}"\n', encoding="utf-8"
    )
    # CSV: rows whose fields do not line up with the header (a field lost or one too many), a torn last row
    write_csv(month / "xhs/csv/search_contents_2025-01-20.csv", damaged_notes())
    header = list(note(13))
    shifted = io.StringIO(newline="")
    writer = csv.writer(shifted)
    writer.writerow(header)
    values = [str(v) for v in note(13, **PERSON).values()]
    writer.writerow(values)  # a good row
    writer.writerow([v for k, v in zip(header, values) if k != "type"])  # one field lost: user id shifts left
    writer.writerow(values[:5] + [USER] + values[5:])  # one too many: the user id lands under `time`
    writer.writerow([AVATAR, NICK, USER])  # a stub row
    (month / "xhs/csv/search_contents_2025-01-21.csv").write_bytes(
        shifted.getvalue().encode("utf-8-sig") + ",".join(values[:9]).encode() + b',"Zhangsan_Priv'
    )
    # an undecodable file naming someone
    (month / "xhs/jsonl/search_contents_2025-01-22.jsonl").write_bytes(
        b"\xef\xbb\xbf" + json.dumps(note(14, **PERSON)).encode() + b"\n\xff\xfe" + NICK.encode()
    )
    write_xlsx(
        month / "xhs/xhs_search_20250120_101500.xlsx",
        {
            "Contents": damaged_notes(),
            "Comments": [
                comment(1, 1, **PERSON, like="many", content=f"@{NICK} {BIO}"),
                comment(2, 1, **PERSON, parent=USER[:20]),
            ],
            "Creators": [creator(1, **PERSON, desc=BIO, fans="lots")],
        },
    )
    write_jsonl(
        month / "xhs/jsonl/search_comments_2025-01-20.jsonl",
        [
            comment(3, 1, **PERSON, like="many", content=f"@{NICK} {BIO}"),
            comment(4, 1, **PERSON, note_id="", content=NICK),
            comment(5, 1, **PERSON, parent=NICK),
            comment(6, 1, **PERSON, create_time=USER),
        ],
    )
    write_csv(month / "xhs/csv/search_comments_2025-01-20.csv", [comment(7, 1, **PERSON, like="many", content=BIO)])
    write_json(
        month / "xhs/json/creator_creator_2025-01-20.json",
        [
            creator(1, **PERSON, desc=BIO, fans="lots"),  # a bio: free text about a person
            creator(2, user_id=NICK, nickname=NICK, avatar=AVATAR, desc=BIO),  # a name where the user id should be
            creator(3, **PERSON, desc=BIO, last_modify_ts=""),
        ],
    )
    write_csv(
        month / "xhs/csv/creator_creator_2025-01-20.csv",
        [creator(4, **PERSON, desc=BIO, follows="a few"), creator(5, user_id="", nickname=NICK, desc=BIO)],
    )


def test_rejects_never_carry_a_person(tmp_path):
    build_damaged_month(tmp_path)
    inbox = b"".join(p.read_bytes() for p in tmp_path.rglob("*.*") if p.suffix != ".xlsx")
    assert all(s.encode() in inbox for s in PLANTED)  # the inbox really holds them

    rejects, reasons = [], set()
    for entity in ("note", "comment", "creator"):
        result = ingest(tmp_path, entity)
        conserved(result)
        rejects += result.rejects.to_pylist()
    by_file: dict[str, list[str]] = {}
    for r in rejects:
        by_file.setdefault(r["source_file"], []).append(r["reason"])
        reasons.add(r["reason"])
        dump = json.dumps(r, ensure_ascii=False, default=str)
        leaked = [s for s in PLANTED if s in dump or s in r["payload"] or s in r["reason"]]
        assert not leaked, (leaked, r)
        payload = json.loads(r["payload"])
        assert set(payload) <= set(REJECT_FIELDS) or set(payload) == {"sha256", "length"}, payload
        assert not FORBIDDEN & set(payload), payload
    # every container and every damage class was really rejected (else this test proves nothing)
    assert len(by_file) == 15, sorted(by_file)  # every file written above
    for expected in (
        "liked_count is not a count: lots",
        "time is not an epoch: yesterday",
        "note_id missing",
        "note_id is not a 24-hex id",
        "last_modify_ts is not an epoch",
        "record is a JSON array",
        "record is a JSON scalar",
        "invalid JSON",
        "truncated or invalid JSON array",
        "not a JSON array",
        "unexpected data after the closing ']'",
        "CSV row has 20 fields, header has 21",
        "CSV row has 22 fields",
        "CSV row has 3 fields",
        "cannot decode file",
        "fans is not a count: lots",
        "user_id is not a 24-hex id (21 characters, not shown)",
        "like_count is not a count: many",
        "parent_comment_id is not a 24-hex id",
        "create_time is not an epoch",
        "user_id missing",
        "follows is not a count: a few",
    ):
        assert any(expected in reason for reason in reasons), (expected, sorted(reasons))


def test_a_reject_of_an_object_keeps_its_allowed_fields_only(tmp_path):
    write_jsonl(
        tmp_path / "xhs/jsonl/search_contents_2025-01-20.jsonl",
        [note(1, **PERSON, liked="lots", desc=BIO, tag_list={"nested": NICK}, share_count=[USER])],
    )
    [reject] = ingest(tmp_path).rejects.to_pylist()
    payload = json.loads(reject["payload"])
    assert payload["note_id"] == hex_id(1, "67890abc") and payload["liked_count"] == "lots"
    assert payload["time"] == str(note(1)["time"]) and payload["ip_location"] == "美国"
    assert "share_count" not in payload  # an array value is dropped even under an allowed name
    assert not FORBIDDEN & set(payload) and not FORBIDDEN & set(REJECT_FIELDS)


def test_reader_rejects_are_fingerprints():
    row = f"{hex_id(1)},{USER},{NICK}\r\n"
    out = read_csv(f"note_id,time\r\n{row}".encode())
    [(_, reason, payload)] = out.rejects
    assert reason == "CSV row has 3 fields, header has 2"
    import hashlib

    assert json.loads(payload) == {"sha256": hashlib.sha256(row.encode()).hexdigest(), "length": len(row)}
    for out in (
        read_json_array(NICK.encode()),
        read_json_array(f'[{{"a": "{NICK}'.encode()),
        read_json_array(f'[] "{NICK}"'.encode()),
        read_json_array(f'[{{"a": 1}} "{NICK}"]'.encode()),
    ):
        [(_, _, payload)] = out.rejects
        assert set(json.loads(payload)) == {"sha256", "length"}


# --- 3. ids from note_url -----------------------------------------------------------------------


def url_explore(n: int) -> str:
    return f"https://www.xiaohongshu.com/explore/{hex_id(n, '67890abc')}?xsec_token=ABxyz%3D&xsec_source=pc_search"


def url_discovery(n: int) -> str:
    return f"https://www.xiaohongshu.com/discovery/item/{hex_id(n, '67890abc')}?app_platform=ios&xsec_token=CB1"


def test_note_ids_come_from_note_url_when_the_id_column_is_gone_or_empty(tmp_path):
    dropped = [{k: v for k, v in note(n, note_url=url_explore(n)).items() if k != "note_id"} for n in (1, 2)]
    write_csv(tmp_path / "xhs/csv/search_contents_2025-01-20.csv", dropped)
    write_csv(
        tmp_path / "xhs/csv/search_contents_2025-01-21.csv",
        [note(3, note_id="", note_url=url_discovery(3)), note(4, note_id=" ", note_url=url_explore(4)), note(5)],
    )  # note 5 keeps its own id; its sample note_url holds none
    write_jsonl(
        tmp_path / "xhs/jsonl/search_contents_2025-01-20.jsonl",
        [
            note(
                6,
                note_id=None,
                note_url=url_discovery(6)
                .upper()
                .replace("HTTPS://WWW.XIAOHONGSHU.COM/DISCOVERY/ITEM/", "https://www.xiaohongshu.com/discovery/item/"),
            ),
            note(7, note_id="", note_url="https://www.xiaohongshu.com/explore/notanid"),  # still missing
            note(8, note_id=hex_id(9, "67890abc"), note_url=url_explore(8)),
        ],
    )  # a present id wins

    result = ingest(tmp_path)
    conserved(result)
    assert sorted(result.rows.column("note_id").to_pylist()) == [hex_id(n, "67890abc") for n in (1, 2, 3, 4, 5, 6, 9)]
    details = {r["source_file"]: r["ids_from_url"] for r in result.file_details.to_pylist()}
    assert details == {
        "xhs/csv/search_contents_2025-01-20.csv": 2,
        "xhs/csv/search_contents_2025-01-21.csv": 2,
        "xhs/jsonl/search_contents_2025-01-20.jsonl": 1,
    }
    assert result.ids_from_url == 5
    assert result.rejects.column("reason").to_pylist() == ["note_id missing"]


def test_comment_note_ids_come_from_their_note_url(tmp_path):
    write_jsonl(
        tmp_path / "xhs/jsonl/search_comments_2025-01-20.jsonl",
        [
            comment(1, 1, note_id="", note_url=url_explore(5)),
            comment(2, 1, note_url=url_discovery(6)),  # its own note_id wins
            comment(3, 1, note_id=""),  # no note_url: rejected
        ],
    )
    result = ingest(tmp_path, "comment")
    conserved(result)
    notes = dict(zip(result.rows.column("comment_id").to_pylist(), result.rows.column("note_id").to_pylist()))
    assert notes == {hex_id(1, "6790aaaa"): hex_id(5, "67890abc"), hex_id(2, "6790aaaa"): hex_id(1, "67890abc")}
    assert result.ids_from_url == 1 and result.rejects.column("reason").to_pylist() == ["note_id missing"]
