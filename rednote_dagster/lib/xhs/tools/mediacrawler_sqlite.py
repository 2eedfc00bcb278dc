"""MediaCrawler's SQLite store (``SAVE_DATA_OPTION=sqlite``), as MediaCrawler records.

NanmiCoder/MediaCrawler writes one database for every platform: ``schema/sqlite_tables.db``
(3a2959d 2025-07-14, raw SQL, DDL in ``schema/sqlite_tables.sql``) and from be306c6 (2025-09-06,
SQLAlchemy ORM, ``database/models.py``) ``database/sqlite_tables.db``. Its RedNote tables are
``xhs_note``, ``xhs_note_comment`` and ``xhs_creator`` (the last dropped at 9f4f8bf, 2026-07-01,
when ``user_id`` / ``avatar`` / ``ip_location`` gave way to ``creator_hash``). Their columns are
the fields of MediaCrawler's records (format notes §3–§6) plus ``id`` and ``add_ts``, which are
left out. The DB vintages' own value forms — counts as ``str(value)`` ("None" when missing),
``image_list`` / ``tag_list`` / ``pictures`` JSON-quoted, creator ``tag_list`` double-encoded,
``parent_comment_id`` "0" — are what ``normalize.py`` already reads.

The database is opened read-only (``mode=ro``); the other platforms' tables are not read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

from rednote_dagster.lib.xhs.readers import fingerprint
from rednote_dagster.lib.xhs.tools.common import MEDIACRAWLER_SQLITE, Found, ToolError, ToolRecord

TOOL = MEDIACRAWLER_SQLITE
SQLITE_MAGIC = b"SQLite format 3\x00"
# table -> (entity, the columns that make it MediaCrawler's RedNote table of that entity)
TABLES = {
    "xhs_note": ("note", {"note_id", "time", "last_modify_ts"}),
    "xhs_note_comment": ("comment", {"comment_id", "note_id", "create_time", "last_modify_ts"}),
    "xhs_creator": ("creator", {"user_id", "fans", "last_modify_ts"}),
}
NOT_RECORD_FIELDS = ("id", "add_ts")  # the store's row id and insert time: no field of a record


def _connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    con.text_factory = bytes  # decoded per value below, so one bad value fails one row, not the file
    return con


def _columns(con: sqlite3.Connection, table: str) -> list[str]:
    return [row[1].decode() for row in con.execute(f'PRAGMA table_info("{table}")')]


def peek(path: Path) -> Found | None:
    """The RedNote tables of a MediaCrawler SQLite database, or None."""
    try:
        with path.open("rb") as handle:
            if handle.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
                return None
        with closing(_connect(path)) as con:
            tables = {row[0].decode() for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            found = [
                (entity, table)
                for table, (entity, required) in TABLES.items()
                if table in tables and required <= set(_columns(con, table))
            ]
    except (OSError, sqlite3.Error):
        return None
    return found or None


def read(path: Path, entity: str, part: str | None) -> Iterator[ToolRecord | ToolError]:
    """Every row of one RedNote table, in insertion order, as a MediaCrawler record."""
    table = part or ""
    if TABLES.get(table, ("",))[0] != entity:
        raise ValueError(f"{table!r} is not MediaCrawler's {entity} table")
    with closing(_connect(path)) as con:
        columns = _columns(con, table)
        order = "id" if "id" in columns else "rowid"
        cursor = con.execute(f'SELECT * FROM "{table}" ORDER BY "{order}"')
        for index, row in enumerate(cursor):
            try:
                fields = {
                    name: value.decode() if isinstance(value, bytes) else value
                    for name, value in zip(columns, row)
                    if name not in NOT_RECORD_FIELDS
                }
            except UnicodeDecodeError:
                raw = b"\x1f".join(v if isinstance(v, bytes) else str(v).encode() for v in row)
                yield ToolError(index, "a text value is not UTF-8", fingerprint(raw), TOOL)
                continue
            yield ToolRecord(index, fields, TOOL)
