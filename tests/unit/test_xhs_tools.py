"""Other RedNote tools' output (Spider_XHS, MediaCrawler's SQLite store, Zeeschuimer, 4CAT) read as
MediaCrawler records and typed by the real normaliser.

The samples are written the way each tool's own code writes them (field names, headers, value
forms, file layout; the module docstrings of ``rednote_dagster/lib/xhs/tools/`` cite the code);
the values are invented. Headers and expected values are spelled out here, not taken from the
modules under test, so a slip in either shows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import sqlite3
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from rednote_dagster.lib.xhs import tools
from rednote_dagster.lib.xhs.normalize import normalize, prepare
from rednote_dagster.lib.xhs.readers import FileRead
from rednote_dagster.lib.xhs.tools import mediacrawler_sqlite, spider_xhs, zeeschuimer
from rednote_dagster.lib.xhs.tools.common import ToolError, ToolRecord, local_time_ms
from tests.xhs_samples import comment, creator, hex_id, note, write_csv, write_json, write_jsonl, write_xlsx

NOTE_A, NOTE_B, NOTE_C, NOTE_D, NOTE_E = (hex_id(n, "67890abc") for n in range(1, 6))
USER_1, USER_2, USER_3, USER_5, USER_6 = (hex_id(n) for n in (1, 2, 3, 5, 6))
C1, C2, C3 = (hex_id(n, "6790aaaa") for n in range(1, 4))
# 2025-01-19 14:00:00 in China is 06:00:00 UTC
UPLOAD_TEXT, UPLOAD_MS = "2025-01-19 14:00:00", 1737266400000
PEOPLE = ("Nick One", "Nick Two", "Nick Three", "Nick Four", "Nick Five", "Nick Six", USER_1, USER_2, USER_5)


def identity(user_id: str) -> str:
    return hashlib.sha256(user_id.encode()).hexdigest()[:16]


def items(path: Path, source: tools.ToolSource) -> list[ToolRecord | ToolError]:
    return list(source.tool.read(path, source.entity, source.part))


def only(path: Path) -> tools.ToolSource:
    found = tools.recognise(path)
    assert found is not None and len(found) == 1, found
    return found[0]


def normalized(entity: str, reads: list[FileRead]) -> tuple[list[dict], list[dict]]:
    """The accepted rows and the rejects the real normaliser makes of these reads."""
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        prepare(con)
        con.register(
            "records",
            pa.table(
                {
                    "source_file": pa.array([f"f{i}" for i, r in enumerate(reads) for _ in r.texts], pa.string()),
                    "file_order": pa.array([i for i, r in enumerate(reads) for _ in r.texts], pa.int32()),
                    "record_index": pa.array([x for r in reads for x in r.indices.to_pylist()], pa.int64()),
                    "line": pa.array([t for r in reads for t in r.texts], pa.string_view()),
                }
            ),
        )
        rejects = [(f"f{i}", *rej) for i, r in enumerate(reads) for rej in r.rejects]
        con.register(
            "reader_rejects",
            pa.table(
                {
                    "source_file": pa.array([r[0] for r in rejects], pa.string()),
                    "record_index": pa.array([r[1] for r in rejects], pa.int64()),
                    "reason": pa.array([r[2] for r in rejects], pa.string()),
                    "payload": pa.array([r[3] for r in rejects], pa.string()),
                }
            ),
        )
        normalize(con, entity)
        accepted = con.sql("SELECT * FROM accepted ORDER BY 1").to_arrow_table().to_pylist()
        rejected = con.sql("SELECT * FROM rejected ORDER BY source_file, record_index").to_arrow_table().to_pylist()
        counts = con.execute("SELECT sum(accepted + duplicates) FROM file_counts").fetchone()[0] or 0
    finally:
        con.close()
    # conservation: every record read is accepted, a duplicate, or rejected
    assert counts + len(rejected) == sum(r.records_read for r in reads)
    return accepted, rejected


def assert_conserved(read: FileRead, yielded: list) -> None:
    records = [i for i in yielded if isinstance(i, ToolRecord)]
    errors = [i for i in yielded if isinstance(i, ToolError)]
    assert read.records_read == len(yielded) == len(records) + len(errors)
    assert len(read.texts) == len(records) and len(read.rejects) == len(errors)


def assert_no_person(*texts: str) -> None:
    for text in texts:
        for person in PEOPLE:
            assert person not in text


# --- Spider_XHS -------------------------------------------------------------------------------
# cv-cat/Spider_XHS xhs_utils/data_util.py::save_to_xlsx (a344270 .. 0e5547a)
ZH_NOTE_HEADERS = [
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
]
ZH_USER_HEADERS = [
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
]
ZH_COMMENT_HEADERS = [
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
]
# Jackmeson1/Spider_XHS xhs_utils/data_util.py::save_to_xlsx (052da55)
EN_NOTE_HEADERS = [
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
]
NOTE_FIELD_KEYS = [
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
]
USER_FIELD_KEYS = [
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
]
COMMENT_FIELD_KEYS = [
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
]


def spider_note(n: str, user: str, nickname: str, **over) -> dict:
    """handle_note_info's dict for an image note (cv-cat vintage)."""
    rec = {
        "note_id": n,
        "note_url": f"https://www.xiaohongshu.com/explore/{n}?xsec_token=ABtok=&xsec_source=pc_search",
        "note_type": "图集",
        "user_id": user,
        "home_url": f"https://www.xiaohongshu.com/user/profile/{user}",
        "nickname": nickname,
        "avatar": "https://sns-avatar.example/1",
        "title": "无标题",
        "desc": "来美国 #TikTokRefugee[话题]#",
        "liked_count": "1.2万",
        "collected_count": "18",
        "comment_count": "160",
        "share_count": "12",
        "video_cover": None,
        "video_addr": None,
        "image_list": ["http://img.example/a", "http://img.example/b"],
        "tags": ["TikTokRefugee", "美食"],
        "upload_time": UPLOAD_TEXT,
        "ip_location": "美国",
    }
    rec.update(over)
    return rec


