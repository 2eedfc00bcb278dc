"""Readers for RedNote crawls made by tools other than MediaCrawler's JSON/JSONL/CSV/XLSX files.

One module per tool; each has ``peek(path)`` (cheap: the file's headers, tables or first record
say whether it is that tool's RedNote output, and which entities it holds) and
``read(path, entity, part)`` (per record, a ``ToolRecord`` keyed by MediaCrawler's field names or a
``ToolError``). ``read_tool_file`` turns that into the ``FileRead`` that ``ingest`` normalises, so
``normalize.py`` types, validates and de-duplicates every tool's records with MediaCrawler's rules.

| source_tool            | module                   | files                                                  |
|------------------------|--------------------------|--------------------------------------------------------|
| ``spider_xhs``         | ``spider_xhs``           | Spider_XHS workbooks (Chinese or English headers), ``info.json`` |
| ``mediacrawler_sqlite``| ``mediacrawler_sqlite``  | MediaCrawler's SQLite database                         |
| ``zeeschuimer``        | ``zeeschuimer``          | Zeeschuimer ``.ndjson`` and ``;``-separated CSV         |
| ``4cat``               | ``zeeschuimer``          | 4CAT RedNote dataset ``.ndjson`` and CSV               |
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rednote_dagster.lib.xhs.readers import FileRead
from rednote_dagster.lib.xhs.tools import mediacrawler_sqlite, spider_xhs, zeeschuimer
from rednote_dagster.lib.xhs.tools.common import (
    SOURCE_TOOLS,
    Found,
    ToolError,
    ToolRecord,
    to_file_read,
)

__all__ = ["SOURCE_TOOLS", "TOOLS", "Tool", "ToolError", "ToolRecord", "ToolSource", "read_tool_file", "recognise"]


@dataclass(frozen=True)
class Tool:
    name: str  # the module
    peek: Callable[[Path], Found | None]
    read: Callable[[Path, str, str | None], Iterator[ToolRecord | ToolError]]
    source_tool: Callable[[str | None], str]  # of a part peek found
    encoding: Callable[[Path], str]  # what the ingest log's per-file encoding says of a file


TOOLS: tuple[Tool, ...] = (
    Tool("spider_xhs", spider_xhs.peek, spider_xhs.read, lambda part: spider_xhs.TOOL, spider_xhs.encoding),
    Tool(
        "mediacrawler_sqlite",
        mediacrawler_sqlite.peek,
        mediacrawler_sqlite.read,
        lambda part: mediacrawler_sqlite.TOOL,
        lambda path: "sqlite",
    ),
    Tool(
        "zeeschuimer",
        zeeschuimer.peek,
        zeeschuimer.read,
        lambda part: zeeschuimer.source_tool(part or ""),
        zeeschuimer.encoding,
    ),
)


@dataclass(frozen=True)
class ToolSource:
    """One readable part of a file: which tool wrote it, which entity it holds, and where."""

    tool: Tool
    entity: str
    part: str | None

    @property
    def source_tool(self) -> str:
        return self.tool.source_tool(self.part)


def recognise(path: Path) -> list[ToolSource] | None:
    """The parts of ``path`` some tool here wrote, or None when no tool here claims the file."""
    for tool in TOOLS:
        found = tool.peek(path)
        if found:
            return [ToolSource(tool, entity, part) for entity, part in found]
    return None


def read_tool_file(path: Path, source: ToolSource) -> FileRead:
    """Every record of one part, as the record texts and reader rejects ``ingest`` normalises."""
    return to_file_read(
        source.tool.read(path, source.entity, source.part), path.stat().st_size, source.tool.encoding(path)
    )
