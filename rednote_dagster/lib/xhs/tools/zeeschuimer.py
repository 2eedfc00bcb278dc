"""Zeeschuimer captures of RedNote and 4CAT's RedNote datasets, as MediaCrawler records.

What the tools write (digitalmethodsinitiative/zeeschuimer 920223b 2025-02-17 to ffa2781
2026-06-30; digitalmethodsinitiative/4cat 34b8409ab 2025-02-17 to 227bead1d 2026-08-19):

* Zeeschuimer ``.ndjson`` (``popup/interface.js::get_ndjson_blob``): one stored item per line,
  ``{id, nav_index, item_id, timestamp_collected, last_updated, source_platform,
  source_platform_url, source_url, user_agent, data}``. ``source_platform`` is the module id:
  ``xiaohongshu.com`` for notes (``modules/rednote.js``), ``xiaohongshu-comments`` for comments
  (``modules/rednote-comments.js``, from 1e1e895 2025-03-12). ``data`` is the raw RedNote object:
  an explore/feed item ``{id, model_type: "note", note_card, xsec_token}``, a user-page item
  ``{type: "video", note_id, …}``, a post page's embedded ``{id, note: {camelCase…}}``, an item
  scraped from the HTML (``_zs-origin: "html"``), or a raw API comment.
* 4CAT's dataset ``.ndjson`` (``backend/lib/search.py`` / ``common/lib/helpers.py::format_import_item``):
  the same items as ``{**data, "__import_meta": {everything else}}``.
* 4CAT's CSV (``datasources/xiaohongshu/search_rednote.py`` and
  ``xiaohongshu_comments/search_rednote_comments.py``, ``map_item``): ``id, thread_id, url,
  title, body, hashtags, timestamp, author, author_avatar_url, image_urls | image_url, video_url,
  likes, unix_timestamp`` (comments: ``body, ip_location, likes, replies``) with
  ``collected_from_url`` and ``missing_fields``, comma-separated. Zeeschuimer's own CSV export
  (2fadc0a, 2026-04-29) runs the same ``map_item`` and separates with ``;``.

Conversions to MediaCrawler's fields (format notes §1, §3, §4) follow MediaCrawler's own rules for
the same API objects: counts stay the API's display strings, ``image_list`` is the comma-joined
``url_default`` (else ``url``) of the images, ``tag_list`` the names of the ``topic`` tags,
``video_url`` the origin-key URL (else the stream URLs), a post page's camelCase keys are
decamelized as MediaCrawler does, ``parent_comment_id`` is ``target_comment.id`` (0 for a top-level
comment), and replies shown under a captured comment (``sub_comments``) are records of their own.
The crawl time (``last_modify_ts``) is the capture's ``last_updated`` (else
``timestamp_collected``); a CSV keeps none unless 4CAT's NDJSON-to-CSV conversion flattened
``__import_meta``, so there it is the file's mtime. A note captured on a search page gets the
page's ``keyword`` as ``source_keyword``. Search-result and user-page tiles carry no publish time
or text: normalize rejects them (``time missing``), as 4CAT flags them as missing fields.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from rednote_dagster.lib.xhs.readers import Undecodable, decode, fingerprint
from rednote_dagster.lib.xhs.tools.common import (
    FOUR_CAT,
    ZEESCHUIMER,
    Found,
    ToolError,
    ToolRecord,
    file_written_ms,
)

PLATFORMS = {"xiaohongshu.com": "note", "xiaohongshu-comments": "comment"}  # Zeeschuimer module ids
ZEESCHUIMER_NDJSON, FOUR_CAT_NDJSON = "zeeschuimer-ndjson", "4cat-ndjson"
FOUR_CAT_CSV, ZEESCHUIMER_CSV = "4cat-csv", "zeeschuimer-csv"
TOOL_OF_PART = {
    ZEESCHUIMER_NDJSON: ZEESCHUIMER,
    FOUR_CAT_NDJSON: FOUR_CAT,
    FOUR_CAT_CSV: FOUR_CAT,
    ZEESCHUIMER_CSV: ZEESCHUIMER,
}
# map_item's columns that every RedNote row has (note, comment): header ⊇ these and the first row's
# url is on xiaohongshu.com
CSV_SIGNATURES = {
    "note": {"id", "thread_id", "url", "title", "body", "author", "likes", "unix_timestamp"},
    "comment": {"id", "thread_id", "url", "body", "author", "likes", "replies", "unix_timestamp"},
}
PEEK_LINE_BYTES = 16 * 2**20  # the first capture of a post page can be a few MB of JSON
PEEK_CSV_BYTES = 256 * 2**10
RED_NOTE_URL = re.compile(r"^https?://(?:www\.)?xiaohongshu\.com/")
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def source_tool(part: str) -> str:
    return TOOL_OF_PART[part]


# --- recognising -----------------------------------------------------------------------------


def peek(path: Path) -> Found | None:
    """``[(entity, layout)]`` for a Zeeschuimer or 4CAT RedNote NDJSON or CSV, else None."""
    is_csv = path.suffix.lower() == ".csv"
    try:
        with path.open("rb") as handle:
            if not is_csv and not handle.read(64).removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"{"):
                return None  # no JSON object first (a JSON array, a workbook, a database): not a capture
            handle.seek(0)
            head = handle.read(PEEK_CSV_BYTES) if is_csv else handle.readline(PEEK_LINE_BYTES)
    except OSError:
        return None
    if is_csv:
        return _peek_csv(head)
    try:
        first = json.loads(decode(head)[0])
    except (Undecodable, ValueError, RecursionError):
        return None
    found = _ndjson_layout(first)
    return [found] if found else None


def _ndjson_layout(item: object) -> tuple[str, str] | None:
    if not isinstance(item, dict):
        return None
    if isinstance(item.get("data"), dict) and item.get("source_platform") in PLATFORMS:
        return PLATFORMS[item["source_platform"]], ZEESCHUIMER_NDJSON
    meta = item.get("__import_meta")
    if isinstance(meta, dict) and meta.get("source_platform") in PLATFORMS:
        return PLATFORMS[meta["source_platform"]], FOUR_CAT_NDJSON
    return None


def _peek_csv(head: bytes) -> Found | None:
    cut = head.rfind(b"\n")
    try:
        text = decode(head[: cut + 1] if cut >= 0 else head)[0].decode()
    except Undecodable:
        return None
    rows = _csv_rows(text)
    try:
        header = next(rows, None)
        first = next(rows, None)
    except csv.Error:  # a NUL byte, say: not a CSV export
        return None
    if not header:
        return None
    names = set(header)
    entity = next((e for e, signature in CSV_SIGNATURES.items() if signature <= names and _other(e) not in names), None)
    if entity is None:
        return None
    if first is not None and not RED_NOTE_URL.match(dict(zip(header, first)).get("url", "")):
        return None
    return [(entity, ZEESCHUIMER_CSV if _delimiter(text) == ";" else FOUR_CAT_CSV)]


def _other(entity: str) -> str:
    # a note row has a title and no replies column; a comment row the other way round
    return "replies" if entity == "note" else "title"


def _delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _csv_rows(text: str) -> Iterator[list[str]]:
    return csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))


def encoding(path: Path) -> str:
    """The encoding the file is read as (readers.decode's name), or 'undecodable'."""
    try:
        return decode(path.read_bytes())[1]
    except Undecodable:
        return "undecodable"


# --- reading ---------------------------------------------------------------------------------


def read(path: Path, entity: str, part: str | None) -> Iterator[ToolRecord | ToolError]:
    """Every record of a file ``peek`` recognised, in file order."""
    tool = source_tool(part or "")
    data = path.read_bytes()
    try:
        body = decode(data)[0]
    except Undecodable as err:  # the whole file is one reject, as readers.py makes it
        yield ToolError(0, str(err), fingerprint(data), tool)
        return
    if part in (FOUR_CAT_CSV, ZEESCHUIMER_CSV):
        yield from _read_csv(path, body.decode(), entity, tool)
    else:
        yield from _read_ndjson(body, entity, part, tool)


def _read_ndjson(body: bytes, entity: str, part: str | None, tool: str) -> Iterator[ToolRecord | ToolError]:
    index = 0
    for line in body.split(b"\n"):
        if not line.strip():
            continue
        try:
            capture = json.loads(line)
        except RecursionError:
            yield ToolError(index, "capture is nested too deeply to read", fingerprint(line), tool)
            index += 1
            continue
        except ValueError:
            yield ToolError(index, "invalid JSON (torn or truncated line)", fingerprint(line), tool)
            index += 1
            continue
        layout = _ndjson_layout(capture)
        if layout is None or layout[1] != part or layout[0] != entity:
            yield ToolError(index, f"not a {tool} capture of RedNote {entity}s", fingerprint(line), tool)
            index += 1
            continue
        if part == ZEESCHUIMER_NDJSON:
            meta, item = capture, capture["data"]
        else:
            item = {k: v for k, v in capture.items() if k != "__import_meta"}
            meta = capture["__import_meta"]
        crawled = meta.get("last_updated") or meta.get("timestamp_collected")
        if entity == "note":
            try:
                fields = _note(item)
            except _Unmappable as err:
                yield ToolError(index, str(err), fingerprint(line), tool)
            else:
                keyword = _search_keyword(meta.get("source_platform_url"))
                yield ToolRecord(index, fields | {"last_modify_ts": crawled, "source_keyword": keyword}, tool)
            index += 1
        else:
            for comment in _comment_and_replies(item):
                yield ToolRecord(index, _comment(comment) | {"last_modify_ts": crawled}, tool)
                index += 1


class _Unmappable(ValueError):
    """An item that holds no note; ``str(err)`` says what it is, never what it holds."""


def _decamelized(value: object) -> object:
    """Keys in snake_case, recursively, as MediaCrawler's ``humps.decamelize`` of a post page's state."""
    if isinstance(value, dict):
        return {_CAMEL.sub(r"_\1", k).lower(): _decamelized(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decamelized(v) for v in value]
    return value


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _note(post: dict) -> dict[str, object]:
    """The MediaCrawler note of one captured object (the shapes 4CAT's ``map_item`` tells apart)."""
    if post.get("_zs-origin") == "html":
        return _note_from_html(post)
    if isinstance(post.get("note"), dict):  # a post page's embedded state
        card = _dict(_decamelized(post["note"]))
        note_id, token = post.get("id") or card.get("note_id"), card.get("xsec_token")
    elif isinstance(post.get("note_card"), dict) and post.get("type") != "video":  # explore, feed, search
        card = post["note_card"]
        note_id, token = post.get("id") or card.get("note_id"), post.get("xsec_token")
    elif "user" in post:  # a user page's list item: the note is the item itself
        card = post
        note_id, token = post.get("id") or post.get("note_id"), post.get("xsec_token")
    else:
        raise _Unmappable("tile stub without post content (4CAT skips these too)")
    out: dict[str, object] = {"note_id": note_id, "type": card.get("type")}
    if "title" in card or "display_title" in card:
        out["title"] = card.get("title") if "title" in card else card.get("display_title")
    if "desc" in card:
        out["desc"] = card["desc"]
    video = _video_url(card)
    if video is not None:
        out["video_url"] = video
    for name in ("time", "last_update_time"):
        if name in card:
            out[name] = card[name]
    user = _dict(card.get("user"))
    out["user_id"] = user.get("user_id")
    out["nickname"] = user.get("nickname", user.get("nick_name"))
    out["avatar"] = user.get("avatar")
    interact = _dict(card.get("interact_info"))
    for name in ("liked_count", "collected_count", "comment_count", "share_count"):
        if name in interact:
            out[name] = interact[name]
    if "ip_location" in card:
        out["ip_location"] = card["ip_location"]
    if isinstance(card.get("image_list"), list):
        out["image_list"] = ",".join(u for u in map(_image_url, card["image_list"]) if u)
    if isinstance(card.get("tag_list"), list):
        topics = [_dict(t) for t in card["tag_list"]]
        out["tag_list"] = ",".join(str(t.get("name")) for t in topics if t.get("type") == "topic" and t.get("name"))
    if note_id:
        out["note_url"] = f"https://www.xiaohongshu.com/explore/{note_id}" + (f"?xsec_token={token}" if token else "")
    if token:
        out["xsec_token"] = token
    return out


def _note_from_html(post: dict) -> dict[str, object]:
    """What Zeeschuimer scraped from a rendered page: id, link, title, author, likes; no time."""
    out: dict[str, object] = {"note_id": post.get("id"), "title": post.get("title")}
    out["nickname"], out["avatar"] = post.get("author_name"), post.get("author_avatar_url")
    out["liked_count"] = post.get("likes")
    if post.get("url"):
        out["note_url"] = f"https://www.xiaohongshu.com{post['url']}"
    return out


def _image_url(image: object) -> str:
    """MediaCrawler's image URL (``url_default`` when set, else ``url``), else 4CAT's (the WB_DFT
    rendition, else the first)."""
    image = _dict(image)
    if image.get("url_default") or image.get("url"):
        return str(image.get("url_default") or image.get("url"))
    infos = [_dict(i) for i in image.get("info_list") or [] if isinstance(i, dict)]
    chosen = next((i for i in infos if i.get("image_scene") == "WB_DFT"), infos[0] if infos else {})
    return str(chosen.get("url") or "")


def _video_url(card: dict) -> str | None:
    """MediaCrawler's ``video_url``: the origin-key URL, else the comma-joined stream URLs; "" for an
    image note; None when a video note's capture holds no video object (unknown, not "none")."""
    video = _dict(card.get("video"))
    key = _dict(video.get("consumer")).get("origin_video_key")
    if key:
        return f"http://sns-video-bd.xhscdn.com/{key}"
    streams = _dict(_dict(video.get("media")).get("stream")).get("h264") or []
    urls = [str(_dict(s).get("master_url")) for s in streams if _dict(s).get("master_url")]
    if urls:
        return ",".join(urls)
    return "" if card.get("type") == "normal" else None


def _search_keyword(page_url: object) -> str | None:
    """The keyword of a search page (``/search_result?keyword=…``) the note was captured on."""
    if not isinstance(page_url, str):
        return None
    parts = urlsplit(page_url)
    if not parts.path.rstrip("/").endswith("/search_result"):
        return None
    return (parse_qs(parts.query).get("keyword") or [None])[0]


def _comment_and_replies(item: dict) -> Iterator[dict]:
    yield item
    for reply in item.get("sub_comments") or []:
        if isinstance(reply, dict):
            yield reply


def _comment(comment: dict) -> dict[str, object]:
    """MediaCrawler's ``update_xhs_note_comment`` applied to one raw API comment."""
    user = _dict(comment.get("user_info"))
    out: dict[str, object] = {"comment_id": comment.get("id"), "create_time": comment.get("create_time")}
    if "ip_location" in comment:
        out["ip_location"] = comment["ip_location"]
    out["note_id"], out["content"] = comment.get("note_id"), comment.get("content")
    out["user_id"], out["nickname"], out["avatar"] = user.get("user_id"), user.get("nickname"), user.get("image")
    if "sub_comment_count" in comment:
        out["sub_comment_count"] = comment["sub_comment_count"]
    if isinstance(comment.get("pictures"), list):
        out["pictures"] = ",".join(
            str(_dict(p).get("url_default")) for p in comment["pictures"] if _dict(p).get("url_default")
        )
    out["parent_comment_id"] = _dict(comment.get("target_comment")).get("id", 0)
    if "like_count" in comment:
        out["like_count"] = comment["like_count"]
    return out


# map_item column -> MediaCrawler field
CSV_NOTE_FIELDS = {
    "id": "note_id",
    "url": "note_url",
    "title": "title",
    "body": "desc",
    "hashtags": "tag_list",
    "unix_timestamp": "time",
    "author": "nickname",
    "author_avatar_url": "avatar",
    "image_urls": "image_list",
    "image_url": "image_list",
    "video_url": "video_url",
    "likes": "liked_count",
}
CSV_COMMENT_FIELDS = {
    "id": "comment_id",
    "thread_id": "note_id",
    "url": "note_url",
    "body": "content",
    "unix_timestamp": "create_time",
    "author": "nickname",
    "author_avatar_url": "avatar",
    "ip_location": "ip_location",
    "likes": "like_count",
    "replies": "sub_comment_count",
}
# where 4CAT's NDJSON-to-CSV conversion leaves the capture times (flatten_dict, '.' separator)
CSV_CRAWL_TIME_COLUMNS = ("__import_meta.last_updated", "__import_meta.timestamp_collected")


def _read_csv(path: Path, text: str, entity: str, tool: str) -> Iterator[ToolRecord | ToolError]:
    rows = _csv_rows(text)
    header = next(rows, [])
    mapping = CSV_NOTE_FIELDS if entity == "note" else CSV_COMMENT_FIELDS
    file_ms = file_written_ms(path)
    index = 0
    while True:
        try:
            row = next(rows, None)
        except csv.Error as err:  # the parser cannot go on (a NUL byte): the rest is one reject
            yield ToolError(index, f"CSV cannot be parsed from here on ({err})", fingerprint(text), tool)
            return
        if row is None:
            return
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != len(header):
            raw = io.StringIO(newline="")
            csv.writer(raw).writerow(row)
            yield ToolError(
                index, f"CSV row has {len(row)} fields, header has {len(header)}", fingerprint(raw.getvalue()), tool
            )
            index += 1
            continue
        cells = dict(zip(header, row))
        missing = {name.strip() for name in cells.get("missing_fields", "").split(",")}
        fields = {mapping[c]: v for c, v in cells.items() if c in mapping and c not in missing}
        crawled = next((cells[c] for c in CSV_CRAWL_TIME_COLUMNS if cells.get(c)), None)
        fields["last_modify_ts"] = crawled if crawled is not None else file_ms
        if entity == "note":
            fields["source_keyword"] = _search_keyword(cells.get("collected_from_url"))
        yield ToolRecord(index, fields, tool)
        index += 1