def save_to_xlsx(datas: list[dict], path: Path, headers: list[str], keys: list[str]) -> Path:
    """What save_to_xlsx writes: the header row, then norm_text(str(value)) of each field."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for data in datas:
        sheet.append([re.sub(r"[\000-\010]|[\013-\014]|[\016-\037]", "", str(data.get(k, ""))) for k in keys])
    book.save(path)
    return path


def test_spider_xhs_chinese_note_workbook(tmp_path):
    video = spider_note(
        NOTE_B,
        USER_2,
        "Nick Two",
        note_type="视频",
        title="视频标题",
        liked_count="10万+",
        video_cover="http://img.example/cover",
        video_addr="https://sns-video-bd.xhscdn.com/pre_post/abc",
        image_list=["http://img.example/cover"],
        tags=[],
        ip_location="未知",
    )
    before = time.time_ns() // 1_000_000 - 1000
    path = save_to_xlsx(
        [spider_note(NOTE_A, USER_1, "Nick One"), video], tmp_path / "榴莲.xlsx", ZH_NOTE_HEADERS, NOTE_FIELD_KEYS
    )
    after = time.time_ns() // 1_000_000 + 1000
    source = only(path)
    assert (source.tool.name, source.entity, source.part, source.source_tool) == (
        "spider_xhs",
        "note",
        "Sheet",
        "spider_xhs",
    )
    got = items(path, source)
    assert all(isinstance(i, ToolRecord) and i.tool == "spider_xhs" for i in got)
    crawled = got[0].fields.pop("last_modify_ts")
    assert before <= crawled <= after  # the workbook's own save time
    assert got[0].fields == {
        "note_id": NOTE_A,
        "type": "normal",
        "title": "",  # the tool's 无标题: MediaCrawler titles such a note by its desc
        "desc": "来美国 #TikTokRefugee[话题]#",
        "video_url": "",
        "time": UPLOAD_MS,
        "user_id": USER_1,
        "nickname": "Nick One",
        "avatar": "https://sns-avatar.example/1",
        "liked_count": "1.2万",
        "collected_count": "18",
        "comment_count": "160",
        "share_count": "12",
        "ip_location": "美国",
        "image_list": "http://img.example/a,http://img.example/b",
        "tag_list": "TikTokRefugee,美食",
        "note_url": f"https://www.xiaohongshu.com/explore/{NOTE_A}?xsec_token=ABtok=&xsec_source=pc_search",
    }
    assert got[1].fields["type"] == "video" and got[1].fields["ip_location"] is None
    assert got[1].fields["video_url"] == "https://sns-video-bd.xhscdn.com/pre_post/abc"

    read = tools.read_tool_file(path, source)
    assert_conserved(read, got)
    assert read.encoding == "xlsx"
    rows, rejected = normalized("note", [read])
    assert rejected == []
    by_id = {r["note_id"]: r for r in rows}
    a, b = by_id[NOTE_A], by_id[NOTE_B]
    assert a["liked_count"] == 12000 and a["collected_count"] == 18 and a["counts_approximate"] is False
    assert a["published_at"] == dt.datetime(2025, 1, 19, 6, 0, tzinfo=dt.UTC)
    assert a["title"] is None and a["note_type"] == "normal"  # 无标题: blank, so NULL (an earlier title is kept)
    assert a["tags"] == ["TikTokRefugee", "美食"] and a["image_count"] == 2 and a["has_video"] is False
    assert a["identity_hash"] == identity(USER_1) and a["ip_location"] == "美国"
    assert b["liked_count"] == 100000 and b["counts_approximate"] is True
    assert b["has_video"] is True and b["title"] == "视频标题" and b["ip_location"] is None and b["tags"] == []


def test_spider_xhs_english_fork_workbook_and_info_json(tmp_path):
    # the English fork writes str(v) of the dict's values in dict order under its own header names
    english = spider_note(
        NOTE_A, USER_1, "Nick One", note_type="image_collection", title="Untitled", ip_location="unknown"
    )
    path = save_to_xlsx([english], tmp_path / "query.xlsx", EN_NOTE_HEADERS, NOTE_FIELD_KEYS)
    cn = spider_note(NOTE_A, USER_1, "Nick One")
    info = tmp_path / "media" / f"Nick One_{USER_1}" / f"无标题_{NOTE_A}" / "info.json"
    info.parent.mkdir(parents=True)
    info.write_text(json.dumps(cn) + "\n")  # download_note: json.dumps(note_info) + '\n'
    os.utime(info, ns=(1737300000000 * 10**6, 1737300000000 * 10**6))

    [en_record] = items(path, only(path))
    assert only(info).part is None and only(info).entity == "note"
    [info_record] = items(info, only(info))
    assert info_record.fields.pop("last_modify_ts") == 1737300000000  # the file's mtime
    en_record.fields.pop("last_modify_ts")
    expected = {
        "note_id": NOTE_A,
        "type": "normal",
        "title": "",
        "desc": "来美国 #TikTokRefugee[话题]#",
        "video_url": "",
        "time": UPLOAD_MS,
        "user_id": USER_1,
        "nickname": "Nick One",
        "avatar": "https://sns-avatar.example/1",
        "liked_count": "1.2万",
        "collected_count": "18",
        "comment_count": "160",
        "share_count": "12",
        "ip_location": "美国",
        "image_list": "http://img.example/a,http://img.example/b",
        "tag_list": "TikTokRefugee,美食",
        "note_url": f"https://www.xiaohongshu.com/explore/{NOTE_A}?xsec_token=ABtok=&xsec_source=pc_search",
    }
    assert info_record.fields == expected
    assert en_record.fields == expected | {"ip_location": None}  # the fork's 'unknown'


def test_spider_xhs_comment_and_user_workbooks(tmp_path):
    comment_row = {
        "note_id": NOTE_A,
        "note_url": f"https://www.xiaohongshu.com/explore/{NOTE_A}",
        "comment_id": C1,
        "user_id": USER_5,
        "home_url": f"https://www.xiaohongshu.com/user/profile/{USER_5}",
        "nickname": "Nick Five",
        "avatar": "https://sns-avatar.example/5",
        "content": "评论 [笑哭R]",
        "show_tags": [],
        "like_count": "1.5万",
        "upload_time": "2025-01-19 15:00:01",
        "ip_location": "未知",
        "pictures": ["http://img.example/p"],
    }
    user_row = {
        "user_id": USER_1,
        "home_url": f"https://www.xiaohongshu.com/user/profile/{USER_1}",
        "nickname": "Nick One",
        "avatar": "https://sns-avatar.example/1",
        "red_id": "95512345",
        "gender": "未知",
        "ip_location": "美国",
        "desc": "bio that names a person",
        "follows": "16",
        "fans": "1.2万",
        "interaction": "2.9万",
        "tags": ["美国"],
    }
    comments = save_to_xlsx([comment_row], tmp_path / "c.xlsx", ZH_COMMENT_HEADERS, COMMENT_FIELD_KEYS)
    users = save_to_xlsx(
        [user_row, user_row | {"gender": "女", "user_id": USER_2}],
        tmp_path / "u.xlsx",
        ZH_USER_HEADERS,
        USER_FIELD_KEYS,
    )
    [c] = items(comments, only(comments))
    assert only(comments).entity == "comment"
    c.fields.pop("last_modify_ts")
    assert c.fields == {
        "comment_id": C1,
        "create_time": UPLOAD_MS + 3_601_000,
        "ip_location": None,
        "note_id": NOTE_A,
        "content": "评论 [笑哭R]",
        "user_id": USER_5,
        "nickname": "Nick Five",
        "avatar": "https://sns-avatar.example/5",
        "pictures": "http://img.example/p",
        "like_count": "1.5万",
        "note_url": f"https://www.xiaohongshu.com/explore/{NOTE_A}",
    }  # no sub_comment_count, no parent_comment_id: Spider_XHS writes neither
    rows, rejected = normalized("comment", [tools.read_tool_file(comments, only(comments))])
    assert rejected == [] and rows[0]["like_count"] == 15000 and rows[0]["parent_comment_id"] is None
    assert rows[0]["sub_comment_count"] is None and rows[0]["picture_count"] == 1

    assert only(users).entity == "creator"
    first, second = items(users, only(users))
    first.fields.pop("last_modify_ts")
    assert first.fields == {
        "user_id": USER_1,
        "nickname": "Nick One",
        "gender": None,  # 未知
        "avatar": "https://sns-avatar.example/1",
        "desc": "bio that names a person",
        "ip_location": "美国",
        "follows": "16",
        "fans": "1.2万",
        "interaction": "2.9万",
    }
    rows, rejected = normalized("creator", [tools.read_tool_file(users, only(users))])
    assert rejected == []
    by_id = {r["identity_hash"]: r for r in rows}
    assert by_id[identity(USER_1)]["followers"] == 12000 and by_id[identity(USER_1)]["gender"] is None
    assert by_id[identity(USER_2)]["gender"] == "female" and by_id[identity(USER_2)]["likes_and_collects"] == 29000


def test_spider_xhs_unconvertible_rows_are_errors_without_values(tmp_path):
    bad_time = spider_note(NOTE_B, USER_2, "Nick Two", upload_time="19/01/2025 Nick Two")
    bad_type = spider_note(NOTE_C, USER_2, "Nick Two", note_type="Nick Two")
    bad_list = spider_note(NOTE_D, USER_2, "Nick Two", image_list="Nick Two's pictures")
    no_time = spider_note(NOTE_E, USER_2, "Nick Two", upload_time="")
    good = spider_note(NOTE_A, USER_1, "Nick One")
    path = save_to_xlsx(
        [good, bad_time, bad_type, bad_list, no_time], tmp_path / "x.xlsx", ZH_NOTE_HEADERS, NOTE_FIELD_KEYS
    )
    got = items(path, only(path))
    errors = [i for i in got if isinstance(i, ToolError)]
    assert [(e.index, e.reason) for e in errors] == [
        (1, "upload_time is not a local 'YYYY-MM-DD HH:MM:SS' time"),
        (2, "note_type is neither 图集 nor 视频"),
        (3, "image_list is not a list"),
    ]
    assert_no_person(*(e.reason + e.payload for e in errors))
    assert all(set(json.loads(e.payload)) == {"sha256", "length"} for e in errors)
    read = tools.read_tool_file(path, only(path))
    assert_conserved(read, got)
    rows, rejected = normalized("note", [read])
    assert [r["note_id"] for r in rows] == [NOTE_A]
    assert [r["reason"] for r in rejected][-1] == "time missing"  # the blank upload_time: normalize's reject
    assert_no_person(*(r["payload"] + r["reason"] for r in rejected))


def test_spider_xhs_paths_that_name_people_are_keyed():
    from rednote_dagster.lib.pseudonym import Pseudonymizer

    keyed = Pseudonymizer("test-key").author_key
    media = f"xhs/media/Nick One_{USER_1}/无标题_{NOTE_A}/info.json"
    by_user = f"xhs/excel/{USER_1}.xlsx"
    stored = [spider_xhs.private_relative_path(p, keyed) for p in (media, by_user, "xhs/excel/榴莲.xlsx")]
    assert re.fullmatch(r"xhs/media/note-[0-9a-f]{16}/info\.json", stored[0])
    assert re.fullmatch(r"xhs/excel/user-[0-9a-f]{16}\.xlsx", stored[1]) and stored[2] == "xhs/excel/榴莲.xlsx"
    assert_no_person(*stored)
    assert stored[0] != spider_xhs.private_relative_path(media, Pseudonymizer("other key").author_key)


def test_local_time_is_read_in_the_stated_zone():
    assert local_time_ms(UPLOAD_TEXT) == UPLOAD_MS
    assert local_time_ms(dt.datetime(2025, 1, 19, 14, 0)) == UPLOAD_MS  # a cell Excel made a date
    assert local_time_ms(UPLOAD_TEXT, "UTC") == UPLOAD_MS + 8 * 3_600_000
    assert local_time_ms("2025-01-19") is None and local_time_ms(None) is None


# --- MediaCrawler SQLite ----------------------------------------------------------------------
# MediaCrawler schema/sqlite_tables.sql @214ccaa (raw SQL store, 2025-07-14 .. 2025-09-05)
PRE_ORM_DDL = """
CREATE TABLE xhs_creator (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL, nickname TEXT DEFAULT NULL,
    avatar TEXT DEFAULT NULL, ip_location TEXT DEFAULT NULL, add_ts INTEGER NOT NULL, last_modify_ts INTEGER NOT NULL,
    desc TEXT, gender TEXT DEFAULT NULL, follows TEXT DEFAULT NULL, fans TEXT DEFAULT NULL,
    interaction TEXT DEFAULT NULL, tag_list TEXT);
