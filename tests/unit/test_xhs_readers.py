"""Splitting files into records, and recovering what a crash left (format notes §2, §8, §9)."""

import json

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
