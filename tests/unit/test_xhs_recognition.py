"""Files are recognised by their content, whatever their names (lib/xhs/recognise.py, discovery.py).

Renamed MediaCrawler files are read; other platforms' MediaCrawler output under RedNote's file
names is skipped whole with the reason, never rejected record by record; the name is asked only
when the content says nothing; the other tools' files go through the ingest with their
``source_tool`` and conservation per file; nothing that names a person leaves the ingest.

The other platforms' records carry the keys MediaCrawler's own store code writes for them
(store/<platform>/__init__.py and model/m_zhihu.py, model/m_baidu_tieba.py, NanmiCoder/MediaCrawler
2024-01 .. d6f7c5b 2026-07), in the id era (user ids, avatars) and the HEAD era (creator_hash).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pyarrow as pa
import pytest

from rednote_dagster.lib.pseudonym import Pseudonymizer
from rednote_dagster.lib.xhs.discovery import by_content, discover, recognise_file
from rednote_dagster.lib.xhs.ingest import ingest_entity
from rednote_dagster.lib.xhs.recognise import judge_keys
from tests.unit import test_xhs_tools
from tests.unit.test_xhs_tools import (
    CLAIMS,
    FEED_NOTE,
    FOUR_CAT_NOTE_HEADER,
    FOUR_CAT_NOTE_ROWS,
    NOTE_A,
    NOTE_B,
    NOTE_FIELD_KEYS,
    PRE_ORM_DDL,
    USER_1,
    ZH_NOTE_HEADERS,
    capture,
    insert,
    mapped_csv,
    save_to_xlsx,
    spider_note,
    write_lines,
)
from tests.xhs_samples import comment, creator, head_note, hex_id, note, write_csv, write_json, write_jsonl, write_xlsx

MONTH = dt.date(2025, 1, 1)
every_file = test_xhs_tools.every_file  # the fixture: one file of every kind
KEY = Pseudonymizer("recognition-key")
PERSON = {
    "nickname": "Zhang Weiwei",
    "user_id": "5a1b2c3d4e5f60718293a4b5",
    "avatar": "https://sns-avatar.example/zhang",
    "profile": "https://weibo.com/u/1234567890",
}


def ingest(month: Path, entity: str):
    return ingest_entity(month, MONTH, entity, KEY)


def assert_conserved(result) -> None:
    for row in result.log.to_pylist():
        assert row["records_read"] == row["accepted"] + row["rejected"] + row["duplicates"], row
    assert result.rows.num_rows == sum(r["accepted"] for r in result.log.to_pylist())
    assert result.rejects.num_rows == sum(r["rejected"] for r in result.log.to_pylist())


def everything_stored(result) -> str:
    """Every value the ingest hands to the warehouse and to the run's metadata."""
    tables = [result.rows, result.rejects, result.log, result.file_details or pa.table({})]
    return json.dumps([t.to_pylist() for t in tables] + [result.skipped_files], ensure_ascii=False, default=str)


# --- renamed MediaCrawler files -------------------------------------------------------------------


def test_renamed_mediacrawler_files_are_read_by_their_content(tmp_path):
    month = tmp_path / "2025-01"
    notes = [note(i, user=i) for i in range(1, 4)]
    write_csv(month / "xhs_search_comments_2024-05-31.csv", [comment(i, 1, user=i) for i in range(1, 5)])
    write_csv(month / "9_美国移民_search_contents_2025-11-22.csv", notes)
    write_json(month / "exports/notes final (2).json", [head_note(10, user=7), head_note(11, user=8)])
    write_jsonl(month / "exports/comments.ndjson", [comment(20, 10), comment(21, 11)])
    write_json(month / "people.json", [creator(1), creator(2)])
    without_ids = [{k: v for k, v in note(30).items() if k != "note_id"} | {"note_url": url(30)}]
    write_csv(month / "ids_removed.csv", without_ids)
    write_xlsx(month / "crawl.xlsx", {"Contents": [note(40)], "Comments": [comment(40, 40)], "Creators": [creator(3)]})

    found, skipped = discover(month)
    assert skipped == []
    assert {(f.relative_path, f.entity, f.source_tool) for f in found} == {
        ("xhs_search_comments_2024-05-31.csv", "comment", "mediacrawler"),
        ("9_美国移民_search_contents_2025-11-22.csv", "note", "mediacrawler"),
        ("exports/notes final (2).json", "note", "mediacrawler"),
        ("exports/comments.ndjson", "comment", "mediacrawler"),
        ("people.json", "creator", "mediacrawler"),
        ("ids_removed.csv", "note", "mediacrawler"),
        ("crawl.xlsx", "note", "mediacrawler"),
        ("crawl.xlsx", "comment", "mediacrawler"),
        ("crawl.xlsx", "creator", "mediacrawler"),
    }
    accepted = {}
    for entity in ("note", "comment", "creator"):
        result = ingest(month, entity)
        assert_conserved(result)
        assert result.rejects.num_rows == 0, result.rejects.to_pylist()
        assert set(result.log.column("source_tool").to_pylist()) == {"mediacrawler"}
        accepted[entity] = result.rows.num_rows
    assert accepted == {"note": 3 + 2 + 1 + 1, "comment": 4 + 2 + 1, "creator": 3}


