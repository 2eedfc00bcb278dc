"""cv-cat/Spider_XHS output: its Excel exports and its per-note ``info.json``, as MediaCrawler records.

What the tool writes (``xhs_utils/data_util.py``; cv-cat/Spider_XHS a344270 2025-03-18 to
0e5547a 2026-06-30, and the English fork Jackmeson1/Spider_XHS 052da55 2025-06-13):

* ``save_to_xlsx``: one worksheet, a header row, then ``str(value)`` of every field of
  ``handle_note_info`` / ``handle_comment_info`` / ``handle_user_info``: so ``None`` is the text
  "None" and a list is its Python text ``"['a', 'b']"``. cv-cat writes Chinese headers; the
  English fork writes its own English names in the same column order.
* ``download_note``: ``{nickname}_{user_id}/{title}_{note_id}/info.json``, one line,
  ``json.dumps(note_info)``: the same note fields under their dict keys, lists as JSON lists.

Conversions to MediaCrawler's fields (format notes §3–§5):

* ``上传时间`` / ``upload_time`` is local wall-clock text (``time.localtime``): read in
  ``ASSUMED_CRAWL_TIMEZONE`` and given as epoch ms (``time``; ``create_time`` for comments).
* ``笔记类型`` 图集 / 视频 (English fork: image_collection / video) is ``type`` normal / video.
* The tool's placeholders are blanks: title 无标题 / Untitled (stored as NULL, which in the
  current-crawl views keeps a title an earlier crawl knew), ip_location 未知 / unknown, gender
  未知 / unknown, and "None".
* Counts are the API's display strings ("1.2万"), as in MediaCrawler: normalize parses them.
* The tool records no crawl time: ``last_modify_ts`` is the workbook's own "modified" stamp
  (openpyxl writes the save time, UTC), and the file's mtime for ``info.json``.
* Not written by the tool, so absent: ``last_update_time``, ``source_keyword``, comments'
  ``sub_comment_count`` and ``parent_comment_id``; a user's ``tags`` (names without MediaCrawler's
  tag types) are not mapped to ``tag_list``.

Spider_XHS before 2025-03-18 wrote only media files and ``detail.txt``; those are not read.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from rednote_dagster.lib.xhs.tools.common import (
    SPIDER_XHS,
    Found,
    NotAList,
    ToolError,
    ToolRecord,
    cell_text,
    file_written_ms,
    joined_list,
    local_time_ms,
    raw_fingerprint,
)

TOOL = SPIDER_XHS

# The tool's field keys (the dicts of handle_note_info / handle_comment_info / handle_user_info),
# in save_to_xlsx's column order, and the header each vintage writes for them.
NOTE_KEYS = (
    "note_id",
    "note_url",
    "note_type",
    "user_id",
    "home_url",
    "nickname",
    "avatar",
    "title",
    "desc",
    "liked_count",
    "collected_count",
    "comment_count",
    "share_count",
    "video_cover",
    "video_addr",
    "image_list",
    "tags",
    "upload_time",
    "ip_location",
)
COMMENT_KEYS = (
    "note_id",
    "note_url",
    "comment_id",
    "user_id",
    "home_url",
    "nickname",
    "avatar",
    "content",
    "show_tags",
    "like_count",
    "upload_time",
    "ip_location",
    "pictures",
)
USER_KEYS = (
    "user_id",
    "home_url",
    "nickname",
    "avatar",
    "red_id",
    "gender",
    "ip_location",
    "desc",
    "follows",
    "fans",
    "interaction",
    "tags",
)
HEADERS = {
    ("note", "zh"): (
        "笔记id",
        "笔记url",
        "笔记类型",
        "用户id",
        "用户主页url",
        "昵称",
        "头像url",
        "标题",
        "描述",
        "点赞数量",
        "收藏数量",
        "评论数量",
        "分享数量",
        "视频封面url",
        "视频地址url",
        "图片地址url列表",
        "标签",
        "上传时间",
        "ip归属地",
    ),
    ("comment", "zh"): (
        "笔记id",
        "笔记url",
        "评论id",
        "用户id",
        "用户主页url",
        "昵称",
        "头像url",
        "评论内容",
        "评论标签",
        "点赞数量",
        "上传时间",
        "ip归属地",
        "图片地址url列表",
    ),
    ("creator", "zh"): (
        "用户id",
        "用户主页url",
        "用户名",
        "头像url",
        "小红书号",
        "性别",
        "ip地址",
        "介绍",
        "关注数量",
        "粉丝数量",
        "作品被赞和收藏数量",
        "标签",
    ),
    ("note", "en"): (
        "note_id",
        "note_url",
        "note_type",
        "user_id",
        "user_home_url",
        "nickname",
        "avatar_url",
        "title",
        "desc",
        "like_count",
        "collect_count",
        "comment_count",
        "share_count",
        "video_cover_url",
        "video_url",
        "image_urls",
        "tags",
        "upload_time",
        "ip_location",
    ),
    ("comment", "en"): (
        "note_id",
        "note_url",
        "comment_id",
        "user_id",
        "user_home_url",
        "nickname",
        "avatar_url",
        "content",
        "comment_tags",
        "like_count",
        "upload_time",
        "ip_location",
        "image_urls",
    ),
    ("creator", "en"): (
        "user_id",
        "home_url",
        "nickname",
        "avatar_url",
        "red_id",
        "gender",
        "ip_location",
        "desc",
        "follow_count",
        "fan_count",
        "interaction_count",
        "tags",
    ),
}
KEYS = {"note": NOTE_KEYS, "comment": COMMENT_KEYS, "creator": USER_KEYS}
# Headers that together say "this sheet is Spider_XHS's", and none of which MediaCrawler writes:
# a sheet may lack other columns (a researcher deleted the avatars) and still be read.
SIGNATURES = {
    ("note", "zh"): {"笔记id", "笔记类型", "上传时间"},
    ("comment", "zh"): {"笔记id", "评论id", "上传时间"},
    ("creator", "zh"): {"用户id", "小红书号", "粉丝数量"},
    ("note", "en"): {"note_id", "note_type", "upload_time"},
    ("comment", "en"): {"note_id", "comment_id", "upload_time"},
    ("creator", "en"): {"user_id", "red_id", "fan_count"},
}
# info.json: handle_note_info's dict, whatever the vintage
INFO_SIGNATURE = {"note_id", "note_type", "home_url", "upload_time"}
INFO_MAX_BYTES = 4 * 2**20  # a note's info.json is a few kB; anything far larger is not one

NOTE_TYPES = {"图集": "normal", "视频": "video", "image_collection": "normal", "video": "video"}
# what the tool writes when the API gave nothing (str(None), and the defaults of handle_*_info)
PLACEHOLDERS = {
    "title": ("无标题", "Untitled"),
    "ip_location": ("未知", "unknown"),
    "gender": ("未知", "unknown"),
}
GENDERS = {"男": "男", "女": "女", "male": "Male", "female": "Female"}


def _header_layout(header: list[str]) -> tuple[str, str] | None:
    names = {h.strip() for h in header}
    for layout, signature in SIGNATURES.items():
        if signature <= names:
            return layout
    return None


def _sheet_header(sheet) -> list[str]:
    first = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
    return ["" if v is None else str(v).strip() for v in first]


def peek(path: Path) -> Found | None:
    """The Spider_XHS sheets of a workbook (entity, sheet name), or ``[("note", None)]`` for an
    ``info.json``; None for anything else."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _peek_workbook(path)
    if suffix == ".json":
        return [("note", None)] if _info_json(path) is not None else None
    return None