CREATE TABLE xhs_note (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL, nickname TEXT DEFAULT NULL,
    avatar TEXT DEFAULT NULL, ip_location TEXT DEFAULT NULL, add_ts INTEGER NOT NULL, last_modify_ts INTEGER NOT NULL,
    note_id TEXT NOT NULL, type TEXT DEFAULT NULL, title TEXT DEFAULT NULL, desc TEXT, video_url TEXT,
    time INTEGER NOT NULL, last_update_time INTEGER NOT NULL, liked_count TEXT DEFAULT NULL,
    collected_count TEXT DEFAULT NULL, comment_count TEXT DEFAULT NULL, share_count TEXT DEFAULT NULL,
    image_list TEXT, tag_list TEXT, note_url TEXT DEFAULT NULL, source_keyword TEXT DEFAULT '',
    xsec_token TEXT DEFAULT NULL);
CREATE TABLE xhs_note_comment (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL,
    nickname TEXT DEFAULT NULL, avatar TEXT DEFAULT NULL, ip_location TEXT DEFAULT NULL, add_ts INTEGER NOT NULL,
    last_modify_ts INTEGER NOT NULL, comment_id TEXT NOT NULL, create_time INTEGER NOT NULL, note_id TEXT NOT NULL,
    content TEXT NOT NULL, sub_comment_count INTEGER NOT NULL, pictures TEXT DEFAULT NULL,
    parent_comment_id TEXT DEFAULT NULL, like_count TEXT DEFAULT NULL);
