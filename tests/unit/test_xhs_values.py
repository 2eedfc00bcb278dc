"""MediaCrawler value conventions (format notes §9), tested through the SQL macros that apply them."""

import json

import duckdb
import pytest

from rednote_dagster.lib.xhs.normalize import CREATOR_TAG_MACRO, MACROS, REJECT_FIELDS, REJECT_MACRO


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    c.execute("SET TimeZone = 'UTC'")
    c.execute(MACROS + CREATOR_TAG_MACRO + REJECT_MACRO)
    yield c
    c.close()


def one(con, sql, *params):
    return con.execute(sql, list(params)).fetchone()


@pytest.mark.parametrize(
    "raw, value, approx",
    [
        ("44", 44, False),
        ("1.2万", 12000, False),
        ("2.1w", 21000, False),
        ("2.1W", 21000, False),
        ("3千", 3000, False),
        ("1.2k", 1200, False),
        ("10万+", 100000, True),
        ("1k+", 1000, True),
        ("10+", 10, True),
        ("1.5亿", 150000000, False),
        (" 2,243 ", 2243, False),
        ("0", 0, False),
        ("", None, False),
        ("None", None, False),
        ("null", None, False),
        (None, None, False),
    ],
)
def test_counts(con, raw, value, approx):
    assert one(con, "SELECT xhs_count(?), xhs_count_approx(?)", raw, raw) == (value, approx)


def test_json_int_zero_default_is_zero_not_missing(con):
    # MediaCrawler writes int 0 defaults (sub_comment_count, like_count); json_extract_string gives '0'.
    assert one(con, """SELECT xhs_count(json_extract_string('{"n": 0}', '$.n'))""") == (0,)


@pytest.mark.parametrize("raw", ["lots", "1.2.3万", "万", "-5", "1e5"])
def test_garbage_counts_are_flagged(con, raw):
    # not blank yet no count: the normaliser rejects the record with "… is not a count"
    assert one(con, "SELECT xhs_blank(?), xhs_count(?)", raw, raw) == (False, None)


def test_epochs_ms_and_seconds(con):
    ms, s = one(con, "SELECT xhs_ts('1718185880000')::VARCHAR, xhs_ts('1718185880')::VARCHAR")
    assert ms == s == "2024-06-12 09:51:20+00"
    assert one(con, "SELECT xhs_ts('0'), xhs_epoch_ok('0'), xhs_epoch_ok('abc'), xhs_epoch_ok(NULL)") == (
        None,
        False,
        False,
        False,
    )


def test_ids(con):
    assert one(
        con,
        "SELECT xhs_id_ok('66696f98000000000d00f289'), xhs_id_ok('66696F98000000000D00F289'), "
        "xhs_id_ok('abc'), xhs_id_ok(NULL), xhs_id(' 66696F98000000000D00F289 ')",
    ) == (True, True, False, False, "66696f98000000000d00f289")


def test_identity_hash_equals_mediacrawler_creator_hash(con):
    import hashlib

    user_id = "6785219f000000000000000001"[:24]
    creator_hash = hashlib.sha256(user_id.encode()).hexdigest()[:16]
    assert one(
        con, "SELECT xhs_identity(?, NULL), xhs_identity(NULL, ?), xhs_identity('', '')", user_id, creator_hash
    ) == (creator_hash, creator_hash, None)


def test_lists_plain_and_db_quoted(con):
    assert one(con, "SELECT xhs_list('a, b,,c'), xhs_list(''), xhs_list(?)", '"\\u5ba2\\u6237,x"') == (
        ["a", "b", "c"],
        [],
        ["客户", "x"],
    )


@pytest.mark.parametrize(
    "raw",
    [
        '{"info": null, "location": "广东深圳"}',
        '{"info": null, "location": "\\u5e7f\\u4e1c\\u6df1\\u5733"}',  # before 2024-03-17: ensure_ascii
        '"{\\"info\\": null, \\"location\\": \\"广东深圳\\"}"',  # ORM vintages: json.dumps twice
    ],
)
def test_creator_tags_every_encoding(con, raw):
    (tags,) = one(con, "SELECT json_extract_string(xhs_creator_tags(?), '$.location')", raw)
    assert tags == "广东深圳"


def test_reject_payload_keeps_only_allowed_fields(con):
    (payload,) = one(
        con,
        """SELECT xhs_reject_payload('{"note_id": "6790aaaa0000000000000001", "user_id": "6785219f0000000000000001",
        "nickname": "Alice", "avatar": "u", "desc": "Alice here", "liked_count": "lots", "time": null}')""",
    )
    assert json.loads(payload) == {"note_id": "6790aaaa0000000000000001", "liked_count": "lots"}
    (torn,) = one(
        con, """SELECT xhs_reject_payload('{"note_id": "x", "user_id": "6785219f0000000000000001", "nickname": "Ali')"""
    )
    assert set(json.loads(torn)) == {"sha256", "length"} and "Ali" not in torn


