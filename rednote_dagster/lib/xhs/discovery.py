"""Find the RedNote record files in a collection-month folder and say what each one holds.

A file is recognised by its content, whatever its name or place below the month folder. The
recognisers are asked in turn (``RECOGNISERS``):

1. MediaCrawler's RedNote JSON / JSONL / CSV / XLSX, by the keys of the first record or the header
   (``recognise.py``): a renamed ``xhs_search_comments_2024-05-31.csv`` is read, a Zhihu comments file
   written under the same name is skipped whole with the reason;
2. the other tools (``tools/``): Spider_XHS workbooks and ``info.json``, MediaCrawler's SQLite store,
   Zeeschuimer and 4CAT captures;
3. MediaCrawler's file names, only for a file whose content said nothing either way (an empty file,
   a torn first record): ``search_contents_2025-01-14.json``, ``3_search_comments_2024-05-01.csv``,
   ``creator_creator_2025-02-01.json``, ``None_contents_….json``, ``xhs_search_20250106_101500.xlsx``.

Anything else is skipped with a reason. The walk (``walk``) never follows a symbolic link out of the
inbox, never loops, never opens anything but a regular file, and turns an entry it cannot read into
a reason instead of an error; the new-crawl sensor fingerprints the month with the same walk.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from rednote_dagster.lib.xhs import tools
from rednote_dagster.lib.xhs.recognise import MEDIACRAWLER_SUFFIXES, Unreadable, judge_file
from rednote_dagster.lib.xhs.tools import spider_xhs
from rednote_dagster.lib.xhs.tools.common import MEDIACRAWLER

ENTITIES = ("note", "comment", "creator")
FORMATS = MEDIACRAWLER_SUFFIXES  # suffix -> the reader of MediaCrawler's files of that kind

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
# MediaCrawler's folders of the other platforms (data/<platform>/…, both spellings of each vintage):
# a name there says nothing about RedNote
OTHER_PLATFORM_FOLDERS = {
    "dy": "Douyin",
    "douyin": "Douyin",
    "ks": "Kuaishou",
    "kuaishou": "Kuaishou",
    "bili": "Bilibili",
    "bilibili": "Bilibili",
    "wb": "Weibo",
    "weibo": "Weibo",
    "tieba": "Tieba",
    "zhihu": "Zhihu",
}
# MediaCrawler's media and word-cloud folders (xhs/images/<note_id>/0.jpg …): nothing to ingest
MEDIA_FOLDERS = ("images", "videos", "words")


@dataclass(frozen=True)
class SourceFile:
    path: Path
    relative_path: str  # stored as source_file: relative to the month folder, '/'-separated, no person's name
    entity: str  # note | comment | creator
    fmt: str  # json | jsonl | csv | xlsx (MediaCrawler's), or the file's suffix for another tool's
    crawler_type: str | None  # search | detail | creator from a MediaCrawler name; None when the name says none
    sheet: str | None = None  # xlsx: the worksheet holding this entity
    source_tool: str = MEDIACRAWLER  # one of tools.SOURCE_TOOLS
    tool: tools.ToolSource | None = None  # how to read a file another tool wrote
    signature: tuple[int, ...] | None = None  # file_signature when it was recognised


class Skipped(NamedTuple):
    relative_path: str  # as stored: no person's name
    reason: str


@dataclass(frozen=True)
class Part:
    """One readable part of a file, as a recogniser found it."""

    entity: str
    fmt: str
    sheet: str | None = None
    crawler_type: str | None = None
    source_tool: str = MEDIACRAWLER
    tool: tools.ToolSource | None = None


# A recogniser, given a file and its path below the month folder, says what the file holds (its
# parts), that it is no RedNote file (the reason), or nothing (None): then the next one is asked.
Recognised = tuple[Part, ...] | str | None


def _crawler(name: str | None) -> str | None:
    return None if name is None or name.lower() == "none" else name.lower()


def _name_match(path: Path) -> re.Match | None:
    return _NAME.match(path.stem) if path.suffix.lower() in FORMATS else None


def by_content(path: Path, relative_path: str) -> Recognised:
    """MediaCrawler's RedNote output, or another platform's, by the keys of the file's first record
    (of each worksheet's header). In a workbook with a RedNote sheet, a sheet whose header says
    nothing (damaged) is read by its MediaCrawler sheet name."""
    verdicts = judge_file(path)
    if verdicts is None:
        return None
    rednote = [(sheet, v.entity) for sheet, v in verdicts if v is not None and v.entity is not None]
    if not rednote:
        others = list(dict.fromkeys(v.other for _, v in verdicts if v is not None and v.other))
        return "; ".join(others) or None
    rednote += [(sheet, SHEETS[sheet]) for sheet, v in verdicts if v is None and sheet in SHEETS]
    fmt = FORMATS[path.suffix.lower()]
    match = _name_match(path) or _WORKBOOK.match(path.stem)
    crawler = _crawler(match.group("crawler")) if match else None
    order = [sheet for sheet, _ in verdicts]
    return tuple(
        Part(entity, fmt, sheet, crawler) for sheet, entity in sorted(rednote, key=lambda p: order.index(p[0]))
    )


def by_tool(path: Path, relative_path: str) -> Recognised:
    """A file another RedNote tool wrote (tools/)."""
    found = tools.recognise(path)
    if found is None:
        return None
    fmt = path.suffix.lower().lstrip(".") or "file"
    return tuple(Part(s.entity, fmt, s.part, None, s.source_tool, s) for s in found)


def by_name(path: Path, relative_path: str) -> Recognised:
    """MediaCrawler's own file names: only asked when the content said nothing either way, and not
    in MediaCrawler's folder of another platform, which holds files of the same names."""
    if _platform_folder(relative_path):
        return None
    workbook = _WORKBOOK.match(path.stem) if path.suffix.lower() == ".xlsx" else None
    if workbook is not None:
        return _workbook_by_sheet_names(path, _crawler(workbook.group("crawler")))
    match = _name_match(path)
    if match is None:
        return None
    entity = _ITEM_TO_ENTITY[match.group("item").lower()]
    return (Part(entity, FORMATS[path.suffix.lower()], None, _crawler(match.group("crawler"))),)


def _workbook_by_sheet_names(path: Path, crawler: str | None) -> Recognised:
    from openpyxl import load_workbook

    try:
        sheets = load_workbook(path, read_only=True).sheetnames
    except OSError:
        raise
    except Exception:
        return "not an Excel workbook that can be opened"
    return tuple(Part(SHEETS[name], "xlsx", name, crawler) for name in sheets if name in SHEETS) or None


RECOGNISERS: tuple[Callable[[Path, str], Recognised], ...] = (by_content, by_tool, by_name)


def file_signature(st: os.stat_result) -> tuple[int, ...]:
    """What changes when a file is written or replaced: its size, mtime and inode."""
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)