CREATE TABLE douyin_aweme (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT, aweme_id TEXT NOT NULL,
    desc TEXT, create_time INTEGER, liked_count TEXT, add_ts INTEGER, last_modify_ts INTEGER);
"""
# database/models.py @d6f7c5b (HEAD, "teaching edition"): creator_hash instead of user_id/avatar/ip_location
HEAD_DDL = """
CREATE TABLE xhs_note (id INTEGER NOT NULL PRIMARY KEY, creator_hash VARCHAR(64), nickname TEXT, add_ts BIGINT,
    last_modify_ts BIGINT, note_id VARCHAR(255), type TEXT, title TEXT, "desc" TEXT, video_url TEXT, time BIGINT,
    last_update_time BIGINT, liked_count TEXT, collected_count TEXT, comment_count TEXT, share_count TEXT,
    image_list TEXT, tag_list TEXT, note_url TEXT, source_keyword TEXT, xsec_token TEXT);
"""


def insert(con: sqlite3.Connection, table: str, row: dict) -> None:
    """AsyncSqliteDB.item_to_table: the item's keys are the columns."""
    names = ", ".join(f'"{k}"' for k in row)
    con.execute(f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(row))})', list(row.values()))


def test_mediacrawler_sqlite_raw_sql_vintage(tmp_path):
    path = tmp_path / "sqlite_tables.db"
    with sqlite3.connect(path) as con:
        con.executescript(PRE_ORM_DDL)
        insert(con, "xhs_note", note(1) | {"add_ts": 1737300000000})  # xhs_store_impl: item + add_ts
        insert(con, "xhs_note", note(2, liked="10万+") | {"add_ts": 1737300000000})
        insert(con, "xhs_note_comment", comment(1, 1) | {"add_ts": 1737300000000})
        insert(con, "xhs_note_comment", comment(2, 1, parent=hex_id(1, "6790aaaa"), sub=0) | {"add_ts": 1})
        insert(con, "xhs_creator", creator(1) | {"add_ts": 1737300000000})
        insert(con, "douyin_aweme", {"aweme_id": "7", "desc": "not RedNote", "create_time": 1, "user_id": "u"})
    found = tools.recognise(path)
    assert {(s.entity, s.part, s.source_tool) for s in found} == {
        ("note", "xhs_note", "mediacrawler_sqlite"),
        ("comment", "xhs_note_comment", "mediacrawler_sqlite"),
        ("creator", "xhs_creator", "mediacrawler_sqlite"),
    }
    sources = {s.entity: s for s in found}
    first_note = items(path, sources["note"])[0]
    assert first_note.fields == note(1)  # the record as MediaCrawler built it, without id and add_ts
    assert [i.fields for i in items(path, sources["comment"])] == [
        comment(1, 1) | {"parent_comment_id": "0", "sub_comment_count": 0},  # the DB's column types
        comment(2, 1, parent=hex_id(1, "6790aaaa"), sub=0),
    ]

    notes, rejected = normalized("note", [tools.read_tool_file(path, sources["note"])])
    assert rejected == [] and [n["liked_count"] for n in notes] == [44, 100000]
    comments, rejected = normalized("comment", [tools.read_tool_file(path, sources["comment"])])
    assert rejected == [] and [c["parent_comment_id"] for c in comments] == [None, hex_id(1, "6790aaaa")]
    creators, rejected = normalized("creator", [tools.read_tool_file(path, sources["creator"])])
    assert rejected == [] and creators[0]["followers"] == 12000
    assert json.loads(creators[0]["tags_json"]) == {"info": None, "location": "美国"}


