"""Raw assets materialized on a temporary warehouse: every vintage, conservation, idempotency,
privacy, and the June re-crawl overlap seen through the dbt current view."""

from __future__ import annotations

import json
import os
import re

import dagster as dg
import duckdb
import pytest

from rednote_dagster.defs.ingest.assets import conservation_violations, raw_comments, raw_creators, raw_notes
from rednote_dagster.defs.resources import build_resources
from rednote_dagster.defs.transform.dbt import rednote_dbt_models
from rednote_dagster.lib.settings import DataPaths
from tests.xhs_samples import (
    comment,
    creator,
    head_note,
    hex_id,
    note,
    write_csv,
    write_json,
    write_jsonl,
)

RAW = [raw_notes, raw_comments, raw_creators]
MARCH, JUNE = "2025-03-01", "2025-06-01"
MARCH_CRAWL, JUNE_CRAWL = 1741500000000, 1751000000000  # 2025-03-09, 2025-06-27


def build_march(inbox):
    month = inbox / "2025-03"
    # note 1 appears in two keyword files; the later crawl (higher count) must win, keywords merge
    write_json(
        month / "xhs/json/search_contents_2025-03-09.json",
        [note(1, keyword="tt refugee", liked="10", crawl_ms=MARCH_CRAWL), note(2, user=3)],
    )
    write_json(
        month / "xhs/search_contents_2025-03-09.json",  # one-line JSON of an older install
        [note(1, keyword="Tiktok ban", liked="12", crawl_ms=MARCH_CRAWL + 1000)],
        indent=None,
    )
    write_jsonl(
        month / "xhs/jsonl/search_contents_2025-03-10.jsonl",
        [note(3, liked="1.2万", collected_count="10万+"), note(4, time="abc"), head_note(5, user=1)],
        torn_tail='{"note_id": "67890abc0000000000000099", "user_id": "6785219f0000000000000007", "nickname": "Tor',
    )
    write_csv(
        month / "xhs/1_search_contents_2025-03-11.csv",
        [note(6, desc="line one\nline two", liked="2.1w"), note(7, note_id="", liked="5")],
    )
    text = json.dumps([note(8), note(9)], indent=4, ensure_ascii=False)
    (month / "xhs/json/search_contents_2025-03-12.json").write_text(text[: text.rindex('"source_keyword"')])
    write_jsonl(
        month / "xhs/jsonl/search_comments_2025-03-10.jsonl",
        [
            comment(1, 1, parent=0, sub="2"),
            comment(2, 1, parent=hex_id(1, "6790aaaa"), sub=0),
            comment(3, 1, parent=hex_id(2, "6790aaaa"), like=0, sub=0),  # reply to a reply
            comment(4, 2, parent="", like="1.5万"),
            comment(5, 2, parent="0"),
            comment(6, 2, note_id=""),
        ],
    )
    write_json(
        month / "xhs/creator_creator_2025-03-09.json",
        [
            creator(1),
            creator(
                3, gender="Male", fans="996", tag_list=json.dumps(json.dumps({"location": "美国"}, ensure_ascii=False))
            ),
        ],
    )


def build_june(inbox):
    month = inbox / "2025-06"
    write_jsonl(
        month / "xhs/jsonl/creator_contents_2025-06-27.jsonl",
        [note(1, liked="2.3万", crawl_ms=JUNE_CRAWL, keyword=""), note(10, crawl_ms=JUNE_CRAWL)],
    )
    write_jsonl(month / "xhs/jsonl/creator_comments_2025-06-27.jsonl", [comment(1, 1, like="99", crawl_ms=JUNE_CRAWL)])


@pytest.fixture
def resources(data_root):
    return build_resources(DataPaths(data_root))


def materialize(assets, resources, partition_key=None):
    result = dg.materialize(assets, resources=resources, partition_key=partition_key)
    assert result.success
    return result


