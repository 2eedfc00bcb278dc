"""Say by its content whether a file is MediaCrawler's RedNote output, and of which entity.

Researchers rename crawler output (``xhs_search_comments_2024-05-31.csv``,
``9_<keyword>_search_contents_2025-11-22.csv``), and MediaCrawler writes the same file names for
Zhihu, Weibo, Douyin, Bilibili, Kuaishou and Tieba. So the keys of a file's first record (a JSON
object's keys, a CSV header, a worksheet's header row) decide, not its name:

* a key only another platform's MediaCrawler records have (``aweme_id`` is Douyin's,
  ``tieba_name`` Tieba's …) makes the file that platform's, skipped whole with the reason;
* MediaCrawler's RedNote keys make it RedNote notes, comments or creators.

The keys are read from MediaCrawler's own store code of every vintage from 2024-01 to 2026-07
(``store/<platform>/__init__.py``, ``model/m_zhihu.py``, ``model/m_baidu_tieba.py``): the
platform keys below never occur in a RedNote record of any vintage, and every vintage's records
of that platform carry one of them. When the keys say nothing (a torn first record, an empty
file) the caller falls back on the file's name.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from rednote_dagster.lib.xhs.readers import UTF16_BOMS

# How much of a file a peek reads: a first record of a JSON array or a JSONL line is a few kB; a note
# whose first record is larger than this is left to the file's name.
PEEK_BYTES = 1 * 2**20
MEDIACRAWLER_SUFFIXES = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".xlsx": "xlsx"}

# MediaCrawler's item words, for the reasons
ITEM_WORDS = {"note": "contents", "comment": "comments", "creator": "creators"}

# Keys only that platform's MediaCrawler records have (store/<platform>/__init__.py, 2024-01 → 2026-07).
# Checked in this order: Tieba before Zhihu (both write user_nickname, only Tieba tieba_name).
OTHER_PLATFORM_KEYS: tuple[tuple[str, frozenset[str]], ...] = (
    (
        "Douyin",
        frozenset(
            {"aweme_id", "aweme_type", "aweme_url", "sec_uid", "short_user_id", "user_unique_id", "videos_count"}
        ),
    ),
    ("Weibo", frozenset({"comments_count", "shared_count", "create_date_time", "comment_like_count", "profile_url"})),
    ("Tieba", frozenset({"tieba_name", "tieba_id", "tieba_link", "total_replay_num", "registration_duration"})),
    (
        "Zhihu",
        frozenset(
            {
                "content_id",
                "content_text",
                "voteup_count",
                "url_token",
                "user_url_token",
                "anwser_count",
                "user_nickname",
            }
        ),
    ),
    (
        "Bilibili",
        frozenset(
            {
                "video_play_count",
                "video_danmaku",
                "video_comment",
                "video_coin_count",
                "video_favorite_count",
                "total_fans",
                "user_rank",
                "is_official",
                "dynamic_id",
                "up_id",
                "sign",
                "sex",
            }
        ),
    ),
    ("Kuaishou", frozenset({"viewd_count", "video_play_url"})),
)
# Bilibili and Kuaishou both key videos and comments by video_id; a Bilibili comment also has a
# like_count or parent_comment_id, a Kuaishou one never.
VIDEO_KEY = "video_id"

# RedNote: what every vintage's record of the entity has (2024-01 → 2026-07), minus what a
# researcher may have cut (the id columns: the note id is then in note_url).
CRAWL_TIME = "last_modify_ts"  # MediaCrawler's mark: every record of every platform and vintage
NOTE_IDS = frozenset({"note_id", "note_url"})
NOTE_ONLY = frozenset(
    {"time", "type", "title", "liked_count", "collected_count", "share_count", "image_list", "last_update_time"}
)
COMMENT_TIME = "create_time"
# Creators: RedNote's have tag_list and interaction; Weibo's have no interaction, Kuaishou's no tag_list.
CREATOR_COUNTS = frozenset({"fans", "follows"})


@dataclass(frozen=True)
class Verdict:
    """What the keys say: a RedNote entity, or another platform's records (``other`` is the reason)."""

    entity: str | None = None
    other: str | None = None