@functools.lru_cache(maxsize=4096)
def _recognised(path: Path, relative_path: str, signature: tuple[int, ...]) -> tuple[Part, ...] | str:
    """What the first recogniser that has a say makes of the file (cached per file version: each
    entity's ingest of a month asks about every file)."""
    try:
        with path.open("rb") as handle:  # one reason for a file nobody may read, whatever its kind
            handle.read(1)
        for recognise in RECOGNISERS:
            found = recognise(path, relative_path)
            if found:
                return found
    except OSError as err:  # Unreadable, or a tool's reader that hit the file system
        return str(err) if isinstance(err, Unreadable) else f"cannot read file: {err.strerror or type(err).__name__}"
    if path.suffix.lower() in FORMATS:
        reason = "not a RedNote record file: its first record or header has none of the fields of one"
    else:
        reason = f"not a RedNote record file ({path.suffix.lower() or 'no extension'})"
    platform = _platform_folder(relative_path)
    return f"{reason} (in MediaCrawler's {platform} folder)" if platform else reason


def recognise_file(path: Path, relative_path: str, st: os.stat_result) -> tuple[Part, ...] | str:
    """The readable parts of one file, or the reason it is skipped."""
    return _recognised(path, relative_path, file_signature(st))


def _platform_folder(relative_path: str) -> str | None:
    """The platform whose MediaCrawler folder (``data/<platform>/…``) the file is in, if not RedNote's."""
    return next(
        (OTHER_PLATFORM_FOLDERS[p] for p in relative_path.lower().split("/")[:-1] if p in OTHER_PLATFORM_FOLDERS), None
    )


def _quiet(relative_path: str) -> bool:
    """Files nobody wants listed: notes to self (``_…``), MediaCrawler's media and word clouds,
    Spider_XHS's note texts, images and videos."""
    parts = relative_path.split("/")
    return (
        any(part.startswith("_") for part in parts)
        or any(part in MEDIA_FOLDERS for part in parts[:-1])
        or spider_xhs.is_media(relative_path)
    )


def discover(month_dir: Path, keyed: Callable[[str], str] | None = None) -> tuple[list[SourceFile], list[Skipped]]:
    """All record files below ``month_dir`` in a stable order, and the files that were skipped, each
    with its reason.

    ``keyed`` (``Pseudonymizer.author_key``) replaces the parts of a path that name a person
    (Spider_XHS names folders and workbooks after users) in every path returned; the ingest always
    gives it. Hidden files and folders, notes to self and media are left out quietly.
    """
    found: list[SourceFile] = []
    skipped: list[Skipped] = []

    def stored(relative_path: str) -> str:
        return spider_xhs.private_relative_path(relative_path, keyed) if keyed else relative_path

    for entry in walk(month_dir):
        if _quiet(entry.relative_path):
            continue
        if entry.problem is not None:
            skipped.append(Skipped(stored(entry.relative_path), entry.problem))
            continue
        recognised = recognise_file(entry.path, entry.relative_path, entry.stat)
        if isinstance(recognised, str):
            skipped.append(Skipped(stored(entry.relative_path), recognised))
            continue
        path = stored(entry.relative_path)
        per_entity = [p.entity for p in recognised]
        for part in recognised:
            # two parts of one entity (two note sheets of a workbook) need a source_file each
            name = f"{path}#{part.sheet}" if per_entity.count(part.entity) > 1 else path
            found.append(
                SourceFile(
                    entry.path,
                    name,
                    part.entity,
                    part.fmt,
                    part.crawler_type,
                    part.sheet,
                    part.source_tool,
                    part.tool,
                    file_signature(entry.stat),
                )
            )
    return found, skipped