def url(n: int) -> str:
    return f"https://www.xiaohongshu.com/explore/{hex_id(n, '67890abc')}?xsec_token=AB1"


def test_content_beats_the_name(tmp_path):
    month = tmp_path / "2025-01"
    write_json(month / "xhs/json/search_contents_2025-01-20.json", [comment(1, 1), comment(2, 1)])
    [source], _ = discover(month)
    assert (source.entity, source.crawler_type) == ("comment", "search")
    assert ingest(month, "comment").rows.num_rows == 2 and ingest(month, "note").log.num_rows == 0


def test_the_name_is_asked_only_when_the_content_says_nothing(tmp_path):
    month = tmp_path / "2025-01"
    torn = b'[\n{"note_id": "67890abc0000000000000001", "title": "Zhang Wei'  # cut inside the first record
    for name in ("xhs/json/search_contents_2025-01-20.json", "torn.json", "zhihu/json/search_comments_2025-01-20.json"):
        (month / name).parent.mkdir(parents=True, exist_ok=True)
        (month / name).write_bytes(torn)
    (month / "search_comments_2025-01-21.json").write_text("")
    (month / "empty.json").write_text("[]")
    found, skipped = discover(month)
    assert {(f.relative_path, f.entity) for f in found} == {
        ("xhs/json/search_contents_2025-01-20.json", "note"),
        ("search_comments_2025-01-21.json", "comment"),
    }
    not_one = "not a RedNote record file: its first record or header has none of the fields of one"
    assert dict(skipped) == {
        "empty.json": not_one,
        "torn.json": not_one,
        "zhihu/json/search_comments_2025-01-20.json": f"{not_one} (in MediaCrawler's Zhihu folder)",
    }
    notes = ingest(month, "note")
    assert_conserved(notes)
    [reject] = notes.rejects.to_pylist()
    assert reject["reason"].startswith("truncated or invalid JSON array") and "Zhang" not in reject["payload"]
    comments = ingest(month, "comment")
    assert comments.log.to_pylist()[0]["records_read"] == 0  # an empty file MediaCrawler reset: read, nothing in it


# --- other platforms ----------------------------------------------------------------------------