def test_mediacrawler_sqlite_orm_value_forms(tmp_path):
    """The ORM store (be306c6 .. 8b4d8fc): json.dumps of the joined lists, str() of the counts, a
    double-encoded creator tag_list (store/xhs/_store_impl.py)."""
    path = tmp_path / "sqlite_tables.db"
    rec = note(1)
    orm = rec | {
        "liked_count": str(None),
        "image_list": json.dumps(rec["image_list"]),
        "tag_list": json.dumps(rec["tag_list"]),
    }
    person = creator(1)
    with sqlite3.connect(path) as con:
        con.executescript(PRE_ORM_DDL)
        insert(con, "xhs_note", orm | {"add_ts": 1})
        insert(con, "xhs_creator", person | {"tag_list": json.dumps(person["tag_list"]), "add_ts": 1})
    sources = {s.entity: s for s in tools.recognise(path)}
    [row], rejected = normalized("note", [tools.read_tool_file(path, sources["note"])])
    assert (
        rejected == [] and row["liked_count"] is None and row["image_count"] == 2 and row["tags"] == ["TikTokRefugee"]
    )
    [person_row], _ = normalized("creator", [tools.read_tool_file(path, sources["creator"])])
    assert json.loads(person_row["tags_json"]) == {"info": None, "location": "美国"}


def test_mediacrawler_sqlite_head_vintage_and_bad_text(tmp_path):
    path = tmp_path / "head.db"

    def head_record(n: int) -> dict:
        rec = note(n)
        user_id = rec.pop("user_id")
        rec.pop("avatar"), rec.pop("ip_location")
        return rec | {"creator_hash": identity(user_id), "nickname": "N***1"}

    rec, user_id = head_record(3), note(3)["user_id"]
    with sqlite3.connect(path) as con:
        con.executescript(HEAD_DDL)
        insert(con, "xhs_note", rec | {"add_ts": 1})
        insert(con, "xhs_note", head_record(4) | {"add_ts": 1})
        con.execute("UPDATE xhs_note SET title = CAST(x'ff4e69636b' AS TEXT) WHERE note_id = ?", [note(4)["note_id"]])
    [source] = tools.recognise(path)
    assert (source.entity, source.part) == ("note", "xhs_note")
    got = items(path, source)
    assert isinstance(got[0], ToolRecord) and got[0].fields == rec
    assert isinstance(got[1], ToolError) and got[1].reason == "a text value is not UTF-8"
    read = tools.read_tool_file(path, source)
    assert_conserved(read, got)
    rows, rejected = normalized("note", [read])
    assert [r["identity_hash"] for r in rows] == [identity(user_id)] and len(rejected) == 1


# --- Zeeschuimer and 4CAT ---------------------------------------------------------------------
SEARCH_PAGE = "https://www.xiaohongshu.com/search_result?keyword=tt%20refugee&source=web_search_result_notes"
FEED_NOTE = {  # an explore/feed item: /api/sns/web/v1/feed's items[] (format notes §1)
    "id": NOTE_A,
    "model_type": "note",
    "xsec_token": "ABtok=",
    "note_card": {
        "note_id": NOTE_A,
        "type": "normal",
        "title": "",
        "desc": "来美国 #TikTokRefugee[话题]#",
        "time": 1737266400000,
        "last_update_time": 1737266500000,
        "ip_location": "美国",
        "user": {"user_id": USER_1, "nickname": "Nick One", "avatar": "https://sns-avatar.example/1"},
        "interact_info": {
            "liked": False,
            "liked_count": "1.2万",
            "collected_count": "18",
            "comment_count": "160",
            "share_count": "12",
            "followed": False,
        },
        "image_list": [
            {"url": "", "url_default": "http://img.example/a", "info_list": [{"image_scene": "WB_DFT", "url": "x"}]},
            {"url": "", "url_default": "http://img.example/b"},
        ],
        "tag_list": [
            {"id": "1", "name": "TikTokRefugee", "type": "topic"},
            {"id": "2", "name": "纽约", "type": "location"},
        ],
        "at_user_list": [],
    },
}
SEARCH_TILE = {  # a search result: no desc, no time, display_title
    "id": NOTE_B,
    "model_type": "note",
    "xsec_token": "tokB",
    "note_card": {
        "type": "video",
        "display_title": "tile title",
        "user": {
            "nickname": "Nick Two",
            "nick_name": "Nick Two",
            "avatar": "https://sns-avatar.example/2",
            "user_id": USER_2,
        },
        "interact_info": {"liked": False, "liked_count": "10万+"},
        "cover": {"url_default": "http://img.example/c"},
        "image_list": [
            {
                "info_list": [
                    {"image_scene": "WB_PRV", "url": "http://img.example/prv"},
                    {"image_scene": "WB_DFT", "url": "http://img.example/dft"},
                ]
            }
        ],
    },
}
POST_PAGE = {  # a post page's __INITIAL_STATE__ note (camelCase); rednote.js sets id to its key
    "id": NOTE_C,
    "note": {
        "noteId": NOTE_C,
        "type": "video",
        "title": "视频标题",
        "desc": "正文",
        "time": 1737270000000,
        "lastUpdateTime": 1737270000000,
        "ipLocation": "广东",
        "xsecToken": "tokC",
        "user": {"userId": USER_3, "nickname": "Nick Three", "avatar": "https://sns-avatar.example/3"},
        "interactInfo": {"likedCount": "3千", "collectedCount": "5", "commentCount": "2", "shareCount": "1"},
        "imageList": [{"urlDefault": "http://img.example/v"}],
        "tagList": [{"name": "旅行", "type": "topic"}],
        "video": {"consumer": {"originVideoKey": "pre_post/abc"}},
    },
}
HTML_ITEM = {  # rednote.js's fallback scrape of a rendered page
    "id": NOTE_D,
    "url": f"/explore/{NOTE_D}",
    "author_name": "Nick Four",
    "author_url": "Nick Four",
    "author_avatar_url": "https://sns-avatar.example/4",
    "likes": "7",
    "thumbnail_url": "http://img.example/t",
    "title": "html title",
    "_zs-origin": "html",
}
TILE_STUB = {"id": NOTE_E, "xsec_token": "tokE"}  # 4CAT: "tile stub without post content"
COMMENT = {  # /api/sns/web/v2/comment/page comments[] (rednote-comments.js: has sub_comment_count)
    "id": C1,
    "note_id": NOTE_A,
    "content": "评论 [笑哭R]",
    "create_time": 1737270001000,
    "ip_location": "广东",
    "like_count": "17",
    "sub_comment_count": "1",
    "user_info": {"user_id": USER_5, "nickname": "Nick Five", "image": "https://sns-avatar.example/5"},
    "pictures": [],
    "show_tags": [],
    "status": 0,
    "sub_comments": [
        {
            "id": C2,
            "note_id": NOTE_A,
            "content": "回复",
            "create_time": 1737270002000,
            "ip_location": "内蒙古",
            "like_count": "0",
            "user_info": {"user_id": USER_6, "nickname": "Nick Six", "image": "https://sns-avatar.example/6"},
            "target_comment": {"id": C1, "user_info": {"user_id": USER_5, "nickname": "Nick Five"}},
            "pictures": [{"url_default": "http://img.example/p", "height": 1}],
            "status": 0,
        }
    ],
    "sub_comment_has_more": False,
}


