"""Splitting files into records, and recovering what a crash left (format notes §2, §8, §9)."""

import csv
import io
import json

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rednote_dagster.lib.xhs.readers import read_csv, read_json_array, read_jsonl


def test_indented_and_one_line_arrays():
    records = [{"a": 1, "t": "多行\n文本"}, {"a": 2}]
    for indent in (4, None):
        out = read_json_array(json.dumps(records, ensure_ascii=False, indent=indent).encode())
        assert [json.loads(t) for _, t in out.records] == records
        assert out.rejects == []


def test_truncated_array_recovers_every_complete_record():
    text = json.dumps([{"a": 1}, {"a": 2}, {"a": 3, "b": "long value"}], indent=4)
    cut = text[: text.index("long") + 2]
    out = read_json_array(cut.encode())
    assert [json.loads(t)["a"] for _, t in out.records] == [1, 2]
    assert len(out.rejects) == 1 and out.rejects[0][0] == 2
    assert "truncated" in out.rejects[0][1]
    assert out.records_read == 3


def test_array_cut_on_a_record_boundary_loses_nothing():
    out = read_json_array(b'[{"a": 1}, {"a": 2}')
    assert len(out.records) == 2 and out.rejects == []


def test_empty_file_and_not_an_array():
    assert read_json_array(b"").records_read == 0
    out = read_json_array(b"hello")
    assert out.records == [] and len(out.rejects) == 1


def test_jsonl_keeps_torn_last_line_for_the_normaliser():
    out = read_jsonl(b'{"a": 1}\n\n{"a": 2}\r\n{"a": 3, "b": "to')
    assert [i for i, _ in out.records] == [0, 1, 2]
    assert out.records[2][1] == '{"a": 3, "b": "to'  # judged invalid later, with a reason


def test_csv_bom_multiline_and_bad_rows():
    data = '\ufeffnote_id,desc,liked_count\r\n1,"line one\nline two",1.2万\r\n2,short\r\n3,"x",5\r\n'.encode()
    out = read_csv(data)
    first = json.loads(out.records[0][1])
    assert first == {"note_id": "1", "desc": "line one\nline two", "liked_count": "1.2万"}
    assert [i for i, _ in out.records] == [0, 2]
    assert out.rejects[0][0] == 1 and "fields" in out.rejects[0][1]
    assert out.records_read == 3


# --- the fast paths give what the plain Python definitions give -----------------------------------


def reference_text(data: bytes) -> str | None:
    """The readers' decoding: UTF-16 after its BOM, strict utf-8-sig, else strict GB18030 (not for a file with a
    UTF-8 BOM); None when none of them decodes the file (it is then rejected whole, never read with U+FFFD)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if data.startswith(b"\xef\xbb\xbf"):
            return None
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        return None


def reference_jsonl_lines(data: bytes) -> list[str]:
    """The JSONL reader's definition: lines of the decoded text, blank ones dropped."""
    text = reference_text(data)
    return [] if text is None else [line for line in text.split("\n") if line and not line.isspace()]


def reference_csv_texts(data: bytes) -> tuple[list[str], int]:
    """The CSV reader's definition: one json.dumps(dict(zip(header, row))) per well-formed row."""
    rows = [
        r
        for r in csv.reader(io.StringIO(reference_text(data), newline=""))
        if r and not (len(r) == 1 and not r[0].strip())
    ]
    header, body = rows[0], rows[1:]
    good = [json.dumps(dict(zip(header, r)), ensure_ascii=False) for r in body if len(r) == len(header)]
    return good, len(body) - len(good)


JSONL_EDGE_CASES = [
    b"",
    b"\n",
    b"\n\n\n",
    b" \t\r\n",
    b'{"a": 1}',
    b'{"a": 1}\n',
    b'{"a": 1}\r\n{"b": 2}\r\n',
    b'\xef\xbb\xbf{"a": 1}\n{"b": 2}',
    b"\xef\xbb\xbf",
    b'\xef\xbb\xbf\xef\xbb\xbf{"a": 1}',  # only one BOM is stripped
    b'{"a": "\xff"}\n{"b": "\xe4\xb8"}\n{"c": "\xe4\xb8\xad"}',  # neither UTF-8 nor GB18030: rejected whole
    '{"a": "中文"}\n'.encode("gbk"),
    '\ufeff{"a": "中文"}\n'.encode("utf-16-le"),
    b'\xef\xbb\xbf{"a": "\xd6\xd0"}',
    '{"a": 1}\n\u3000\n\u2028\n\x1c\n\x85\n\u00a0 \n'.encode(),  # Unicode whitespace lines are blank
    b'  {"a": 1}\n[1, 2]\n"text"\n42\n{"torn": "va',
    b"}\n{\n",
    "\u3000x\n".encode(),
]


@pytest.mark.parametrize("data", JSONL_EDGE_CASES)
def test_jsonl_lines_match_the_python_definition(data):
    out = read_jsonl(data)
    assert out.texts == reference_jsonl_lines(data)
    assert [i for i, _ in out.records] == list(range(len(out.texts)))
    undecodable = reference_text(data) is None
    assert len(out.rejects) == undecodable and out.records_read == len(out.texts) + undecodable
    assert out.bytes_read == len(data)


FRAGMENTS = [
    b'{"a": 1}',
    b"\n",
    b"\r\n",
    b" ",
    b"\t",
    "\u3000".encode(),
    b"\x1c",
    "\x85".encode(),
    b"\xef\xbb\xbf",
    b"\xff",
    b"\xe4\xb8",
    "中".encode(),
    b"[1]",
    b'"s"',
    b"{",
    b"}",
    "💥".encode(),
]


