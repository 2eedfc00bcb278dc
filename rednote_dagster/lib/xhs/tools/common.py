"""What every tool reader shares: the record and error types, value conversions, and the step
that turns a reader's records into the ``FileRead`` the ingest normalises.

A tool reader yields, per record of the file, either a ``ToolRecord`` (a dict keyed by
MediaCrawler's field names, so ``normalize.py`` types and validates it unchanged) or a
``ToolError`` (the record could not be converted). An error keeps only the record's fingerprint
(sha256 and length) and a reason that names fields, never a value: a record that did not convert
cannot be told apart field by field, so nothing of it is safe to keep (see ``readers.fingerprint``).
Conservation: records read = records yielded + errors yielded.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa

from rednote_dagster.lib.xhs.readers import FileRead, fingerprint

# source_tool values (the first is MediaCrawler's own JSON/JSONL/CSV/XLSX files, read by readers.py)
MEDIACRAWLER = "mediacrawler"
SPIDER_XHS = "spider_xhs"
MEDIACRAWLER_SQLITE = "mediacrawler_sqlite"
ZEESCHUIMER = "zeeschuimer"
FOUR_CAT = "4cat"
SOURCE_TOOLS = (MEDIACRAWLER, SPIDER_XHS, MEDIACRAWLER_SQLITE, ZEESCHUIMER, FOUR_CAT)

# What a recogniser found: (entity, part) per readable part of the file; the part (a worksheet, a
# table, a layout name) is handed back to the tool's reader as it is.
Found = list[tuple[str, "str | None"]]

# Spider_XHS writes publish times as the crawl machine's local wall-clock text
# (time.localtime in xhs_utils/data_util.py::timestamp_to_str). RedNote's users and servers are in
# China, so that clock is assumed to be China's: an assumption, stated in the README.
ASSUMED_CRAWL_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class ToolRecord:
    index: int  # the record's place in the file (0-based, in file order)
    fields: dict[str, object]  # MediaCrawler field names; a field the tool does not write is absent
    tool: str  # source_tool


@dataclass(frozen=True)
class ToolError:
    index: int
    reason: str  # names fields, never quotes a value
    payload: str  # readers.fingerprint of the raw record: its sha256 and length only
    tool: str


def local_time_ms(value: object, timezone: str = ASSUMED_CRAWL_TIMEZONE) -> int | None:
    """Epoch ms of a local ``YYYY-MM-DD HH:MM:SS`` text (or of a naive datetime, which is what a
    spreadsheet program leaves when it turned that text into a date); None when it is neither."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = dt.datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return round(moment.timestamp() * 1000)


class NotAList(ValueError):
    """A cell that should hold a Python list's text but does not."""


def joined_list(value: object) -> str:
    """MediaCrawler's comma-joined form of a list that a tool wrote as a list or as ``str(list)``
    (Spider_XHS's Excel cells: ``"['http://a', 'http://b']"``); "" for an empty or missing list."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value.strip()
        if text in ("", "None", "[]"):
            return ""
        try:
            value = ast.literal_eval(text)  # literals only: never evaluates code
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise NotAList from None
    if not isinstance(value, list | tuple):
        raise NotAList
    return ",".join(str(item) for item in value if item is not None and str(item) != "")


def file_written_ms(path: Path) -> int:
    """When the file was last written (its mtime), in epoch ms: the crawl time of a tool that
    records none. It is no earlier than the crawl, and later if the file was copied since."""
    return path.stat().st_mtime_ns // 1_000_000


def cell_text(value: object) -> object:
    """A spreadsheet cell as the tool wrote it: text stays text, a whole float becomes an int (a
    count a spreadsheet program turned into a number), a date stays a date, empty is None."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def to_file_read(items: Iterable[ToolRecord | ToolError], bytes_read: int, encoding: str) -> FileRead:
    """The records as JSON texts and the errors as reader rejects: what ``ingest`` normalises."""
    indices: list[int] = []
    texts: list[str] = []
    rejects: list[tuple[int, str, str]] = []
    for item in items:
        if isinstance(item, ToolRecord):
            indices.append(item.index)
            texts.append(json.dumps(item.fields, ensure_ascii=False, default=str))
        else:
            rejects.append((item.index, item.reason, item.payload))
    return FileRead(pa.array(texts, pa.string_view()), pa.array(indices, pa.int64()), rejects, bytes_read, encoding)


def raw_fingerprint(raw: object) -> str:
    """The fingerprint of a raw record that is not text (a row of cells, a parsed object)."""
    return fingerprint(json.dumps(raw, ensure_ascii=False, default=str, sort_keys=True))