def capture(data: dict, platform: str = "xiaohongshu.com", page: str = SEARCH_PAGE, n: int = 1) -> dict:
    """A Zeeschuimer stored item (js/zs-background.js), as get_ndjson_blob writes it."""
    return {
        "id": n,
        "nav_index": "1:4:0",
        "item_id": data["id"],
        "timestamp_collected": 1737300000000 + n,
        "last_updated": 1737300005000 + n,
        "source_platform": platform,
        "source_platform_url": page,
        "source_url": "https://edith.xiaohongshu.com/api/sns/web/v1/feed",
        "user_agent": "Mozilla/5.0",
        "data": data,
    }


def four_cat(item: dict) -> dict:
    """4CAT's stored item: format_import_item (common/lib/helpers.py)."""
    return {**item["data"], "__import_meta": {k: v for k, v in item.items() if k != "data"}}


def write_lines(path: Path, objects: list[dict], tail: str = "") -> Path:
    path.write_text("".join(json.dumps(o) + "\n" for o in objects) + tail, encoding="utf-8")
    return path


EXPECTED_FEED_NOTE = {
    "note_id": NOTE_A,
    "type": "normal",
    "title": "",
    "desc": "来美国 #TikTokRefugee[话题]#",
    "video_url": "",
    "time": 1737266400000,
    "last_update_time": 1737266500000,
    "user_id": USER_1,
    "nickname": "Nick One",
    "avatar": "https://sns-avatar.example/1",
    "liked_count": "1.2万",
    "collected_count": "18",
    "comment_count": "160",
    "share_count": "12",
    "ip_location": "美国",
    "image_list": "http://img.example/a,http://img.example/b",
    "tag_list": "TikTokRefugee",
    "note_url": f"https://www.xiaohongshu.com/explore/{NOTE_A}?xsec_token=ABtok=",
    "xsec_token": "ABtok=",
    "last_modify_ts": 1737300005001,
    "source_keyword": "tt refugee",
}


@pytest.mark.parametrize("flavour", ["zeeschuimer", "4cat"])
def test_note_captures(tmp_path, flavour):
    captured = [
        capture(FEED_NOTE, n=1),
        capture(SEARCH_TILE, n=2),
        capture(POST_PAGE, page="https://www.xiaohongshu.com/explore", n=3),
        capture(HTML_ITEM, n=4),
        capture(TILE_STUB, n=5),
    ]
    lines = captured if flavour == "zeeschuimer" else [four_cat(c) for c in captured]
    path = write_lines(tmp_path / "xiaohongshu.com.ndjson", lines, tail='{"id": 6, "nav_ind')  # torn last line
    source = only(path)
    assert (source.entity, source.source_tool) == ("note", flavour)
    got = items(path, source)
    assert all(i.tool == flavour for i in got)
    feed, tile, post, html, stub, torn = got
    assert feed.fields == EXPECTED_FEED_NOTE
    assert tile.fields == {
        "note_id": NOTE_B,
        "type": "video",
        "title": "tile title",
        "user_id": USER_2,
        "nickname": "Nick Two",
        "avatar": "https://sns-avatar.example/2",
        "liked_count": "10万+",
        "image_list": "http://img.example/dft",
        "note_url": f"https://www.xiaohongshu.com/explore/{NOTE_B}?xsec_token=tokB",
        "xsec_token": "tokB",
        "last_modify_ts": 1737300005002,
        "source_keyword": "tt refugee",
    }
    assert post.fields == {
        "note_id": NOTE_C,
        "type": "video",
        "title": "视频标题",
        "desc": "正文",
        "video_url": "http://sns-video-bd.xhscdn.com/pre_post/abc",
        "time": 1737270000000,
        "last_update_time": 1737270000000,
        "user_id": USER_3,
        "nickname": "Nick Three",
        "avatar": "https://sns-avatar.example/3",
        "liked_count": "3千",
        "collected_count": "5",
        "comment_count": "2",
        "share_count": "1",
        "ip_location": "广东",
        "image_list": "http://img.example/v",
        "tag_list": "旅行",
        "note_url": f"https://www.xiaohongshu.com/explore/{NOTE_C}?xsec_token=tokC",
        "xsec_token": "tokC",
        "last_modify_ts": 1737300005003,
        "source_keyword": None,
    }
    assert html.fields["note_url"] == f"https://www.xiaohongshu.com/explore/{NOTE_D}" and "time" not in html.fields
    assert isinstance(stub, ToolError) and stub.reason.startswith("tile stub")
    assert isinstance(torn, ToolError) and torn.reason.startswith("invalid JSON")
    assert_no_person(stub.reason + stub.payload, torn.reason + torn.payload)

    read = tools.read_tool_file(path, source)
    assert_conserved(read, got)
    assert read.encoding == "utf-8"
    rows, rejected = normalized("note", [read])
    by_id = {r["note_id"]: r for r in rows}
    assert set(by_id) == {NOTE_A, NOTE_C}
    assert by_id[NOTE_A]["liked_count"] == 12000 and by_id[NOTE_A]["source_keywords"] == ["tt refugee"]
    assert by_id[NOTE_A]["crawled_at"] == dt.datetime.fromtimestamp(1737300005.001, dt.UTC)
    assert by_id[NOTE_C]["liked_count"] == 3000 and by_id[NOTE_C]["has_video"] is True
    assert by_id[NOTE_C]["identity_hash"] == identity(USER_3)
    reasons = {r["record_index"]: r["reason"] for r in rejected}
    assert reasons[1] == reasons[3] == "time missing"  # the tile and the HTML scrape have no publish time
    assert_no_person(*(r["reason"] + r["payload"] for r in rejected))