def query(data_root, sql):
    with duckdb.connect(str(data_root / "warehouse.duckdb"), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(sql).fetchall()


def table_hash(data_root, table):
    (digest,) = query(data_root, f"SELECT md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM {table} t")[0]
    return digest


def test_every_vintage_is_typed_deduplicated_and_conserved(data_root, resources):
    build_march(data_root / "inbox")
    result = materialize(RAW, resources, MARCH)

    notes = {
        r[0][-2:]: r[1:]
        for r in query(
            data_root,
            """
        SELECT note_id, liked_count, collected_count, source_keywords, author_key, description, counts_approximate
        FROM raw.notes ORDER BY note_id""",
        )
    }
    assert sorted(notes) == ["01", "02", "03", "05", "06", "08"]  # 08 survives the truncation
    assert notes["01"][0] == 12 and notes["01"][2] == ["Tiktok ban", "tt refugee"]
    assert notes["03"][:2] == (12000, 100000) and notes["03"][5] is True
    assert notes["06"][0] == 21000 and notes["06"][4] == "line one\nline two"
    # the HEAD-era note (creator_hash only) gets the same pseudonym as the id-era notes of user 1
    assert notes["05"][3] == notes["01"][3] != notes["02"][3]

    reasons = dict(
        query(
            data_root, "SELECT source_file, string_agg(reason, ' | ' ORDER BY record_index) FROM raw.rejects GROUP BY 1"
        )
    )
    assert "time is not an epoch" in reasons["xhs/jsonl/search_contents_2025-03-10.jsonl"]
    assert "invalid JSON" in reasons["xhs/jsonl/search_contents_2025-03-10.jsonl"]
    assert "note_id missing" in reasons["xhs/1_search_contents_2025-03-11.csv"]
    assert "truncated" in reasons["xhs/json/search_contents_2025-03-12.json"]
    assert "note_id missing" in reasons["xhs/jsonl/search_comments_2025-03-10.jsonl"]

    log = {
        r[0]: r[1:]
        for r in query(
            data_root,
            """
        SELECT source_file, records_read, accepted, rejected, duplicates FROM raw.ingest_log WHERE entity = 'note'""",
        )
    }
    assert log["xhs/json/search_contents_2025-03-09.json"] == (2, 1, 0, 1)  # its copy of note 1 lost to a later crawl
    assert log["xhs/search_contents_2025-03-09.json"] == (1, 1, 0, 0)
    assert log["xhs/jsonl/search_contents_2025-03-10.jsonl"] == (4, 2, 2, 0)
    assert log["xhs/json/search_contents_2025-03-12.json"] == (2, 1, 1, 0)
    assert all(read == a + r + d for read, a, r, d in log.values())

    comments = dict(query(data_root, "SELECT right(comment_id, 2), parent_comment_id FROM raw.comments"))
    assert comments["01"] is None and comments["04"] is None and comments["05"] is None
    assert comments["03"] == hex_id(2, "6790aaaa")
    assert query(data_root, "SELECT like_count FROM raw.comments WHERE comment_id LIKE '%04'") == [(15000,)]

    creators = query(
        data_root,
        "SELECT followers, gender, json_extract_string(tags_json, '$.location') FROM raw.creators ORDER BY followers",
    )
    assert creators == [(996, "male", "美国"), (12000, "female", "美国")]

    checks = list(result.get_asset_check_evaluations())
    assert len(checks) == 3 and all(c.passed for c in checks)


def test_materializing_twice_gives_identical_tables(data_root, resources):
    build_march(data_root / "inbox")
    tables = ["raw.notes", "raw.comments", "raw.creators", "raw.rejects", "raw.ingest_log"]
    materialize(RAW, resources, MARCH)
    first = {t: table_hash(data_root, t) for t in tables}
    materialize(RAW, resources, MARCH)
    assert {t: table_hash(data_root, t) for t in tables} == first


def test_no_raw_user_id_or_nickname_anywhere(data_root, resources):
    build_march(data_root / "inbox")
    build_june(data_root / "inbox")
    materialize(RAW, resources, MARCH)
    materialize(RAW, resources, JUNE)
    inbox_text = "".join(p.read_text(encoding="utf-8-sig") for p in (data_root / "inbox").rglob("*.*"))
    secrets = {hex_id(u) for u in range(1, 10)} | {f"Nickname{u:04d}" for u in range(1, 10)} | {'"Tor'}
    secrets = {s for s in secrets if s in inbox_text}
    assert len(secrets) >= 5  # the fixtures really contain identifiers
    with duckdb.connect(str(data_root / "warehouse.duckdb"), read_only=True) as con:
        tables = con.execute("SELECT table_schema || '.' || table_name FROM information_schema.tables").fetchall()
        for (table,) in tables:
            dump = con.execute(f"SELECT string_agg(t::VARCHAR, '\n') FROM {table} t").fetchone()[0] or ""
            leaked = [s for s in secrets if s in dump]
            assert not leaked, f"{table} leaks {leaked}"


def test_june_recrawl_overlap_and_current_view(data_root, resources):
    build_march(data_root / "inbox")
    build_june(data_root / "inbox")
    materialize(RAW, resources, MARCH)
    materialize(RAW, resources, JUNE)
    both = query(
        data_root,
        f"SELECT collection_month::VARCHAR, liked_count FROM raw.notes "
        f"WHERE note_id = '{hex_id(1, '67890abc')}' ORDER BY 1",
    )
    assert both == [("2025-03-01", 12), ("2025-06-01", 23000)]

    materialize([rednote_dbt_models], resources)
    current = query(
        data_root,
        f"SELECT liked_count, collection_month::VARCHAR FROM intermediate.int_notes_current "
        f"WHERE note_id = '{hex_id(1, '67890abc')}'",
    )
    assert current == [(23000, "2025-06-01")]
    assert query(data_root, "SELECT count(*) FROM intermediate.int_notes_current") == [(7,)]
    assert query(
        data_root,
        f"SELECT like_count FROM intermediate.int_comments_current WHERE comment_id = '{hex_id(1, '6790aaaa')}'",
    ) == [(99,)]
    summary = query(
        data_root, "SELECT collection_month::VARCHAR, notes, new_notes FROM marts.collection_summary ORDER BY 1"
    )
    assert summary == [("2025-03-01", 6, 6), ("2025-06-01", 2, 1)]


def test_conservation_check_catches_a_lost_row(data_root, resources):
    build_march(data_root / "inbox")
    materialize(RAW, resources, MARCH)
    with duckdb.connect(str(data_root / "warehouse.duckdb")) as con:
        assert conservation_violations(con, "note", MARCH).height == 0
        con.execute("DELETE FROM raw.notes WHERE note_id = (SELECT min(note_id) FROM raw.notes)")
        bad = conservation_violations(con, "note", MARCH)
    assert bad.height == 1


def test_empty_month_writes_empty_partition(data_root, resources):
    (data_root / "inbox" / "2025-04").mkdir()
    materialize(RAW, resources, "2025-04-01")
    assert query(data_root, "SELECT count(*) FROM raw.notes") == [(0,)]


def test_excel_workbooks_are_ingested_and_conserved(data_root, resources):
    from tests.xhs_samples import write_xlsx

    write_xlsx(
        data_root / "inbox/2025-03/xhs/xhs_search_20250309_101500.xlsx",
        {
            "Contents": [note(1, liked="1.2万"), note(2, time="not a time"), note(1, liked="3")],
            "Comments": [comment(1, 1, parent=0), comment(2, 1, parent=hex_id(1, "6790aaaa"))],
            "Creators": [creator(1)],
        },
    )
    result = materialize(RAW, resources, MARCH)
    assert all(c.passed for c in result.get_asset_check_evaluations())
    log = {
        r[0]: r[1:]
        for r in query(
            data_root,
            """
        SELECT entity, records_read, accepted, rejected, duplicates FROM raw.ingest_log
        WHERE source_file = 'xhs/xhs_search_20250309_101500.xlsx'""",
        )
    }
    assert log == {"note": (3, 1, 1, 1), "comment": (2, 2, 0, 0), "creator": (1, 1, 0, 0)}
    assert query(data_root, "SELECT liked_count FROM raw.notes") == [(3,)]  # same crawl instant: the later row wins
    assert query(data_root, "SELECT count(*) FROM raw.comments WHERE parent_comment_id IS NOT NULL") == [(1,)]


def test_metadata_markdown_escapes_text_from_the_crawl(data_root, resources):
    # Reject reasons quote the bad value; a crawl must not be able to make the Dagster UI fetch a
    # remote image or render a link when a researcher opens the Events tab (lib/preview.py).
    write_jsonl(
        data_root / "inbox/2025-03/xhs/jsonl/search_contents_2025-03-10.jsonl",
        [note(1), note(2, liked="![x](http://host/x)"), note(3, liked="a|b <img src=x>")],
    )
    result = materialize([raw_notes], resources, MARCH)
    [materialization] = result.asset_materializations_for_node(raw_notes.node_def.name)
    reasons = materialization.metadata["reject_reasons"].value
    # the values are still there, escaped and defanged; no unescaped image, link or tag opener is left
    assert "liked\\_count is not a count: \\!\\[x\\]\\(http\\[:\\]//host/x\\)" in reasons
    assert "a\\|b \\<img src=x\\>" in reasons
    assert not re.search(r"(?<!\\)[!\[\]()<>]", reasons)
    # each row of the table still has its two cells (reason, records)
    assert all(line.count("|") - line.count("\\|") == 3 for line in reasons.splitlines())
    assert "| xhs/jsonl/search\\_contents\\_2025-03-10.jsonl" in materialization.metadata["ingest_log"].value


# --- real crawls from the wild: encodings, rejects without a person, ids from note_url -----------


def test_every_encoding_through_the_asset_and_undecodable_files_rejected_whole(data_root, resources):
    from tests.unit.test_xhs_real_world import CHINESE, GB18030_ONLY, csv_bytes, json_bytes, jsonl_bytes

    xhs = data_root / "inbox/2025-03/xhs"
    xhs.mkdir(parents=True)
    files = {  # file name: (bytes, the description of its note)
        "1_search_contents_2025-03-09.csv": (csv_bytes([note(1, desc="GBK " + CHINESE)], "gbk"), "GBK " + CHINESE),
        "2_search_contents_2025-03-09.csv": (
            csv_bytes([note(2, desc="UTF-16 " + CHINESE)], "utf-16"),
            "UTF-16 " + CHINESE,
        ),
        "search_contents_2025-03-09.jsonl": (
            jsonl_bytes([note(3, desc="BOM " + CHINESE)], "utf-8-sig"),
            "BOM " + CHINESE,
        ),
        "search_contents_2025-03-10.json": (
            json_bytes([note(4, desc=CHINESE + GB18030_ONLY)], "gb18030"),
            CHINESE + GB18030_ONLY,
        ),
        "search_contents_2025-03-11.jsonl": (
            b"\xef\xbb\xbf" + jsonl_bytes([note(5, desc=CHINESE)], "utf-8")[:-5] + b"\xff\n",
            None,
        ),
    }
    for name, (data, _) in files.items():
        (xhs / name).write_bytes(data)
    result = materialize([raw_notes], resources, MARCH)
    assert all(c.passed for c in result.get_asset_check_evaluations())
    [materialization] = result.asset_materializations_for_node("raw__notes")
    encodings = materialization.metadata["file_encodings"].value
    assert "gb18030" in encodings.lower() and "utf" in encodings.lower()

    stored = dict(query(data_root, "SELECT source_file, description FROM raw.notes"))
    assert stored == {f"xhs/{name}": text for name, (_, text) in files.items() if text is not None}
    log = {
        r[0]: r[1:]
        for r in query(
            data_root, "SELECT source_file, records_read, accepted, rejected, duplicates FROM raw.ingest_log"
        )
    }
    assert log["xhs/search_contents_2025-03-11.jsonl"] == (1, 0, 1, 0)
    assert sum(v[1] for v in log.values()) == 4
    [(reason, payload)] = query(data_root, "SELECT reason, payload FROM raw.rejects")
    assert reason.startswith("cannot decode file: not UTF-8, UTF-16 or GB18030") and set(json.loads(payload)) == {
        "sha256",
        "length",
    }
    dump = "".join(str(r) for t in ("raw.notes", "raw.rejects") for r in query(data_root, f"SELECT * FROM {t}"))
    assert "\ufffd" not in dump and "美国网友" in dump


def test_rejects_in_the_warehouse_never_carry_a_person(data_root, resources):
    from tests.unit.test_xhs_real_world import PLANTED, build_damaged_month

    build_damaged_month(data_root / "inbox/2025-03")
    result = materialize(RAW, resources, MARCH)
    assert all(c.passed for c in result.get_asset_check_evaluations())
    rejects = query(data_root, "SELECT * FROM raw.rejects")
    assert len(rejects) > 40
    dump = "\n".join(map(str, rejects))
    assert not [s for s in PLANTED if s in dump]
    # and no other table holds them either
    with duckdb.connect(str(data_root / "warehouse.duckdb"), read_only=True) as con:
        for (table,) in con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables"
        ).fetchall():
            text = con.execute(f"SELECT string_agg(t::VARCHAR, '\n') FROM {table} t").fetchone()[0] or ""
            assert not [s for s in PLANTED if s in text], table