@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40))
@settings(max_examples=300, deadline=None)
def test_jsonl_lines_match_the_python_definition_fuzzed(parts):
    data = b"".join(parts)
    assert read_jsonl(data).texts == reference_jsonl_lines(data)


CSV_VALUES = [
    "",
    "plain",
    'quo"te',
    "back\\slash",
    "多行\n文本",
    "tab\tand\x00nul\x1f",
    "\u2028\u2029",
    "emoji 💥",
    "\ud7ff\ue000",
    "</script>",
    "1.2万",
]


def test_csv_texts_match_json_dumps():
    header = ["note_id", "desc", "liked_count", "名字"]
    rows = [[CSV_VALUES[(i + j) % len(CSV_VALUES)] for j in range(len(header))] for i in range(len(CSV_VALUES))]
    for head in (header, ["a", "b", "a", "c"]):  # a repeated column keeps dict semantics (the last value wins)
        buf = io.StringIO(newline="")
        csv.writer(buf).writerows([head, *rows, ["short"]])
        data = buf.getvalue().encode("utf-8-sig")
        out = read_csv(data)
        assert (out.texts, len(out.rejects)) == reference_csv_texts(data)


def test_readers_match_the_python_definitions_on_samples_and_a_generated_corpus(tmp_path):
    from rednote_dagster.lib.corpus import generate_corpus
    from tests.xhs_samples import comment, creator, head_note, note, write_csv, write_jsonl

    write_jsonl(
        tmp_path / "samples/a.jsonl",
        [note(1), head_note(2), comment(3, 1, parent="0"), creator(4)],
        torn_tail='{"note_id": "67890abc0000000000000099", "nickname": "Tor',
    )
    write_csv(tmp_path / "samples/a.csv", [note(5, desc="line one\nline two", liked="2.1w"), note(6, note_id="")])
    generate_corpus(tmp_path / "corpus", scale="small", seed=3)
    checked = {"jsonl": 0, "csv": 0}
    for path in sorted(tmp_path.rglob("*")):
        if path.suffix == ".jsonl":
            assert read_jsonl(path.read_bytes()).texts == reference_jsonl_lines(path.read_bytes()), path
            checked["jsonl"] += 1
        elif path.suffix == ".csv" and "_truth" not in path.parts:
            out = read_csv(path.read_bytes())
            assert (out.texts, len(out.rejects)) == reference_csv_texts(path.read_bytes()), path
            checked["csv"] += 1
    assert checked["jsonl"] > 1 and checked["csv"] > 1


def test_jsonl_lines_over_several_view_windows(monkeypatch):
    # a file larger than one view window (2 GiB in production) is handed over in several
    import rednote_dagster.lib.xhs.readers as readers

    monkeypatch.setattr(readers, "VIEW_WINDOW_BYTES", 64)
    records = [json.dumps({"n": i, "t": "多" * (i % 9)}, ensure_ascii=False) for i in range(50)]
    data = "\n".join([*records, "{}", "[]", "x", '  {"a": 1}']).encode()
    out = read_jsonl(data)
    assert out.texts == reference_jsonl_lines(data)
    assert len(out.lines.buffers()) > 3  # validity, views, and more than one data buffer
    con = duckdb.connect()  # the normaliser reads the views in place
    con.register("lines", pa.table({"line": out.lines}))
    assert [r[0] for r in con.execute("SELECT line FROM lines").fetchall()] == out.texts
    monkeypatch.setattr(readers, "VIEW_WINDOW_BYTES", 20)
    with pytest.raises(ValueError):
        read_jsonl(data)


def test_entity_without_files_has_the_tables_of_one_with_an_empty_file(tmp_path):
    import datetime as dt

    from rednote_dagster.lib.pseudonym import Pseudonymizer
    from rednote_dagster.lib.xhs.ingest import ingest_entity

    (tmp_path / "none/xhs").mkdir(parents=True)
    (tmp_path / "empty/xhs/jsonl").mkdir(parents=True)
    for entity, name in (("note", "search_contents"), ("comment", "search_comments"), ("creator", "creator_creator")):
        (tmp_path / f"empty/xhs/jsonl/{name}_2025-01-20.jsonl").write_bytes(b"")
        without = ingest_entity(tmp_path / "none", dt.date(2025, 1, 1), entity, Pseudonymizer("k"))
        empty = ingest_entity(tmp_path / "empty", dt.date(2025, 1, 1), entity, Pseudonymizer("k"))
        assert without.rows.equals(empty.rows) and without.rejects.equals(empty.rejects)
        assert without.log.schema == empty.log.schema and without.log.num_rows == 0 and empty.log.num_rows == 1


def test_jsonl_record_after_leading_json_whitespace_is_an_object(tmp_path):
    import datetime as dt

    from rednote_dagster.lib.pseudonym import Pseudonymizer
    from rednote_dagster.lib.xhs.ingest import ingest_entity

    record = {
        "note_id": "64b8f1a2000000001f03a5c1",
        "type": "normal",
        "title": "t",
        "desc": "d",
        "time": 1737300000000,
        "user_id": "u1",
        "liked_count": "3",
        "last_modify_ts": 1737300000000,
    }
    line = json.dumps(record)
    folder = tmp_path / "xhs/jsonl"
    folder.mkdir(parents=True)
    # JSON allows space, tab, CR and LF before the value (RFC 8259 §2); a CR also ends a CRLF line
    (folder / "search_contents_2025-01-20.jsonl").write_text(f"\t{line}\r\n \t{line}\n", encoding="utf-8")
    result = ingest_entity(tmp_path, dt.date(2025, 1, 1), "note", Pseudonymizer("k"))
    assert result.rejects.num_rows == 0, result.rejects.column("reason").to_pylist()
    assert result.rows.num_rows == 1 and result.log.column("duplicates").to_pylist() == [1]
