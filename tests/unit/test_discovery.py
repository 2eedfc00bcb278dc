"""File-name and layout vintages (format notes §2.1, §2.2, §9)."""

from pathlib import Path

from rednote_dagster.lib.xhs.discovery import classify, discover


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
        path = tmp_path / rel
        src = classify(path, tmp_path)
        assert (src.entity, src.fmt, src.crawler_type) == expected, rel
        assert src.relative_path == rel


def test_discover_skips_media_and_reports_unknown(tmp_path):
    for rel in ["xhs/json/search_contents_2025-01-14.json", "xhs/images/abc/0.jpg", "xhs/words/cloud.png",
                ".DS_Store", "xhs/notes.txt", "xhs/random.json"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("[]")
    found, skipped = discover(tmp_path)
    assert [f.relative_path for f in found] == ["xhs/json/search_contents_2025-01-14.json"]
    assert skipped == ["xhs/notes.txt", "xhs/random.json"]
    assert discover(Path(tmp_path / "missing")) == ([], [])
