"""File-name and layout vintages (format notes §2.1, §2.2, §9): what a file's name says when its
content says nothing (an empty file). Recognition by content: tests/unit/test_xhs_recognition.py."""

import json
from pathlib import Path

from rednote_dagster.lib.xhs.discovery import by_name, discover


def test_every_name_vintage(tmp_path):
    names = {
        "xhs/json/search_contents_2025-01-14.json": ("note", "json", "search"),
        "xhs/3_search_comments_2024-05-01.csv": ("comment", "csv", "search"),
        "xhs/creator_creator_2025-02-01.json": ("creator", "json", "creator"),
        "xhs/jsonl/detail_comments_2026-03-05.jsonl": ("comment", "jsonl", "detail"),
        "xhs/json/None_contents_2025-09-07.json": ("note", "json", None),
        "xhs/json/search_contents_2025-09-06 13:01:23.json": ("note", "json", "search"),
        "mydata/xhs/csv/creator_contents_2025-12-01.csv": ("note", "csv", "creator"),
    }
    for rel, expected in names.items():
        [part] = by_name(tmp_path / rel, rel)
        assert (part.entity, part.fmt, part.crawler_type) == expected, rel
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")  # empty: only the name can say what it is
    found, skipped = discover(tmp_path)
    assert skipped == []
    assert sorted((f.relative_path, f.entity, f.fmt, f.crawler_type) for f in found) == sorted(
        (rel, *expected) for rel, expected in names.items()
    )


def test_discover_skips_media_and_reports_unknown(tmp_path):
    for rel in [
        "xhs/json/search_contents_2025-01-14.json",
        "xhs/images/abc/0.jpg",
        "xhs/words/cloud.png",
        ".DS_Store",
        "xhs/notes.txt",
        "xhs/random.json",
    ]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("[]")
    found, skipped = discover(tmp_path)
    assert [f.relative_path for f in found] == ["xhs/json/search_contents_2025-01-14.json"]
    assert skipped == [
        ("xhs/notes.txt", "not a RedNote record file (.txt)"),
        ("xhs/random.json", "not a RedNote record file: its first record or header has none of the fields of one"),
    ]
    assert discover(Path(tmp_path / "missing")) == ([], [])


def test_excel_workbook_yields_one_source_per_entity_sheet(tmp_path):
    from rednote_dagster.lib.xhs.readers import read_file
    from tests.xhs_samples import comment, note, write_xlsx

    write_xlsx(
        tmp_path / "xhs/xhs_search_20250114_101500.xlsx",
        {
            "Contents": [note(1), note(2, desc="多行\n描述", liked="1.2万")],
            "Comments": [comment(1, 1, parent=0)],
        },
    )
    write_xlsx(tmp_path / "xhs/report.xlsx", {"Sheet": [{"a": 1}]})  # not MediaCrawler's
    found, skipped = discover(tmp_path)
    assert [(s.entity, s.fmt, s.sheet, s.crawler_type) for s in found] == [
        ("note", "xlsx", "Contents", "search"),
        ("comment", "xlsx", "Comments", "search"),
    ]
    assert [s.relative_path for s in skipped] == ["xhs/report.xlsx"]
    read = read_file(found[0].path, found[0].fmt, found[0].sheet)
    records = [json.loads(t) for t in read.texts]
    assert read.records_read == 2 and records[1]["desc"] == "多行\n描述" and records[1]["liked_count"] == "1.2万"
    assert records[0]["note_id"] == note(1)["note_id"]
