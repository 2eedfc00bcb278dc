"""MediaCrawler records for tests, in MediaCrawler's key order (format notes §3–§6).

Values are the raw forms MediaCrawler writes (count strings, int 0 defaults, ms epochs).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

NOTE_KEYS = (
    "note_id",
    "type",
    "title",
    "desc",
    "video_url",
    "time",
    "last_update_time",
    "user_id",
    "nickname",
    "avatar",
    "liked_count",
    "collected_count",
    "comment_count",
    "share_count",
    "ip_location",
    "image_list",
    "tag_list",
    "last_modify_ts",
    "note_url",
    "source_keyword",
    "xsec_token",
)


def hex_id(n: int, prefix: str = "6785219f") -> str:
    return f"{prefix}{n:016x}"


def note(n: int, user: int = 1, *, liked="44", crawl_ms=1737300000000, keyword="tt refugee", **over) -> dict:
    rec = {
        "note_id": hex_id(n, "67890abc"),
        "type": "normal",
        "title": "",
        "desc": f"note {n} #TikTokRefugee[话题]#",
        "video_url": "",
        "time": 1737266400000 + n * 60_000,
        "last_update_time": 0,
        "user_id": hex_id(user),
        "nickname": f"Nickname{user:04d}",
        "avatar": f"https://sns-avatar.example/{user}",
        "liked_count": liked,
        "collected_count": "3",
        "comment_count": "2",
        "share_count": "1",
        "ip_location": "美国",
        "image_list": "http://img/a,http://img/b",
        "tag_list": "TikTokRefugee",
        "last_modify_ts": crawl_ms,
        "note_url": f"https://www.xiaohongshu.com/explore/{n}?xsec_token=None&xsec_source=pc_search",
        "source_keyword": keyword,
        "xsec_token": "tok",
    }
    rec.update(over)
    return rec


def head_note(n: int, user: int = 1, **over) -> dict:
    """HEAD-era ("teaching edition") note: no user_id/avatar/ip_location, creator_hash, masked nickname."""
    rec = note(n, user, **over)
    user_id = rec.pop("user_id")
    rec.pop("avatar"), rec.pop("ip_location")
    out = {}
    for key, value in rec.items():
        out[key] = value
        if key == "last_update_time":
            out["creator_hash"] = hashlib.sha256(user_id.encode()).hexdigest()[:16]
    name = out["nickname"]
    out["nickname"] = name[0] + "***" + name[-1]
    return out


def comment(
    n: int, note_n: int, user: int = 2, *, parent=0, like="17", sub="0", crawl_ms=1737300000000, **over
) -> dict:
    rec = {
        "comment_id": hex_id(n, "6790aaaa"),
        "create_time": 1737270000000 + n * 1000,
        "ip_location": "广东",
        "note_id": hex_id(note_n, "67890abc"),
        "content": f"评论 {n} [笑哭R]",
        "user_id": hex_id(user),
        "nickname": f"Nickname{user:04d}",
        "avatar": f"https://sns-avatar.example/{user}",
        "sub_comment_count": sub,
        "pictures": "",
        "parent_comment_id": parent,
        "last_modify_ts": crawl_ms,
        "like_count": like,
    }
    rec.update(over)
    return rec


def creator(user: int, *, fans="1.2万", crawl_ms=1737300000000, **over) -> dict:
    rec = {
        "user_id": hex_id(user),
        "nickname": f"Nickname{user:04d}",
        "gender": "女",
        "avatar": f"https://sns-avatar.example/{user}",
        "desc": "bio",
        "ip_location": "美国",
        "follows": "16",
        "fans": fans,
        "interaction": "2.9万",
        "tag_list": json.dumps({"info": None, "location": "美国"}, ensure_ascii=False),
        "last_modify_ts": crawl_ms,
    }
    rec.update(over)
    return rec


def write_json(path: Path, records: list[dict], *, indent: int | None = 4) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(records, ensure_ascii=False, indent=indent), encoding="utf-8")
    return path


def write_jsonl(path: Path, records: list[dict], *, torn_tail: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records) + torn_tail
    path.write_text(text, encoding="utf-8")
    return path


def write_csv(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=list(records[0].keys()))
    writer.writeheader()
    writer.writerows(records)
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))
    return path


def write_xlsx(path: Path, sheets: dict[str, list[dict]]) -> Path:
    """A workbook the way MediaCrawler's Excel store writes one: a header row per sheet, None as ""."""
    from openpyxl import Workbook

    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    book.remove(book.active)
    for name, records in sheets.items():
        sheet = book.create_sheet(name)
        sheet.append(list(records[0].keys()))
        for record in records:
            sheet.append(["" if v is None else v if isinstance(v, (int, float)) else str(v) for v in record.values()])
    book.save(path)
    return path