def test_note_ids_taken_from_note_url_through_the_asset(data_root, resources):
    from tests.unit.test_xhs_real_world import url_discovery, url_explore

    write_csv(
        data_root / "inbox/2025-03/xhs/csv/search_contents_2025-03-09.csv",
        [
            {k: v for k, v in note(n, note_url=url(n)).items() if k != "note_id"}
            for n, url in ((1, url_explore), (2, url_discovery))
        ],
    )
    write_csv(
        data_root / "inbox/2025-03/xhs/csv/search_contents_2025-03-10.csv",
        [note(3, note_id="", note_url=url_explore(3)), note(4, note_id="")],
    )
    result = materialize([raw_notes], resources, MARCH)
    assert all(c.passed for c in result.get_asset_check_evaluations())
    assert query(data_root, "SELECT note_id FROM raw.notes ORDER BY 1") == [(hex_id(n, "67890abc"),) for n in (1, 2, 3)]
    assert query(data_root, "SELECT reason FROM raw.rejects") == [("note_id missing",)]
    [materialization] = result.asset_materializations_for_node("raw__notes")
    assert materialization.metadata["ids_from_url"].value == 3


def build_wild_month(month, outside):
    """What real inboxes hold: renamed files, other platforms' output under RedNote's names, other
    tools' files in folders named after people, links out and round, a FIFO, a torn CSV quote."""
    from tests.unit.test_xhs_recognition import OTHER_PLATFORM_RECORDS, build_tool_month

    build_tool_month(month)
    write_csv(month / "xhs_search_comments_2024-05-31.csv", [comment(i, 1, user=i) for i in range(1, 4)])
    write_csv(month / "9_美国_search_contents_2025-11-22.csv", [note(20), note(21)])
    zhihu_comments = next(r for p, item, r in OTHER_PLATFORM_RECORDS if (p, item) == ("Zhihu", "comments"))
    write_json(month / "xhs/json/search_comments_2025-01-20.json", [zhihu_comments] * 3)
    write_json(outside / "search_contents_2025-01-20.json", [note(30)])
    (month / "linked.json").symlink_to(outside / "search_contents_2025-01-20.json")
    (month / "loop").symlink_to("loop")
    os.mkfifo(month / "search_comments_pipe.csv")
    torn = write_csv(month / "xhs/csv/search_comments_2025-01-21.csv", [comment(9, 1)])
    torn.write_bytes(torn.read_bytes() + b'6790aaaa0000000000000010,"' + b"x" * 140_000 + b"\r\n")