P = PERSON
# platform, MediaCrawler's item word, the id-era record (keys from the store code)
OTHER_PLATFORM_RECORDS: list[tuple[str, str, dict]] = [
    (
        "Zhihu",
        "contents",
        {
            "content_id": "123",
            "content_type": "answer",
            "content_text": "text",
            "content_url": "https://www.zhihu.com/question/1/answer/123",
            "question_id": "1",
            "title": "t",
            "desc": "d",
            "created_time": 1737266400,
            "updated_time": 1737266400,
            "voteup_count": 3,
            "comment_count": 1,
            "source_keyword": "tiktok",
            "user_id": P["user_id"],
            "user_link": P["profile"],
            "user_nickname": P["nickname"],
            "user_avatar": P["avatar"],
            "user_url_token": "zhang-weiwei",
        },
    ),
    (
        "Zhihu",
        "comments",
        {
            "comment_id": "9",
            "parent_comment_id": "0",
            "content": "c",
            "publish_time": 1737266400,
            "ip_location": "北京",
            "sub_comment_count": 0,
            "like_count": 1,
            "dislike_count": 0,
            "content_id": "123",
            "content_type": "answer",
            "user_id": P["user_id"],
            "user_link": P["profile"],
            "user_nickname": P["nickname"],
            "user_avatar": P["avatar"],
        },
    ),
    (
        "Zhihu",
        "creators",
        {
            "user_id": P["user_id"],
            "user_link": P["profile"],
            "user_nickname": P["nickname"],
            "user_avatar": P["avatar"],
            "url_token": "zhang-weiwei",
            "gender": "女",
            "ip_location": "北京",
            "follows": 1,
            "fans": 2,
            "anwser_count": 3,
            "video_count": 0,
            "question_count": 0,
            "article_count": 0,
            "column_count": 0,
            "get_voteup_count": 5,
        },
    ),
    (
        "Weibo",
        "contents",
        {
            "note_id": "5120000000000001",
            "content": "c",
            "create_time": 1737266400,
            "create_date_time": "2025-01-19 14:00:00",
            "liked_count": "1",
            "comments_count": "2",
            "shared_count": "3",
            "last_modify_ts": 1737300000000,
            "note_url": "https://m.weibo.cn/detail/5120000000000001",
            "ip_location": "北京",
            "user_id": P["user_id"],
            "nickname": P["nickname"],
            "gender": "女",
            "profile_url": P["profile"],
            "avatar": P["avatar"],
            "source_keyword": "tiktok",
        },
    ),
    (
        "Weibo",
        "comments",
        {
            "comment_id": "5120000000000009",
            "create_time": 1737266400,
            "create_date_time": "2025-01-19 14:00:00",
            "note_id": "5120000000000001",
            "content": "c",
            "sub_comment_count": "0",
            "comment_like_count": "1",
            "last_modify_ts": 1737300000000,
            "ip_location": "北京",
            "parent_comment_id": "0",
            "user_id": P["user_id"],
            "nickname": P["nickname"],
            "gender": "女",
            "profile_url": P["profile"],
            "avatar": P["avatar"],
        },
    ),
    (
        "Weibo",
        "creators",
        {
            "user_id": P["user_id"],
            "nickname": P["nickname"],
            "gender": "女",
            "avatar": P["avatar"],
            "desc": "bio",
            "ip_location": "北京",
            "follows": "1",
            "fans": "2",
            "tag_list": "",
            "last_modify_ts": 1737300000000,
        },
    ),
    (
        "Douyin",
        "contents",
        {
            "aweme_id": "7460000000000000001",
            "aweme_type": "0",
            "title": "t",
            "desc": "d",
            "create_time": 1737266400,
            "user_id": P["user_id"],
            "sec_uid": "MS4wLjABAAAA",
            "short_user_id": "1",
            "user_unique_id": "zhang",
            "user_signature": "sig",
            "nickname": P["nickname"],
            "avatar": P["avatar"],
            "liked_count": "1",
            "collected_count": "2",
            "comment_count": "3",
            "share_count": "4",
            "ip_location": "北京",
            "last_modify_ts": 1737300000000,
            "aweme_url": "https://www.douyin.com/video/7460000000000000001",
            "source_keyword": "tiktok",
        },
    ),
    (
        "Douyin",
        "comments",
        {
            "comment_id": "7460000000000000009",
            "create_time": 1737266400,
            "ip_location": "北京",
            "aweme_id": "7460000000000000001",
            "content": "c",
            "user_id": P["user_id"],
            "sec_uid": "MS4wLjABAAAA",
            "nickname": P["nickname"],
            "avatar": P["avatar"],
            "sub_comment_count": "0",
            "like_count": 1,
            "last_modify_ts": 1737300000000,
            "parent_comment_id": "0",
            "pictures": "",
        },
    ),
    (
        "Douyin",
        "creators",
        {
            "user_id": P["user_id"],
            "nickname": P["nickname"],
            "gender": "女",
            "avatar": P["avatar"],
            "desc": "bio",
            "ip_location": "北京",
            "follows": 1,
            "fans": 2,
            "interaction": 3,
            "videos_count": 4,
            "last_modify_ts": 1737300000000,
        },
    ),
    (
        "Bilibili",
        "contents",
        {
            "video_id": "113800000000001",
            "video_type": "video",
            "title": "t",
            "desc": "d",
            "create_time": 1737266400,
            "user_id": "12345",
            "nickname": P["nickname"],
            "avatar": P["avatar"],
            "liked_count": "1",
            "video_play_count": "2",
            "video_danmaku": "3",
            "video_comment": "4",
            "last_modify_ts": 1737300000000,
            "video_url": "https://www.bilibili.com/video/av113800000000001",
            "video_cover_url": "http://i0.hdslb.com/x.jpg",
            "source_keyword": "tiktok",
        },
    ),
    (
        "Bilibili",
        "comments",
        {
            "comment_id": "250000001",
            "parent_comment_id": "0",
            "create_time": 1737266400,
            "video_id": "113800000000001",
            "content": "c",
            "user_id": "12345",
            "nickname": P["nickname"],
            "avatar": P["avatar"],
            "sub_comment_count": "0",
            "like_count": "1",
            "last_modify_ts": 1737300000000,
        },
    ),
    (
        "Bilibili",
        "creators",
        {
            "user_id": "12345",
            "nickname": P["nickname"],
            "avatar": P["avatar"],
            "total_fans": 2,
            "total_liked": 3,
            "user_rank": 5,
            "is_official": 0,
            "last_modify_ts": 1737300000000,
        },
    ),
    (
        "Kuaishou",
        "contents",
        {
            "video_id": "3xabcdef",
            "video_type": "1",
            "title": "t",
            "desc": "d",
            "create_time": 1737266400000,
            "user_id": "3xuser",
            "nickname": P["nickname"],
            "avatar": P["avatar"],
            "liked_count": "1",
            "viewd_count": "2",
            "last_modify_ts": 1737300000000,
            "video_url": "https://www.kuaishou.com/short-video/3xabcdef",
            "video_cover_url": "https://p1.a.yximgs.com/x.jpg",
            "video_play_url": "https://v1.kwaicdn.com/x.mp4",
            "source_keyword": "tiktok",
        },
    ),
    (
        "Kuaishou",
        "comments",
        {
            "comment_id": "900001",
            "create_time": 1737266400000,
            "video_id": "3xabcdef",
            "content": "c",
            "user_id": "3xuser",
            "nickname": P["nickname"],
            "avatar": P["avatar"],
            "sub_comment_count": "0",
            "last_modify_ts": 1737300000000,
        },
    ),
    (
        "Kuaishou",
        "creators",
        {
            "user_id": "3xuser",
            "nickname": P["nickname"],
            "gender": "女",
            "avatar": P["avatar"],
            "desc": "bio",
            "ip_location": "北京",
            "follows": "1",
            "fans": "2",
            "interaction": "3",
            "last_modify_ts": 1737300000000,
        },
    ),
    (
        "Tieba",
        "contents",
        {
            "note_id": "9300000001",
            "title": "t",
            "desc": "d",
            "note_url": "https://tieba.baidu.com/p/9300000001",
            "publish_time": "2025-01-19 14:00",
            "user_link": P["profile"],
            "user_nickname": P["nickname"],
            "user_avatar": P["avatar"],
            "tieba_name": "美国吧",
            "tieba_link": "https://tieba.baidu.com/f?kw=美国",
            "total_replay_num": 3,
            "total_replay_page": 1,
            "ip_location": "北京",
            "source_keyword": "tiktok",
        },
    ),
    (
        "Tieba",
        "comments",
        {
            "comment_id": "150000000001",
            "parent_comment_id": "",
            "content": "c",
            "user_link": P["profile"],
            "user_nickname": P["nickname"],
            "user_avatar": P["avatar"],
            "publish_time": "2025-01-19 14:00",
            "ip_location": "北京",
            "sub_comment_count": 0,
            "note_id": "9300000001",
            "note_url": "https://tieba.baidu.com/p/9300000001",
            "tieba_id": "1",
            "tieba_name": "美国吧",
            "tieba_link": "https://tieba.baidu.com/f?kw=美国",
        },
    ),
    (
        "Tieba",
        "creators",
        {
            "user_id": P["user_id"],
            "user_name": "zhang",
            "nickname": P["nickname"],
            "gender": "女",
            "avatar": P["avatar"],
            "ip_location": "北京",
            "follows": 1,
            "fans": 2,
            "registration_duration": "3年",
        },
    ),
]