def _peek_workbook(path: Path) -> Found | None:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # not a workbook openpyxl can open: not this tool's
        return None
    try:
        found = []
        for sheet in book.worksheets:
            layout = _header_layout(_sheet_header(sheet))
            if layout is not None:
                found.append((layout[0], sheet.title))
        return found or None
    finally:
        book.close()


def encoding(path: Path) -> str:
    """'xlsx' for a workbook; an info.json is what ``json.dumps`` writes: ASCII, so UTF-8."""
    return "xlsx" if path.suffix.lower() == ".xlsx" else "utf-8"


def _info_json(path: Path) -> dict | None:
    """The note of an info.json, or None when the file is not one."""
    try:
        if path.stat().st_size > INFO_MAX_BYTES:
            return None
        data = path.read_bytes()
        if not data.lstrip().startswith(b"{"):  # a JSON array (MediaCrawler's) is never parsed here
            return None
        value = json.loads(data)
    except (OSError, ValueError, RecursionError):
        return None
    if isinstance(value, dict) and value.keys() >= INFO_SIGNATURE:
        return value
    return None


def read(path: Path, entity: str, part: str | None) -> Iterator[ToolRecord | ToolError]:
    """Every record of one part that ``peek`` found."""
    if part is None:
        note = _info_json(path)
        if note is None:  # changed since peek
            yield ToolError(0, "not a Spider_XHS info.json any more", raw_fingerprint(None), TOOL)
            return
        yield _converted(0, "note", note, file_written_ms(path), note)
        return
    yield from _read_sheet(path, entity, part)


