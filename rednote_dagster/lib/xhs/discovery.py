"""Find MediaCrawler record files in a collection-month folder and say what each one holds.

MediaCrawler's file names changed many times (§2.2, §9 of the format notes):
``search_contents_2025-01-14.json``, ``3_search_comments_2024-05-01.csv``,
``creator_creator_2025-02-01.json``, ``None_contents_….json``,
``search_contents_2025-09-06 13:01:23.json`` and ``xhs_search_20250106_101500.xlsx``.
We classify by the entity word in the stem and by the extension, wherever the file sits
below the month folder (``xhs/json/``, ``xhs/jsonl/``, ``xhs/csv/``, flat, or a
``SAVE_DATA_PATH`` root).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ENTITIES = ("note", "comment", "creator")
FORMATS = {".json": "json", ".jsonl": "jsonl", ".csv": "csv"}

# Excel output (SAVE_DATA_OPTION=excel): one workbook per run, `xhs_{crawler}_{YYYYMMDD_HHMMSS}.xlsx`,
# one sheet per entity (format notes §2.1; store/excel_store_base.py).
_WORKBOOK = re.compile(r"^xhs_(?P<crawler>search|detail|creator|none)_(?P<stamp>\d{8}_\d{6})$", re.IGNORECASE)
SHEETS = {"Contents": "note", "Comments": "comment", "Creators": "creator"}

# `{N}_` prefix (2024-04..2025-09), then crawler type (or the 2025-09 `None` bug), then the item type.
_NAME = re.compile(
    r"^(?:\d+_)?(?P<crawler>search|detail|creator|none)_(?P<item>contents|comments|creator)(?:_(?P<date>.+))?$",
    re.IGNORECASE,
)
_ITEM_TO_ENTITY = {"contents": "note", "comments": "comment", "creator": "creator"}


@dataclass(frozen=True)
class SourceFile:
    path: Path
    relative_path: str  # relative to the collection-month folder, '/'-separated: stored as source_file
    entity: str  # note | comment | creator
    fmt: str  # json | jsonl | csv | xlsx
    crawler_type: str | None  # search | detail | creator | None (the 2025-09 'None_' bug)
    sheet: str | None = None  # xlsx: the worksheet holding this entity


def workbook_sources(path: Path, root: Path) -> list[SourceFile] | None:
    """One source per entity sheet of a MediaCrawler workbook; None if the file is not one."""
    match = _WORKBOOK.match(path.stem) if path.suffix.lower() == ".xlsx" else None
    if match is None:
        return None
    from openpyxl import load_workbook

    try:
        sheets = load_workbook(path, read_only=True).sheetnames
    except Exception:
        return None
    crawler = match.group("crawler").lower()
    return [
        SourceFile(
            path=path,
            relative_path=path.relative_to(root).as_posix(),
            entity=SHEETS[name],
            fmt="xlsx",
            crawler_type=None if crawler == "none" else crawler,
            sheet=name,
        )
        for name in sheets
        if name in SHEETS
    ] or None


def classify(path: Path, root: Path) -> SourceFile | None:
    """Classify one file; None for files that hold no records (media, word clouds, notes to self)."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        return None
    match = _NAME.match(path.stem)
    if match is None:
        return None
    crawler = match.group("crawler").lower()
    return SourceFile(
        path=path,
        relative_path=path.relative_to(root).as_posix(),
        entity=_ITEM_TO_ENTITY[match.group("item").lower()],
        fmt=fmt,
        crawler_type=None if crawler == "none" else crawler,
    )


def discover(month_dir: Path) -> tuple[list[SourceFile], list[str]]:
    """All record files below ``month_dir`` in a stable order, and the files that were skipped.

    Skipped files are reported, not silently dropped, so a user who names a file oddly sees it.
    Hidden files and folders (``.DS_Store``, ``._foo``) and media folders are ignored quietly.
    """
    found: list[SourceFile] = []
    skipped: list[str] = []
    if not month_dir.is_dir():
        return found, skipped
    for path in sorted(p for p in month_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(month_dir)
        if any(part.startswith((".", "_")) for part in rel.parts):
            continue
        if any(part in ("images", "videos", "words") for part in rel.parts[:-1]):
            continue
        sources = workbook_sources(path, month_dir)
        if sources is None:
            source = classify(path, month_dir)
            sources = [source] if source is not None else []
        if not sources:
            skipped.append(rel.as_posix())
        found.extend(sources)
    return found, skipped