@pytest.mark.parametrize("flavour", ["zeeschuimer", "4cat"])
def test_comment_captures_with_their_replies(tmp_path, flavour):
    page = f"https://www.xiaohongshu.com/explore/{NOTE_A}"
    item = capture(COMMENT, platform="xiaohongshu-comments", page=page)
    path = write_lines(tmp_path / "comments.ndjson", [item if flavour == "zeeschuimer" else four_cat(item)])
    source = only(path)
    assert (source.entity, source.source_tool) == ("comment", flavour)
    top, reply = items(path, source)
    assert top.fields == {
        "comment_id": C1,
        "create_time": 1737270001000,
        "ip_location": "广东",
        "note_id": NOTE_A,
        "content": "评论 [笑哭R]",
        "user_id": USER_5,
        "nickname": "Nick Five",
        "avatar": "https://sns-avatar.example/5",
        "sub_comment_count": "1",
        "pictures": "",
        "parent_comment_id": 0,
        "like_count": "17",
        "last_modify_ts": 1737300005001,
    }
    assert reply.fields["parent_comment_id"] == C1 and reply.fields["pictures"] == "http://img.example/p"
    assert "sub_comment_count" not in reply.fields and reply.index == 1
    rows, rejected = normalized("comment", [tools.read_tool_file(path, source)])
    assert rejected == []
    assert {r["comment_id"]: r["parent_comment_id"] for r in rows} == {C1: None, C2: C1}
    assert {r["comment_id"]: r["ip_location"] for r in rows} == {C1: "广东", C2: "内蒙古"}


def mapped_csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str) -> Path:
    import csv
    import io

    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    os.utime(path, ns=(1737400000000 * 10**6, 1737400000000 * 10**6))
    return path


# datasources/xiaohongshu/search_rednote.py::map_item_from_json_api_explore, plus missing_fields
FOUR_CAT_NOTE_HEADER = [
    "collected_from_url",
    "id",
    "thread_id",
    "url",
    "title",
    "body",
    "hashtags",
    "timestamp",
    "author",
    "author_avatar_url",
    "image_urls",
    "video_url",
    "likes",
    "unix_timestamp",
    "missing_fields",
]
FOUR_CAT_NOTE_ROWS = [
    [
        SEARCH_PAGE,
        NOTE_A,
        NOTE_A,
        f"https://www.xiaohongshu.com/explore/{NOTE_A}?xsec_token=ABtok=",
        "",
        "来美国 #TikTokRefugee[话题]#",
        "TikTokRefugee",
        "2025-01-19 06:00:00",
        "Nick One",
        "https://sns-avatar.example/1",
        "http://img.example/a,http://img.example/b",
        "",
        "1.2万",
        "1737266400",
        "video_url",
    ],
    [
        SEARCH_PAGE,
        NOTE_B,
        NOTE_B,
        f"https://www.xiaohongshu.com/explore/{NOTE_B}?xsec_token=tokB",
        "tile title",
        "",
        "",
        "",
        "Nick Two",
        "https://sns-avatar.example/2",
        "http://img.example/dft",
        "",
        "10万+",
        "",
        "body, hashtags, timestamp, video_url, unix_timestamp",
    ],
]


def test_four_cat_and_zeeschuimer_mapped_csv(tmp_path):
    four = mapped_csv(tmp_path / "4cat-rednote.csv", FOUR_CAT_NOTE_HEADER, FOUR_CAT_NOTE_ROWS, ",")
    zs = mapped_csv(
        tmp_path / "zeeschuimer-xiaohongshu.com.csv",
        FOUR_CAT_NOTE_HEADER[:-1],
        [r[:-1] for r in FOUR_CAT_NOTE_ROWS],
        ";",
    )
    assert (only(four).entity, only(four).source_tool) == ("note", "4cat")
    assert (only(zs).entity, only(zs).source_tool) == ("note", "zeeschuimer")
    first, second = items(four, only(four))
    assert first.fields == {
        "note_id": NOTE_A,
        "note_url": f"https://www.xiaohongshu.com/explore/{NOTE_A}?xsec_token=ABtok=",
        "title": "",
        "desc": "来美国 #TikTokRefugee[话题]#",
        "tag_list": "TikTokRefugee",
        "time": "1737266400",
        "nickname": "Nick One",
        "avatar": "https://sns-avatar.example/1",
        "image_list": "http://img.example/a,http://img.example/b",
        "liked_count": "1.2万",
        "last_modify_ts": 1737400000000,  # no capture time in the CSV: the file's mtime
        "source_keyword": "tt refugee",
    }
    assert "desc" not in second.fields and "time" not in second.fields  # 4CAT's missing_fields
    assert [i.fields for i in items(zs, only(zs))][0] == first.fields | {"video_url": ""}
    for path in (four, zs):
        rows, rejected = normalized("note", [tools.read_tool_file(path, only(path))])
        assert [(r["note_id"], r["liked_count"], r["published_at"]) for r in rows] == [
            (NOTE_A, 12000, dt.datetime(2025, 1, 19, 6, 0, tzinfo=dt.UTC))
        ]
        assert [r["reason"] for r in rejected] == ["time missing"]