def _read_sheet(path: Path, entity: str, sheet_name: str) -> Iterator[ToolRecord | ToolError]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        crawled_ms = _workbook_written_ms(book, path)
        sheet = book[sheet_name]
        sheet.reset_dimensions()  # read every row, whatever a stale <dimension> claims
        rows = sheet.iter_rows(values_only=True)
        header = ["" if v is None else str(v).strip() for v in next(rows, ())]
        layout = _header_layout(header)
        if layout is None or layout[0] != entity:
            yield ToolError(0, f"sheet is not a Spider_XHS {entity} sheet any more", raw_fingerprint(header), TOOL)
            return
        by_header = dict(zip(HEADERS[layout], KEYS[entity]))
        columns = [by_header.get(h) for h in header]
        index = 0
        for row in rows:
            values = [cell_text(v) for v in row]
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue  # a blank row is no record
            extra = values[len(columns) :]
            if any(v is not None and str(v).strip() for v in extra):
                yield ToolError(
                    index, f"row has values beyond the header's {len(columns)} columns", raw_fingerprint(row), TOOL
                )
            else:
                tool_fields = {key: value for key, value in zip(columns, values) if key is not None}
                yield _converted(index, entity, tool_fields, crawled_ms, row)
            index += 1
    finally:
        book.close()


def _workbook_written_ms(book, path: Path) -> int:
    """When the workbook was saved: its core properties' "modified" (openpyxl and Excel write it, in
    UTC), else "created", else the file's mtime."""
    stamp = book.properties.modified or book.properties.created
    if isinstance(stamp, dt.datetime):
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=dt.UTC)
        return round(stamp.timestamp() * 1000)
    return file_written_ms(path)


def _blank(key: str, value: object) -> object:
    """The value, or None where the tool wrote a placeholder for nothing."""
    if isinstance(value, str) and (value.strip() == "None" or value.strip() in PLACEHOLDERS.get(key, ())):
        return None
    return value


def _converted(
    index: int, entity: str, tool_fields: dict[str, object], crawled_ms: int, raw: object
) -> ToolRecord | ToolError:
    fields = {key: _blank(key, value) for key, value in tool_fields.items()}
    try:
        record = {"note": _note, "comment": _comment, "creator": _creator}[entity](fields)
    except _Unconvertible as err:
        return ToolError(index, str(err), raw_fingerprint(raw), TOOL)
    record["last_modify_ts"] = crawled_ms
    return ToolRecord(index, record, TOOL)


class _Unconvertible(ValueError):
    """A field whose value the tool cannot have written; ``str(err)`` names the field only."""


def _copy(fields: dict, out: dict, pairs: tuple[tuple[str, str], ...]) -> None:
    """``out[mediacrawler_name] = fields[tool_name]`` for every tool field the file has."""
    for tool_name, name in pairs:
        if tool_name in fields:
            out[name] = fields[tool_name]


def _text(value: object) -> object:
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _time(fields: dict, out: dict, name: str) -> None:
    if "upload_time" not in fields:
        return
    value = fields["upload_time"]
    if value is None or (isinstance(value, str) and not value.strip()):
        out[name] = None  # normalize rejects it: "<name> missing"
        return
    ms = local_time_ms(value)
    if ms is None:
        raise _Unconvertible("upload_time is not a local 'YYYY-MM-DD HH:MM:SS' time")
    out[name] = ms


def _list(fields: dict, out: dict, tool_name: str, name: str) -> None:
    if tool_name in fields:
        try:
            out[name] = joined_list(fields[tool_name])
        except NotAList:
            raise _Unconvertible(f"{tool_name} is not a list") from None