def head_era(record: dict) -> dict:
    """The same record as MediaCrawler's HEAD writes it: creator_hash, no raw id, avatar or link."""
    dropped = {"user_id", "avatar", "user_avatar", "user_link", "profile_url", "sec_uid", "user_url_token"}
    out = {k: v for k, v in record.items() if k not in dropped}
    return out | {"creator_hash": "0123456789abcdef"}


ITEM_FILE = {"contents": "search_contents", "comments": "search_comments", "creators": "creator_creator"}
OTHER_CASES = [(p, item, vintage) for p, item, _ in OTHER_PLATFORM_RECORDS for vintage in ("id", "head")]


@pytest.mark.parametrize(("platform", "item", "vintage"), OTHER_CASES)
def test_other_platforms_are_skipped_whole_with_the_reason(tmp_path, platform, item, vintage):
    record = next(r for p, i, r in OTHER_PLATFORM_RECORDS if (p, i) == (platform, item))
    record = head_era(record) if vintage == "head" else record
    month = tmp_path / "2025-01"
    name = f"{ITEM_FILE[item]}_2025-01-20"
    # under RedNote's own folder and file names: only the content can tell
    write_json(month / f"xhs/json/{name}.json", [record, record])
    write_jsonl(month / f"xhs/jsonl/{name}.jsonl", [record])
    write_csv(month / f"xhs/csv/3_{name}.csv", [record, record])
    write_xlsx(month / "xhs/excel/xhs_search_20250120_101500.xlsx", {"Contents": [record]})
    found, skipped = discover(month)
    assert found == []
    assert len(skipped) == 4
    for _, reason in skipped:
        assert reason.startswith(f"{platform} {item}, not RedNote"), reason
    for entity in ("note", "comment", "creator"):
        result = ingest(month, entity)
        assert result.log.num_rows == 0 and result.rejects.num_rows == 0 and result.rows.num_rows == 0
        stored = everything_stored(result)
        for value in PERSON.values():
            assert value not in stored