def test_four_cat_comment_csv(tmp_path):
    header = [
        "collected_from_url",
        "id",
        "thread_id",
        "url",
        "body",
        "timestamp",
        "author",
        "author_avatar_url",
        "ip_location",
        "likes",
        "replies",
        "unix_timestamp",
        "missing_fields",
    ]
    row = [
        f"https://www.xiaohongshu.com/explore/{NOTE_A}",
        C1,
        NOTE_A,
        f"https://www.xiaohongshu.com/explore/{NOTE_A}",
        "评论",
        "2025-01-19 07:00:01",
        "Nick Five",
        "https://sns-avatar.example/5",
        "广东",
        "17",
        "1",
        "1737270001",
        "",
    ]
    path = mapped_csv(tmp_path / "rednote-comments.csv", header, [row, row[:5]], ",")
    source = only(path)
    assert source.entity == "comment"
    got = items(path, source)
    assert got[0].fields == {
        "comment_id": C1,
        "note_id": NOTE_A,
        "note_url": f"https://www.xiaohongshu.com/explore/{NOTE_A}",
        "content": "评论",
        "nickname": "Nick Five",
        "avatar": "https://sns-avatar.example/5",
        "ip_location": "广东",
        "like_count": "17",
        "sub_comment_count": "1",
        "create_time": "1737270001",
        "last_modify_ts": 1737400000000,
    }
    assert isinstance(got[1], ToolError) and "fields" in got[1].reason
    assert_no_person(got[1].reason + got[1].payload)
    read = tools.read_tool_file(path, source)
    assert_conserved(read, got)
    rows, rejected = normalized("comment", [read])
    assert [(r["comment_id"], r["sub_comment_count"], r["identity_hash"]) for r in rows] == [(C1, 1, None)]
    assert len(rejected) == 1


# --- recognition: each tool claims its own files and nothing else ------------------------------


@pytest.fixture
def every_file(tmp_path) -> dict[str, Path]:
    """One file of every kind: the tools' own, MediaCrawler's, and other platforms'."""
    d = tmp_path
    files = {
        "spider_xhs note": save_to_xlsx(
            [spider_note(NOTE_A, USER_1, "Nick One")], d / "s.xlsx", ZH_NOTE_HEADERS, NOTE_FIELD_KEYS
        ),
        "zeeschuimer note": write_lines(d / "z.ndjson", [capture(FEED_NOTE)]),
        "4cat note": write_lines(d / "f.ndjson", [four_cat(capture(FEED_NOTE))]),
        "4cat csv": mapped_csv(d / "f.csv", FOUR_CAT_NOTE_HEADER, FOUR_CAT_NOTE_ROWS, ","),
        "mediacrawler json": write_json(d / "search_contents_2025-01-20.json", [note(1)]),
        "mediacrawler jsonl": write_jsonl(d / "search_comments_2025-01-20.jsonl", [comment(1, 1)]),
        "mediacrawler csv": write_csv(d / "1_search_contents_2025-01-20.csv", [note(1)]),
        "mediacrawler creator json": write_json(d / "creator_creator_2025-01-20.json", [creator(1)]),
        "mediacrawler xlsx": write_xlsx(
            d / "xhs_search_20250120_101500.xlsx",
            {"Contents": [note(1)], "Comments": [comment(1, 1)], "Creators": [creator(1)]},
        ),
        "tiktok capture": write_lines(d / "t.ndjson", [capture({"id": "1", "desc": "x"}, platform="tiktok.com")]),
        "tiktok 4cat csv": mapped_csv(
            d / "t.csv",
            FOUR_CAT_NOTE_HEADER,
            [[SEARCH_PAGE, "1", "1", "https://www.tiktok.com/@x/video/1", *[""] * 11]],
            ",",
        ),
        "plain text": d / "notes.txt",
    }
    files["plain text"].write_text("hello\n")
    sqlite_path = d / "sqlite_tables.db"
    with sqlite3.connect(sqlite_path) as con:
        con.executescript(PRE_ORM_DDL)
    files["mediacrawler sqlite"] = sqlite_path
    douyin_only = d / "douyin.db"
    with sqlite3.connect(douyin_only) as con:
        con.execute("CREATE TABLE douyin_aweme (id INTEGER PRIMARY KEY, aweme_id TEXT, last_modify_ts INTEGER)")
    files["douyin sqlite"] = douyin_only
    return files


CLAIMS = {
    "spider_xhs note": "spider_xhs",
    "zeeschuimer note": "zeeschuimer",
    "4cat note": "zeeschuimer",
    "4cat csv": "zeeschuimer",
    "mediacrawler sqlite": "mediacrawler_sqlite",
}


def test_each_tool_claims_only_its_own_files(every_file):
    modules = {"spider_xhs": spider_xhs, "mediacrawler_sqlite": mediacrawler_sqlite, "zeeschuimer": zeeschuimer}
    for kind, path in every_file.items():
        claimed = {name for name, module in modules.items() if module.peek(path)}
        assert claimed == ({CLAIMS[kind]} if kind in CLAIMS else set()), kind
        assert (tools.recognise(path) is None) == (kind not in CLAIMS), kind


def test_a_file_that_changed_since_it_was_recognised_is_one_error(tmp_path):
    path = save_to_xlsx(
        [spider_note(NOTE_A, USER_1, "Nick One")], tmp_path / "s.xlsx", ZH_NOTE_HEADERS, NOTE_FIELD_KEYS
    )
    source = only(path)
    save_to_xlsx([comment(1, 1)], path, list(comment(1, 1)), list(comment(1, 1)))  # now a MediaCrawler sheet
    [error] = items(path, source)
    assert isinstance(error, ToolError) and "any more" in error.reason


def test_csv_that_cannot_be_parsed_further_is_one_error_for_the_rest(tmp_path):
    rows = [FOUR_CAT_NOTE_ROWS[0], FOUR_CAT_NOTE_ROWS[1][:5] + ["x" * 200_000] + FOUR_CAT_NOTE_ROWS[1][6:]]
    path = mapped_csv(tmp_path / "long.csv", FOUR_CAT_NOTE_HEADER, rows, ",")
    got = items(path, only(path))
    assert isinstance(got[0], ToolRecord) and got[0].fields["note_id"] == NOTE_A
    assert isinstance(got[1], ToolError) and got[1].reason.startswith("CSV cannot be parsed from here on")
    assert len(got) == 2
    assert_conserved(tools.read_tool_file(path, only(path)), got)