def _note(fields: dict) -> dict:
    out: dict[str, object] = {}
    _copy(fields, out, (("note_id", "note_id"),))
    if "note_type" in fields:
        raw_type = fields["note_type"]
        if raw_type is None:
            out["type"] = None
        elif str(raw_type).strip() in NOTE_TYPES:
            out["type"] = NOTE_TYPES[str(raw_type).strip()]
        else:
            raise _Unconvertible("note_type is neither 图集 nor 视频")
    _copy(fields, out, (("title", "title"), ("desc", "desc")))
    if "title" in out and out["title"] is None:
        out["title"] = ""  # an untitled note: normalize stores its title as NULL
    if "video_addr" in fields:
        out["video_url"] = fields["video_addr"] or ""
    _time(fields, out, "time")
    _copy(fields, out, (("user_id", "user_id"), ("nickname", "nickname"), ("avatar", "avatar")))
    for count in ("liked_count", "collected_count", "comment_count", "share_count"):
        if count in fields:
            out[count] = _text(fields[count])
    _copy(fields, out, (("ip_location", "ip_location"),))
    _list(fields, out, "image_list", "image_list")
    _list(fields, out, "tags", "tag_list")
    _copy(fields, out, (("note_url", "note_url"),))
    return out


def _comment(fields: dict) -> dict:
    out: dict[str, object] = {}
    _copy(fields, out, (("comment_id", "comment_id"),))
    _time(fields, out, "create_time")
    _copy(fields, out, (("ip_location", "ip_location"), ("note_id", "note_id"), ("content", "content")))
    _copy(fields, out, (("user_id", "user_id"), ("nickname", "nickname"), ("avatar", "avatar")))
    _list(fields, out, "pictures", "pictures")
    if "like_count" in fields:
        out["like_count"] = _text(fields["like_count"])
    _copy(fields, out, (("note_url", "note_url"),))
    return out


def _creator(fields: dict) -> dict:
    out: dict[str, object] = {}
    _copy(fields, out, (("user_id", "user_id"), ("nickname", "nickname")))
    if "gender" in fields:
        out["gender"] = GENDERS.get(str(fields["gender"]).strip()) if fields["gender"] is not None else None
    _copy(fields, out, (("avatar", "avatar"), ("desc", "desc"), ("ip_location", "ip_location")))
    for count in ("follows", "fans", "interaction"):
        if count in fields:
            out[count] = _text(fields[count])
    return out


_USER_ID = re.compile(r"[0-9a-fA-F]{24}")
# download_note's folders, `{nickname}_{user_id}` and `{title}_{note_id}` (norm_str'd, cut to 20 / 40)
PERSON_FOLDER = re.compile(r"^.+_[0-9a-fA-F]{24}$")
# what download_note and save_user_detail write beside info.json: detail.txt, image_N.jpg, cover.jpg, video.mp4
MEDIA_FILES = re.compile(r"^(?:detail\.txt|(?:image_\d+|cover)\.jpg|video\.mp4)$")


def is_media(relative_path: str) -> bool:
    """Whether the file is one download_note or save_user_detail wrote beside a note's info.json
    (its text, images or video), in a folder named after a person or a note: nothing to ingest."""
    *folders, name = relative_path.split("/")
    return bool(folders) and PERSON_FOLDER.match(folders[-1]) is not None and MEDIA_FILES.match(name) is not None


def private_relative_path(relative_path: str, keyed: Callable[[str], str]) -> str:
    """The path to store as a Spider_XHS file's ``source_file``: the tool names files after people.

    ``download_note`` writes ``{nickname}_{user_id}/{title}_{note_id}/info.json`` and
    ``spider_user_all_note`` names a workbook after the user id (``{user_id}.xlsx``). Those parts
    become ``keyed(part)`` (give ``Pseudonymizer.author_key``: without the key it cannot be
    computed from the name or id), as does any other folder named like download_note's
    (``…_<24 hex>``); every other part of the path is kept.
    """
    parts = relative_path.split("/")
    if parts[-1] == "info.json" and len(parts) >= 3:
        parts[-3:-1] = [f"note-{keyed('/'.join(parts[-3:-1]))[:16]}"]
    parts[:-1] = [f"folder-{keyed(part)[:16]}" if PERSON_FOLDER.match(part) else part for part in parts[:-1]]
    stem, dot, extension = parts[-1].rpartition(".")
    if dot and _USER_ID.search(stem):
        parts[-1] = f"user-{keyed(stem)[:16]}.{extension}"
    return "/".join(parts)