def test_a_wild_inbox_through_the_assets(data_root, resources, tmp_path):
    from tests.unit.test_xhs_recognition import PERSON
    from tests.unit.test_xhs_tools import USER_1

    outside = tmp_path / "outside"
    outside.mkdir()
    build_wild_month(data_root / "inbox/2025-01", outside)
    result = materialize(RAW, resources, "2025-01-01")
    assert all(c.passed for c in result.get_asset_check_evaluations())
    [materialization] = result.asset_materializations_for_node("raw__comments")
    skipped = materialization.metadata["skipped_files"].value
    assert skipped["xhs/json/search_comments_2025-01-20.json"] == "Zhihu comments, not RedNote"
    assert skipped["linked.json"] == "symbolic link out of the inbox: not followed"
    assert skipped["loop"] == "symbolic link loop: not followed"
    assert skipped["search_comments_pipe.csv"] == "not a regular file (a FIFO, socket or device)"
    tools = dict(query(data_root, "SELECT source_tool, count(*) FROM raw.ingest_log GROUP BY 1"))
    assert tools == {"mediacrawler": 4, "spider_xhs": 2, "mediacrawler_sqlite": 3, "zeeschuimer": 1, "4cat": 1}
    assert query(data_root, "SELECT count(*) FROM raw.rejects WHERE reason LIKE 'CSV cannot be parsed%'") == [(1,)]
    assert query(data_root, "SELECT count(*) FROM raw.comments WHERE source_file LIKE 'xhs_search%'") == [(3,)]
    people = [*PERSON.values(), "Nick One", USER_1, "sns-avatar.example"]
    with duckdb.connect(str(data_root / "warehouse.duckdb"), read_only=True) as con:
        for (table,) in con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables"
        ).fetchall():
            text = con.execute(f"SELECT string_agg(t::VARCHAR, '\n') FROM {table} t").fetchone()[0] or ""
            assert not [p for p in people if p in text], table
    for node in ("raw__notes", "raw__comments", "raw__creators"):
        [done] = result.asset_materializations_for_node(node)
        metadata = json.dumps({k: str(v.value) for k, v in done.metadata.items()}, ensure_ascii=False)
        assert not [p for p in people if p in metadata], node