def test_rednote_key_sets_of_every_vintage_are_rednote():
    """The keys of MediaCrawler's RedNote records of 2024-01, 2024-03 and HEAD (store/xhs/__init__.py)."""
    first_notes = {"note_id", "type", "title", "desc", "time", "last_update_time", "user_id", "nickname", "avatar"}
    first_notes |= {"liked_count", "collected_count", "comment_count", "share_count", "ip_location", "image_list"}
    first_notes |= {"last_modify_ts", "note_url"}
    first_comments = {"comment_id", "create_time", "ip_location", "note_id", "content", "user_id", "nickname"}
    first_comments |= {"avatar", "sub_comment_count", "last_modify_ts"}
    first_creators = {"user_id", "nickname", "gender", "avatar", "desc", "ip_location", "follows", "fans"}
    first_creators |= {"interaction", "tag_list"}
    for keys, entity in (
        (first_notes, "note"),
        (set(note(1)), "note"),
        (set(head_note(1)), "note"),
        (first_comments, "comment"),
        (set(comment(1, 1)), "comment"),
        (first_creators, "creator"),
        (set(creator(1)), "creator"),
        (set(note(1)) - {"note_id"}, "note"),  # the id column cut: note_url has it
    ):
        verdict = judge_keys(keys)
        assert verdict is not None and verdict.entity == entity, (keys, verdict)
    assert judge_keys({"a", "b"}) is None and judge_keys(set()) is None


def test_the_mediacrawler_recogniser_claims_only_mediacrawler_files(every_file):
    for kind, path in every_file.items():
        claimed = isinstance(by_content(path, path.name), tuple)
        assert claimed == (kind.startswith("mediacrawler") and kind != "mediacrawler sqlite"), kind
        parts = recognise_file(path, path.name, path.stat())
        tools_used = {p.source_tool for p in parts} if not isinstance(parts, str) else set()
        expected = CLAIMS.get(kind, "mediacrawler" if kind.startswith("mediacrawler") else None)
        if kind in ("4cat note", "4cat csv"):
            expected = "4cat"
        assert tools_used == ({expected} if expected else set()), (kind, parts)


# --- the other tools through the ingest -----------------------------------------------------------