# --- the walk ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A file below a month folder, or an entry that is not read and why."""

    path: Path
    relative_path: str  # '/'-separated, relative to the month folder ('.' for the folder itself)
    stat: os.stat_result | None = None  # of the regular file the path leads to
    problem: str | None = None  # why it is not read: then there is no stat


def _inside(path: Path, root: str) -> bool:
    return os.path.commonpath([os.path.realpath(path), root]) == root


def _problem(err: OSError, is_link: bool) -> str:
    if err.errno == errno.ELOOP:
        return "symbolic link loop: not followed"
    if is_link and err.errno == errno.ENOENT:
        return "broken symbolic link: its target does not exist"
    return f"cannot read: {err.strerror or type(err).__name__}"


def walk(month_dir: Path) -> Iterator[Entry]:
    """Every regular file below ``month_dir`` (hidden files and folders left out), and every entry
    that is not read, with the reason: a symbolic link out of the inbox (``month_dir``'s parent), to
    a folder already walked (a loop) or a file already read, a broken link, a folder or file that
    cannot be read, a FIFO, socket or device (reading one could block for ever). Links are followed
    after every real folder, so a file is found under its own path first. Never raises; sorted by
    path parts."""
    inbox = os.path.realpath(month_dir.parent)
    try:
        top = os.stat(month_dir)
    except OSError:
        return  # no such month folder: nothing in it
    if month_dir.is_symlink() and not _inside(month_dir, inbox):
        yield Entry(month_dir, ".", problem="the month folder is a symbolic link out of the inbox: not followed")
        return
    entries: list[Entry] = []
    seen = {(top.st_dev, top.st_ino)}  # folders walked and files found, by device and inode
    folders: list[tuple[Path, str]] = [(month_dir, "")]
    links: list[tuple[Path, str]] = []
    while folders or links:
        if not folders:
            path, relative_path = links.pop(0)
            if not _inside(path, inbox):
                entries.append(Entry(path, relative_path, problem="symbolic link out of the inbox: not followed"))
            else:
                entries.extend(_visit(path, relative_path, seen, folders, is_link=True))
            continue
        folder, prefix = folders.pop()
        try:
            with os.scandir(folder) as listing:
                children = sorted(listing, key=lambda e: e.name)
        except OSError as err:
            entries.append(Entry(folder, prefix.rstrip("/") or ".", problem=f"cannot read folder: {err.strerror}"))
            continue
        for child in children:
            if child.name.startswith("."):  # .DS_Store, editor swap files, partial downloads
                continue
            path, relative_path = Path(child.path), prefix + child.name
            try:
                is_link = child.is_symlink()
            except OSError as err:
                entries.append(Entry(path, relative_path, problem=_problem(err, False)))
                continue
            if is_link:
                links.append((path, relative_path))
            else:
                entries.extend(_visit(path, relative_path, seen, folders, is_link=False))
    yield from sorted(entries, key=lambda e: e.relative_path.split("/"))


def _visit(
    path: Path, relative_path: str, seen: set[tuple[int, int]], folders: list[tuple[Path, str]], *, is_link: bool
) -> list[Entry]:
    """The entry for ``path`` (a link already known to stay in the inbox is followed), or none when it
    is a folder, which is queued."""
    try:
        st = os.stat(path)
    except OSError as err:
        return [Entry(path, relative_path, problem=_problem(err, is_link))]
    identity = (st.st_dev, st.st_ino)
    kind = "symbolic link to a" if is_link else "a"
    if stat.S_ISDIR(st.st_mode):
        if identity in seen:
            return [Entry(path, relative_path, problem=f"{kind} folder already walked (a loop?): not followed")]
        seen.add(identity)
        folders.append((path, relative_path + "/"))
        return []
    if not stat.S_ISREG(st.st_mode):
        return [Entry(path, relative_path, problem="not a regular file (a FIFO, socket or device)")]
    if identity in seen:
        return [Entry(path, relative_path, problem=f"{kind} file already read under another name: not read twice")]
    seen.add(identity)
    return [Entry(path, relative_path, st)]