def judge_keys(keys: set[str]) -> Verdict | None:
    """The verdict on a record with these keys; None when they say nothing either way."""
    keys = {k.strip() for k in keys if isinstance(k, str)}
    entity = _entity_word(keys)
    for platform, platform_keys in OTHER_PLATFORM_KEYS:
        if keys & platform_keys:
            return _other(platform, entity)
    if VIDEO_KEY in keys:
        is_bilibili = entity != "comment" or keys & {"like_count", "parent_comment_id"}
        return _other("Bilibili" if is_bilibili else "Kuaishou", entity)
    if "comment_id" in keys and keys & NOTE_IDS and keys & {COMMENT_TIME, CRAWL_TIME}:
        return Verdict(entity="comment")
    if CRAWL_TIME in keys and keys & NOTE_IDS and keys & NOTE_ONLY and "comment_id" not in keys:
        return Verdict(entity="note")
    if keys >= CREATOR_COUNTS and not keys & NOTE_IDS:
        if "interaction" in keys and "tag_list" in keys:
            return Verdict(entity="creator")
        if "interaction" in keys:
            return _other("Kuaishou", "creator", "no tag_list column, which RedNote's have")
        if "tag_list" in keys:
            return _other("Weibo", "creator", "no interaction column, which RedNote's have")
    return None


def _entity_word(keys: set[str]) -> str:
    if "comment_id" in keys:
        return "comment"
    if keys & (CREATOR_COUNTS | {"total_fans", "registration_duration"}) and not keys & (NOTE_IDS | {VIDEO_KEY}):
        return "creator"
    return "note"


def _other(platform: str, entity: str, why: str = "") -> Verdict:
    reason = f"{platform} {ITEM_WORDS[entity]}, not RedNote"
    return Verdict(other=f"{reason} ({why})" if why else reason)


# --- the first record of a file --------------------------------------------------------------------


class Unreadable(OSError):
    """The file could not be opened or read; ``str(err)`` is the reason, without the path."""


def _read_head(path: Path, limit: int = PEEK_BYTES) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(limit)
    except OSError as err:
        raise Unreadable(f"cannot read file: {err.strerror or type(err).__name__}") from None


def _head_text(head: bytes) -> str | None:
    """The start of a file as text, in the encoding ``readers.decode`` would read the whole in; a
    character cut at the end of the head is left out. None when no supported encoding reads it."""
    if head.startswith(UTF16_BOMS):
        codecs_to_try = ("utf-16",)
    else:
        codecs_to_try = ("utf-8-sig", "gb18030")
    for codec in codecs_to_try:
        try:
            return codecs.getincrementaldecoder(codec)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
    return None


def first_record_keys(path: Path) -> list[tuple[str | None, set[str]]] | None:
    """``[(sheet, keys)]``: the keys of the first record of a JSON array or JSON/JSONL file, a CSV's
    header, or each worksheet's header row; an empty list for a file that holds no record; None when
    the start of the file cannot be read as any of those. Raises ``Unreadable``."""
    fmt = MEDIACRAWLER_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        return None
    if fmt == "xlsx":
        return _sheet_headers(path)
    head = _read_head(path)
    text = _head_text(head)
    if text is None:
        return None
    if fmt == "csv":
        return _csv_header(text)
    return _json_keys(text)


_WS = re.compile(r"[ \t\r\n]*")
_DECODER = json.JSONDecoder()


def _json_keys(text: str) -> list[tuple[str | None, set[str]]] | None:
    pos = _WS.match(text).end()
    if pos == len(text):
        return []  # empty
    if text[pos] == "[":
        pos = _WS.match(text, pos + 1).end()
        if text[pos : pos + 1] == "]":
            return []
    try:
        first, _ = _DECODER.raw_decode(text, pos)
    except (ValueError, RecursionError):  # torn, cut by the peek, or nested too deep to judge
        return None
    return [(None, set(first))] if isinstance(first, dict) else None


def _csv_header(text: str) -> list[tuple[str | None, set[str]]] | None:
    try:
        rows = csv.reader(io.StringIO(text, newline=""))
        header = next((row for row in rows if row and any(c.strip() for c in row)), None)
    except csv.Error:
        return None
    return [(None, set(header))] if header else []


def _sheet_headers(path: Path) -> list[tuple[str | None, set[str]]] | None:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except OSError as err:
        raise Unreadable(f"cannot read file: {err.strerror or type(err).__name__}") from None
    except Exception:  # not a workbook openpyxl can open: the name may still say what it is
        return None
    try:
        found = []
        for sheet in book.worksheets:
            sheet.reset_dimensions()  # a stale <dimension> could cut the header short
            first = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
            found.append((sheet.title, {str(v).strip() for v in first if v is not None}))
        return found
    except Exception:
        return None
    finally:
        book.close()


def judge_file(path: Path) -> list[tuple[str | None, Verdict | None]] | None:
    """The verdict on each part of a file (a worksheet, or the whole file: sheet None); None when
    the start of the file cannot be read as a record file at all. Raises ``Unreadable``."""
    found = first_record_keys(path)
    if not found:
        return None
    return [(sheet, judge_keys(keys)) for sheet, keys in found]