def build_tool_month(month: Path) -> None:
    """One file of every tool, Spider_XHS's in the folders its download_note names after people."""
    for folder in ("spider", "db", "zs", "4cat"):
        (month / folder).mkdir(parents=True)
    save_to_xlsx(
        [spider_note(NOTE_A, USER_1, "Nick One")], month / f"spider/{USER_1}.xlsx", ZH_NOTE_HEADERS, NOTE_FIELD_KEYS
    )
    note_folder = month / f"spider/media/Nick One_{USER_1}/无标题_{NOTE_B}"
    note_folder.mkdir(parents=True)
    (note_folder / "info.json").write_text(json.dumps(spider_note(NOTE_B, USER_1, "Nick One", title="我的旅行")))
    for media in ("detail.txt", "image_0.jpg", "video.mp4"):
        (note_folder / media).write_bytes(b"\xff\xd8 Nick One")
    (note_folder.parent / "detail.txt").write_text("Nick One")  # save_user_detail
    with sqlite3.connect(month / "db/sqlite_tables.db") as con:
        con.executescript(PRE_ORM_DDL)
        insert(con, "xhs_note", note(7, user=3) | {"add_ts": 1})
        insert(con, "xhs_note_comment", comment(7, 7, user=4) | {"add_ts": 1})
        insert(con, "xhs_creator", creator(3) | {"add_ts": 1})
    write_lines(month / "zs/xiaohongshu.com.ndjson", [capture(FEED_NOTE)])
    mapped_csv(month / "4cat/rednote.csv", FOUR_CAT_NOTE_HEADER, FOUR_CAT_NOTE_ROWS, ",")
    write_json(month / "xhs/json/search_contents_2025-01-20.json", [note(1), note(2)])


# files (or tables) per source_tool in the ingest logs of the three entities
TOOL_FILES = {
    "spider_xhs": 2,  # the workbook and the info.json
    "mediacrawler_sqlite": 3,  # the notes, comments and creators tables
    "zeeschuimer": 1,
    "4cat": 1,
    "mediacrawler": 1,
}


def test_every_tool_through_the_ingest_with_source_tool_and_conservation(tmp_path):
    month = tmp_path / "2025-01"
    build_tool_month(month)
    tools_seen: dict[str, int] = {}
    for entity in ("note", "comment", "creator"):
        result = ingest(month, entity)
        assert_conserved(result)
        assert result.skipped_files == {}  # Spider_XHS's texts, images and videos are left out quietly
        for row in result.log.to_pylist():
            tools_seen[row["source_tool"]] = tools_seen.get(row["source_tool"], 0) + 1
        details = result.file_details.to_pylist()
        assert [d["source_tool"] for d in details] == result.log.column("source_tool").to_pylist()
        stored = everything_stored(result)
        for person in ("Nick One", USER_1, "sns-avatar.example", "user/profile"):
            assert person not in stored, (entity, person)
        if entity == "note":
            files = {r["source_file"]: r for r in result.log.to_pylist()}
            assert any(f.startswith("spider/media/note-") and f.endswith("/info.json") for f in files)
            assert any(f.startswith("spider/user-") and f.endswith(".xlsx") for f in files)
            ids = set(result.rows.column("note_id").to_pylist())
            assert {NOTE_A, NOTE_B, hex_id(7, "67890abc"), hex_id(1, "67890abc")} <= ids
    assert tools_seen == TOOL_FILES


def test_a_workbook_with_two_sheets_of_one_entity_logs_each(tmp_path):
    month = tmp_path / "2025-01"
    write_xlsx(month / "merged.xlsx", {"January": [note(1), note(2)], "February": [note(3)]})
    result = ingest(month, "note")
    assert sorted(result.log.column("source_file").to_pylist()) == ["merged.xlsx#February", "merged.xlsx#January"]
    assert_conserved(result)
    assert result.rows.num_rows == 3


def test_a_workbook_sheet_whose_header_says_nothing_is_read_by_its_sheet_name(tmp_path):
    month = tmp_path / "2025-01"
    damaged = [{k.replace("_id", " id"): v for k, v in comment(1, 1).items()}]  # comment_id → comment id …
    write_xlsx(month / "crawl.xlsx", {"Contents": [note(1)], "Comments": damaged, "Sheet1": [{"a": 1}]})
    found, skipped = discover(month)
    assert [(f.entity, f.sheet) for f in found] == [("note", "Contents"), ("comment", "Comments")]
    comments = ingest(month, "comment")
    assert_conserved(comments)
    assert comments.rejects.column("reason").to_pylist() == ["comment_id missing; note_id missing"]