def test_a_file_changed_while_the_asset_reads_it_is_rejected_whole(data_root, resources, monkeypatch):
    from rednote_dagster.lib.xhs import readers

    path = write_json(data_root / "inbox/2025-03/xhs/json/search_contents_2025-03-09.json", [note(1), note(2)])
    real = readers.READERS["json"]

    def appended_while_read(data):
        with path.open("ab") as handle:
            handle.write(b"\n")
        return real(data)

    monkeypatch.setattr(readers, "READERS", {**readers.READERS, "json": appended_while_read})
    result = materialize([raw_notes], resources, MARCH)
    assert all(c.passed for c in result.get_asset_check_evaluations())
    [(reason,)] = query(data_root, "SELECT reason FROM raw.rejects")
    assert reason.startswith("file changed while it was read (size ")
    assert query(data_root, "SELECT count(*) FROM raw.notes") == [(0,)]


def test_an_earlier_warehouse_gains_source_tool(data_root, resources):
    with duckdb.connect(str(data_root / "warehouse.duckdb")) as con:
        con.execute("CREATE SCHEMA raw")
        con.execute(
            "CREATE TABLE raw.ingest_log (collection_month DATE, source_file VARCHAR, entity VARCHAR, "
            "records_read BIGINT, accepted BIGINT, rejected BIGINT, duplicates BIGINT)"
        )
        con.execute("INSERT INTO raw.ingest_log VALUES ('2025-06-01', 'old.json', 'note', 1, 1, 0, 0)")
    build_march(data_root / "inbox")
    materialize([raw_notes], resources, MARCH)
    rows = dict(query(data_root, "SELECT source_file, source_tool FROM raw.ingest_log"))
    assert rows["old.json"] == "mediacrawler" and set(rows.values()) == {"mediacrawler"} and len(rows) > 1