def test_reject_payload_of_keyless_nested_and_slid_values(con):
    (array,) = one(con, """SELECT xhs_reject_payload('["6785219f0000000000000001", "Alice", 3]')""")
    assert set(json.loads(array)) == {"sha256", "length"} and "Alice" not in array
    (nested,) = one(
        con,
        """SELECT xhs_reject_payload('{"note_id": "abc", "user_info": {"user_id": "6785219f0000000000000001"},
        "liked_count": {"nickname": "Alice"}, "ip_location": ["Alice"]}')""",
    )
    assert json.loads(nested) == {"note_id": "abc"}
    # a user id or a name where an id, a count or a time should be is not shown, only its length
    (slid,) = one(
        con,
        """SELECT xhs_reject_payload('{"note_id": "Alice_Wonderland", "time": "6785219f0000000000000001",
        "comment_count": "https://sns-avatar.example/1.jpg", "type": "normal"}')""",
    )
    assert json.loads(slid) == {
        "note_id": "(16 characters, not shown)",
        "time": "(24 characters, not shown)",
        "comment_count": "(32 characters, not shown)",
        "type": "normal",
    }
    assert {"user_id", "nickname", "avatar", "desc", "title", "content"}.isdisjoint(REJECT_FIELDS)


# --- the shortcuts inside the macros decide nothing the general rules would not ------------------


@pytest.mark.parametrize(
    "raw, value",
    [
        ("0", 0),
        ("007", 7),
        ("999999999999999", 999999999999999),
        ("1234567890123456", 1234567890123456),
        ("9" * 40, None),
        ("1e400", None),
        ("1" * 19 + "万", None),
        ("٣", None),
        ("１２", None),
        ("12 ", 12),
    ],
)
def test_plain_digit_counts_and_counts_past_bigint(con, raw, value):
    # up to 15 digits take the shortcut; longer ones the general rule; a count no BIGINT holds is no count
    assert one(con, "SELECT xhs_count(?)", raw) == (value,)


@pytest.mark.parametrize("raw", ["nan", "NaN", "inf", "-inf", "Infinity", "1e30", "-1e30", "9" * 40])
def test_epochs_no_bigint_holds_are_not_epochs(con, raw):
    assert one(con, "SELECT xhs_epoch_ms(?), xhs_ts(?), xhs_epoch_ok(?)", raw, raw, raw) == (None, None, False)


@pytest.mark.parametrize(
    "raw, blank",
    [
        ("0", False),
        ("1737300000000", False),
        (" none ", True),
        ("NULL", True),
        ("Undefined", True),
        ("NaN", True),
        ("\tnone", False),
        ("nonesuch", False),
        ("6785219f0000000000000001", False),
        ("", True),
        (None, True),
    ],
)
def test_blank_markers(con, raw, blank):
    assert one(con, "SELECT xhs_blank(?)", raw) == (blank,)


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "None",
        "a",
        "a,b,c",
        "a, b,,c",
        ",a,b,",
        "a,,b",
        " a ",
        "a ,b",
        '"a,b"',
        '"\\u5ba2\\u6237,x"',
        '"unterminated',
        "http://img/a,http://img/b",
        ",",
        ",,",
        "a\t,b",
        "中,文",
    ],
)
def test_list_length_is_the_length_of_the_list(con, raw):
    assert one(con, "SELECT xhs_list_len(?) = len(xhs_list(?))", raw, raw) == (True,)


@pytest.mark.parametrize(
    "raw",
    [
        "66696f98000000000d00f289",
        "66696F98000000000D00F289",
        " 66696f98000000000d00f289 ",
        "66696f98000000000d00f28",
        "66696f98000000000d00f289x",
        "",
        None,
    ],
)
def test_id_shortcut_agrees_with_the_rule(con, raw):
    assert one(
        con, "SELECT xhs_id_ok(?) = coalesce(regexp_full_match(lower(trim(?)), '[0-9a-f]{24}'), false)", raw, raw
    ) == (True,)


def test_surely_valid_records_pass_every_check(con):
    """The shortcut in front of the reasons never vouches for a record that a check rejects."""
    from rednote_dagster.lib.xhs.normalize import _checked_values_sql, _checks_sql, _fields_sql, _surely_valid_sql
    from tests.xhs_samples import comment, creator, head_note, hex_id, note

    hostile = [
        None,
        "",
        "None",
        " none ",
        "0",
        "-1",
        "1.2万",
        "10万+",
        "9" * 40,
        "1e400",
        "nan",
        "abc",
        "1737300000",
        "1737300000000",
        " 1737300000000 ",
        hex_id(9),
        hex_id(9).upper(),
        " " + hex_id(9),
        hex_id(9)[:-1],
        0,
        1.5,
        True,
        [1],
        {"a": 1},
    ]
    samples = {
        "note": [note(1), head_note(2)],
        "comment": [comment(1, 1), comment(2, 1, parent=hex_id(1, "6790aaaa"))],
        "creator": [creator(1)],
    }
    for entity, records in samples.items():
        lines = [json.dumps(r, ensure_ascii=False) for r in records] + ['{"torn": ', "[1, 2]", '"text"', "{}"]
        for record in records:
            for key in record:
                lines += [json.dumps({**record, key: value}, ensure_ascii=False) for value in hostile]
        con.execute(
            "CREATE OR REPLACE TEMP TABLE records AS SELECT 'f' AS source_file, 0 AS file_order, "
            "unnest(range(len($1))) AS record_index, unnest($1) AS line",
            [lines],
        )
        fields = _fields_sql(entity)
        judged = con.execute(f"""
            SELECT coalesce({_surely_valid_sql(entity)}, false) AS surely, {_checks_sql(entity)} AS reasons
            FROM (SELECT *, {_checked_values_sql(entity)} FROM ({fields}))""").fetchall()
        assert len(judged) == len(lines)
        assert [r for s, r in judged if s and r] == [], entity
        assert sum(s for s, _ in judged) > len(records)  # the shortcut does vouch for ordinary records
