"""Type, validate and de-duplicate MediaCrawler records in SQL (an in-memory DuckDB).

Input: a table ``records(source_file, file_order, record_index, line)`` with one JSON text per
record, whatever container it came from (``readers.py``), and the records the readers could not
split out. Output, per entity: the accepted rows (one per entity id, latest crawl wins), the
rejects with every reason that applies, and per-file counts.

The value rules are MediaCrawler's (format notes §9): counts are display strings ("44",
"1.2万", "2.1w", "3千", "1.2k", "10万+", "1k+") or int 0 defaults; missing markers ("", null,
"None") mean NULL, never 0; a trailing "+" is a lower bound (``*_approx``); epochs above 1e12 are
milliseconds, otherwise seconds; ``parent_comment_id`` 0 / "" / "0" means top level.

Nothing that identifies a person leaves this module: user ids and MediaCrawler's
``creator_hash`` are reduced to an ``identity_hash`` (see ``pseudonym.py``), nicknames and
avatars are never selected, and a reject payload keeps only the fields of ``REJECT_FIELDS``
(an allow-list), and only of a record that is a JSON object; of anything else only its sha256 and
length. A reject reason quotes a bad value only of a field on that list, and only in a shape that
cannot be a name or a user id (see ``_shown_sql``); of any other field only its length.
"""

from __future__ import annotations

import duckdb

# --- value macros: the one place where MediaCrawler's value conventions are encoded -----------
MACROS = (
    r"""
-- Cheap tests first: never lower-case a text just to learn it is not 'None'. A long text or one
-- that opens with a digit (every id, epoch and count) cannot be a missing-marker; CASE evaluates
-- a branch only for the rows that reach it.
CREATE OR REPLACE MACRO xhs_blank(v) AS
    CASE WHEN v IS NULL THEN true
         WHEN strlen(v) > 16 OR ascii(v) BETWEEN 48 AND 57 THEN false
         ELSE lower(trim(v)) IN ('', 'none', 'null', 'nan', 'undefined') END;
CREATE OR REPLACE MACRO xhs_count_text(v) AS
    replace(replace(replace(replace(trim(v), ',', ''), '，', ''), ' ', ''), '＋', '+');
CREATE OR REPLACE MACRO xhs_count_parts(v) AS
    regexp_extract(xhs_count_text(v), '^([0-9]+(?:\.[0-9]+)?)(万|w|W|千|k|K|亿)?(\+)?$', ['num', 'unit', 'plus']);
-- A macro's argument is copied into every place it is used, and every copy is bound and
-- optimised again for each statement (ingest pays that per entity and month), so these macros use
-- a costly argument such as xhs_count_parts(v) as few times as they can.
-- A list lookup, not CASE unit WHEN …, which repeats its operand once per branch.
CREATE OR REPLACE MACRO xhs_count_scale(unit) AS
    coalesce([1e4, 1e4, 1e4, 1e3, 1e3, 1e3, 1e8][list_position(['万', 'w', 'W', '千', 'k', 'K', '亿'], unit)], 1);
-- NULL when the text is not a count (num is then ''); TRY_CAST: a count past BIGINT is no count
-- (a reject), never an error that stops the ingest
CREATE OR REPLACE MACRO xhs_count_value(parts) AS
    TRY_CAST(round(TRY_CAST(parts.num AS DOUBLE) * xhs_count_scale(parts.unit)) AS BIGINT);
-- Most counts are plain digits; up to 15 of them are exact in a DOUBLE, so the first branch gives
-- what the general rule would, without its regexp_extract.
CREATE OR REPLACE MACRO xhs_count(v) AS
    CASE WHEN regexp_full_match(v, '[0-9]{1,15}') THEN CAST(v AS BIGINT)
         ELSE xhs_count_value(xhs_count_parts(v)) END;
-- without a '+' (or the full-width '＋' that xhs_count_text folds into it) nothing is a lower
-- bound; a text that parses as a count is never a missing-marker
CREATE OR REPLACE MACRO xhs_count_approx(v) AS
    CASE WHEN NOT (contains(v, '+') OR contains(v, '＋')) THEN false
         ELSE coalesce(xhs_count_parts(v).plus = '+', false) END;
-- epoch in ms or s (MediaCrawler's own heuristic: > 1e12 is ms); NULL when not a number, and
-- NULL rather than an error for one no BIGINT holds ('nan', 'inf', '1e30')
CREATE OR REPLACE MACRO xhs_epoch_ms(v) AS
    TRY_CAST(TRY_CAST(trim(v) AS DOUBLE) * CASE WHEN TRY_CAST(trim(v) AS DOUBLE) > 1e12 THEN 1 ELSE 1000 END AS BIGINT);
-- plausible epochs: 2009 (RedNote's launch is 2013) to 2100
CREATE OR REPLACE MACRO xhs_epoch_ok(v) AS
    coalesce(xhs_epoch_ms(v) BETWEEN 1230768000000 AND 4102444800000, false);
CREATE OR REPLACE MACRO xhs_ts(v) AS
    CASE WHEN xhs_epoch_ok(v) THEN make_timestamptz(xhs_epoch_ms(v) * 1000) END;
-- the first branch only skips lower(trim(v)) for an id already in shape; it decides nothing else
CREATE OR REPLACE MACRO xhs_id_ok(v) AS
    CASE WHEN regexp_full_match(v, '[0-9a-fA-F]{24}') THEN true
         ELSE coalesce(regexp_full_match(lower(trim(v)), '[0-9a-f]{24}'), false) END;
CREATE OR REPLACE MACRO xhs_id(v) AS lower(trim(v));
-- the key every author pseudonym is derived from: sha256(user_id)[:16], i.e. MediaCrawler's
-- own creator_hash, so id-era and HEAD-era records of one person get one author_key
CREATE OR REPLACE MACRO xhs_identity(user_id, creator_hash) AS
    CASE WHEN NOT xhs_blank(user_id) THEN left(sha256(trim(user_id)), 16)
         WHEN NOT xhs_blank(creator_hash) THEN lower(trim(creator_hash)) END;
CREATE OR REPLACE MACRO xhs_list(v) AS
    CASE WHEN xhs_blank(v) THEN []::VARCHAR[]
         ELSE list_filter(list_transform(string_split(
                  -- DB vintages store the comma-joined string JSON-quoted
                  CASE WHEN starts_with(trim(v), '"') AND json_valid(trim(v))"""
    r""" THEN json_extract_string(trim(v), '$') ELSE v END,
                  ','), lambda x: trim(x)), lambda x: x <> '') END;
-- len(xhs_list(v)) without building the list when v is plainly 'a,b,c' (nothing to trim, no
-- empty item, not JSON-quoted): then it is one more than its commas
CREATE OR REPLACE MACRO xhs_list_len(v) AS
    CASE WHEN xhs_blank(v) THEN 0
         WHEN NOT (contains(v, ' ') OR contains(v, ',,') OR starts_with(v, ',') OR ends_with(v, ',')
                   OR starts_with(v, '"'))
              THEN strlen(v) - strlen(replace(v, ',', '')) + 1
         ELSE len(xhs_list(v)) END;
-- the note id in a note_url, ``https://www.xiaohongshu.com/explore/<id>?xsec_token=…`` or
-- ``…/discovery/item/<id>``: what a record whose id column is missing or empty is keyed by
CREATE OR REPLACE MACRO xhs_url_id(url) AS
    nullif(regexp_extract(url, '/(?:explore|discovery/item)/([0-9a-fA-F]{24})', 1), '');
-- what a reject keeps of a record it cannot split into fields: its hash and length, nothing of it
CREATE OR REPLACE MACRO xhs_fingerprint(line) AS
    json_object('sha256', sha256(line), 'length', length(line))::VARCHAR;
"""
)

# The only fields of a record a reject payload may keep: ids of notes and comments, times, counts
# and the province. No person's id, name, avatar or free text (a title, desc, content or bio can
# name someone). Values are kept as text (an object or array value is dropped): an id field's only
# when it is up to 40 hex digits (a malformed id, never a name), any other field's only when it is
# at most SHOWN_CHARS long (a user id or an avatar URL that slid into a count or time column is
# longer), else as "(N characters, not shown)". Reasons quote values by the same rule.
REJECT_FIELDS: tuple[str, ...] = (
    "note_id",
    "comment_id",
    "parent_comment_id",
    "type",
    "time",
    "create_time",
    "last_update_time",
    "last_modify_ts",
    "liked_count",
    "collected_count",
    "comment_count",
    "share_count",
    "sub_comment_count",
    "like_count",
    "follows",
    "fans",
    "interaction",
    "ip_location",
    "source_keyword",
)
_ID_FIELDS = {"note_id", "comment_id", "parent_comment_id"}
SHOWN_CHARS = 20


def _shown_sql(name: str, value: str) -> str:
    """SQL for what a reject may show of ``value``, the text of field ``name`` (see REJECT_FIELDS)."""
    if name not in REJECT_FIELDS:
        return f"'(' || length({value}) || ' characters, not shown)'"
    shown = (
        f"regexp_full_match({value}, '[0-9a-fA-F ]{{0,40}}')"
        if name in _ID_FIELDS
        else f"length({value}) <= {SHOWN_CHARS}"
    )
    return f"CASE WHEN {shown} THEN {value} ELSE '(' || length({value}) || ' characters, not shown)' END"


def _reject_payload_sql(line: str = "line") -> str:
    """The allow-listed fields of a JSON object record (JSON nulls and absent keys are left out), or
    the record's fingerprint when it is not a JSON object."""
    # the JSON functions raise on invalid JSON, and DuckDB may evaluate a CASE branch it does not
    # take (a constant is folded): they only ever see valid JSON
    safe = f"CASE WHEN json_valid({line}) THEN {line} ELSE '{{}}' END"
    pairs = ", ".join(
        f"'{k}', CASE WHEN json_type({safe}, '$.{k}') NOT IN ('OBJECT', 'ARRAY', 'NULL') "
        f"THEN to_json({_shown_sql(k, f'json_extract_string({safe}, {chr(39)}$.{k}{chr(39)})')}) END"
        for k in REJECT_FIELDS
    )
    return (
        f"CASE WHEN json_valid({line}) AND starts_with(ltrim({line}, e' \\t\\r\\n'), '{{') "
        f"THEN json_merge_patch('{{}}', json_object({pairs}))::VARCHAR ELSE xhs_fingerprint({line}) END"
    )


# what a reject of a record the normaliser judged keeps of it (the readers' own rejects keep only a fingerprint)
REJECT_MACRO = f"CREATE OR REPLACE MACRO xhs_reject_payload(line) AS {_reject_payload_sql('line')};"


def _quote(name: str) -> str:
    """The text a reason gives for a bad value of ``name``: the value as a reject may show it, or,
    for a field not on the allow-list, only its length."""
    if name in REJECT_FIELDS:
        return f"': ' || {_shown_sql(name, name)}"
    return f"' ' || {_shown_sql(name, name)}"


# Fields extracted per entity; order defines f[1], f[2], … below.
FIELDS: dict[str, tuple[str, ...]] = {
    "note": (
        "note_id",
        "type",
        "title",
        "desc",
        "video_url",
        "time",
        "last_update_time",
        "user_id",
        "creator_hash",
        "liked_count",
        "collected_count",
        "comment_count",
        "share_count",
        "ip_location",
        "image_list",
        "tag_list",
        "last_modify_ts",
        "source_keyword",
        "note_url",
    ),
    "comment": (
        "comment_id",
        "create_time",
        "ip_location",
        "note_id",
        "content",
        "user_id",
        "creator_hash",
        "sub_comment_count",
        "pictures",
        "parent_comment_id",
        "last_modify_ts",
        "like_count",
        "target_comment_id",
        "note_url",
    ),
    "creator": (
        "user_id",
        "gender",
        "ip_location",
        "follows",
        "fans",
        "interaction",
        "tag_list",
        "last_modify_ts",
    ),
}

ID_COLUMN = {"note": "note_id", "comment": "comment_id", "creator": "identity_hash"}
COUNT_FIELDS = {
    "note": ("liked_count", "collected_count", "comment_count", "share_count"),
    "comment": ("like_count", "sub_comment_count"),
    "creator": ("follows", "fans", "interaction"),
}
# Fields whose absence makes a record unusable, with the check that says so.
REQUIRED = {
    "note": (("note_id", "id"), ("time", "epoch"), ("last_modify_ts", "epoch")),
    "comment": (("comment_id", "id"), ("note_id", "id"), ("create_time", "epoch"), ("last_modify_ts", "epoch")),
    "creator": (("user_id", "id"), ("last_modify_ts", "epoch")),
}


def _fields_sql(entity: str) -> str:
    """Parse each record once; carry only the record key, never the (large) text itself.

    A note or comment whose ``note_id`` is missing or empty takes it from its ``note_url``
    (``id_from_url`` says so, for the ingest log)."""
    paths = ", ".join(f"'$.{name}'" for name in FIELDS[entity])
    position = {name: i + 1 for i, name in enumerate(FIELDS[entity])}
    columns = []
    for name, i in position.items():
        if name == "note_id" and "note_url" in position:
            url = f"f[{position['note_url']}]"
            columns.append(
                f"CASE WHEN xhs_blank(f[{i}]) THEN coalesce(xhs_url_id({url}), f[{i}]) ELSE f[{i}] END AS note_id"
            )
            columns.append(f"coalesce(xhs_blank(f[{i}]) AND xhs_url_id({url}) IS NOT NULL, false) AS id_from_url")
        else:
            columns.append(f"f[{i}] AS {name}")
    if "note_url" not in position:
        columns.append("false AS id_from_url")
    named = ",\n        ".join(columns)
    return f"""
    SELECT file_order, record_index, is_json, json_kind,
        {named}
    FROM (
        SELECT file_order, record_index, is_json, json_kind,
            CASE WHEN json_kind = 'OBJECT' THEN json_extract_string(line, [{paths}]) END AS f
        FROM (
            -- a valid JSON text's kind is its first character: no second parse for json_type
            SELECT file_order, record_index, line, json_valid(line) AS is_json,
                   CASE WHEN NOT json_valid(line) THEN NULL
                        WHEN starts_with(ltrim(line, e' \t\r\n'), '{{') THEN 'OBJECT'
                        WHEN starts_with(ltrim(line, e' \t\r\n'), '[') THEN 'ARRAY'
                        ELSE 'SCALAR' END AS json_kind
            FROM records
        )
    )
    """


def _checks_sql(entity: str) -> str:
    """Every reason that applies, judged on the typed values (``typed_*``) next to the raw strings."""
    checks = [
        "CASE WHEN NOT is_json THEN 'invalid JSON (torn or truncated record)' END",
        (
            "CASE WHEN is_json AND json_kind <> 'OBJECT' "
            "THEN 'record is a JSON ' || lower(json_kind) || ', not an object' END"
        ),
    ]
    for name, kind in REQUIRED[entity]:
        if kind == "id":
            checks.append(
                f"CASE WHEN json_kind = 'OBJECT' AND xhs_blank({name}) THEN '{name} missing' "
                f"WHEN json_kind = 'OBJECT' AND NOT xhs_id_ok({name}) "
                f"THEN '{name} is not a 24-hex id' || {_quote(name)} END"
            )
        else:
            checks.append(
                f"CASE WHEN json_kind = 'OBJECT' AND xhs_blank({name}) THEN '{name} missing' "
                f"WHEN json_kind = 'OBJECT' AND typed_{name} IS NULL "
                f"THEN '{name} is not an epoch' || {_quote(name)} END"
            )
    for name in COUNT_FIELDS[entity]:
        checks.append(
            f"CASE WHEN json_kind = 'OBJECT' AND NOT xhs_blank({name}) AND typed_{name} IS NULL "
            f"THEN '{name} is not a count' || {_quote(name)} END"
        )
    if entity == "comment":
        checks.append(
            "CASE WHEN json_kind = 'OBJECT' AND NOT xhs_blank(parent_comment_id) AND parent_comment_id <> '0' "
            "AND NOT xhs_id_ok(parent_comment_id) "
            f"THEN 'parent_comment_id is not a 24-hex id' || {_quote('parent_comment_id')} END"
        )
    return "concat_ws('; ', " + ", ".join(checks) + ")"


def _reasons_sql(entity: str) -> str:
    # Nearly every record passes every check, so a cheaper test that implies as much comes first
    # and the checks run only for the records it cannot vouch for.
    return f"CASE WHEN {_surely_valid_sql(entity)} THEN '' ELSE {_checks_sql(entity)} END"


def _surely_valid_sql(entity: str) -> str:
    """A test that implies every check of ``_checks_sql`` passes (the converse need not hold).

    A JSON object (json_kind is NULL for invalid JSON); ids already in 24-hex form (so neither
    blank nor malformed); epochs that typed (a missing-marker never types); counts that typed or
    are absent; a parent id that is top-level or in 24-hex form.
    """
    tests = ["json_kind = 'OBJECT'"]
    for name, kind in REQUIRED[entity]:
        tests.append(f"regexp_full_match({name}, '[0-9a-fA-F]{{24}}')" if kind == "id" else f"typed_{name} IS NOT NULL")
    tests += [f"(typed_{name} IS NOT NULL OR {name} IS NULL)" for name in COUNT_FIELDS[entity]]
    if entity == "comment":
        tests.append(
            "(parent_comment_id IS NULL OR parent_comment_id IN ('', '0') "
            "OR regexp_full_match(parent_comment_id, '[0-9a-fA-F]{24}'))"
        )
    return " AND ".join(tests)


def _checked_values_sql(entity: str) -> str:
    """Typed copies of the fields the reasons look at, computed once and reused by the output."""
    cols = [f"xhs_ts({name}) AS typed_{name}" for name, kind in REQUIRED[entity] if kind == "epoch"]
    cols += [f"xhs_count({name}) AS typed_{name}" for name in COUNT_FIELDS[entity]]
    return ", ".join(cols)


_SELECT_ACCEPTED = {
    "note": """
        xhs_id(note_id) AS note_id,
        xhs_identity(user_id, creator_hash) AS identity_hash,
        -- a blank title stays NULL: the current-crawl views then keep a title an earlier crawl knew
        -- (MediaCrawler itself titles an untitled note by the start of its desc; other tools leave it blank)
        CASE WHEN trim(title) <> '' THEN title END AS title,
        coalesce("desc", '') AS description,
        nullif(trim(type), '') AS note_type,
        typed_time AS published_at,
        xhs_ts(last_update_time) AS last_updated_at,
        typed_last_modify_ts AS crawled_at,
        epoch_ms(typed_last_modify_ts) AS crawled_ms,
        typed_liked_count AS liked_count,
        typed_collected_count AS collected_count,
        typed_comment_count AS comment_count,
        typed_share_count AS share_count,
        (xhs_count_approx(liked_count) OR xhs_count_approx(collected_count)
         OR xhs_count_approx(comment_count) OR xhs_count_approx(share_count)) AS counts_approximate,
        nullif(trim(ip_location), '') AS ip_location,
        xhs_list(tag_list) AS tags,
        xhs_list_len(image_list) AS image_count,
        nullif(trim(video_url), '') IS NOT NULL AS has_video,
        nullif(trim(source_keyword), '') AS source_keyword
    """,
    "comment": """
        xhs_id(comment_id) AS comment_id,
        xhs_id(note_id) AS note_id,
        CASE WHEN NOT xhs_blank(parent_comment_id) AND parent_comment_id <> '0' THEN xhs_id(parent_comment_id)
             WHEN NOT xhs_blank(target_comment_id) AND target_comment_id <> '0' THEN xhs_id(target_comment_id)
        END AS parent_comment_id,
        xhs_identity(user_id, creator_hash) AS identity_hash,
        coalesce(content, '') AS content,
        typed_create_time AS created_at,
        typed_last_modify_ts AS crawled_at,
        epoch_ms(typed_last_modify_ts) AS crawled_ms,
        typed_like_count AS like_count,
        typed_sub_comment_count AS sub_comment_count,
        xhs_count_approx(like_count) AS counts_approximate,
        nullif(trim(ip_location), '') AS ip_location,
        xhs_list_len(pictures) AS picture_count,
        NULL::VARCHAR AS source_keyword
    """,
    "creator": """
        xhs_identity(user_id, NULL) AS identity_hash,
        typed_fans AS followers,
        typed_follows AS following,
        typed_interaction AS likes_and_collects,
        (xhs_count_approx(fans) OR xhs_count_approx(follows) OR xhs_count_approx(interaction)) AS counts_approximate,
        -- MediaCrawler vintages: '女'/'男' (before 2024-12-28 unknown was written as '男'), 'Female'/'Male', null
        CASE WHEN gender IN ('女', 'Female', 'female', 'F') THEN 'female'
             WHEN gender IN ('男', 'Male', 'male', 'M') THEN 'male' END AS gender,
        nullif(trim(ip_location), '') AS ip_location,
        xhs_creator_tags(tag_list) AS tags_json,
        typed_last_modify_ts AS crawled_at,
        epoch_ms(typed_last_modify_ts) AS crawled_ms,
        NULL::VARCHAR AS source_keyword
    """,
}

# Creator tag_list is a JSON string, double-encoded in the ORM vintages, \u-escaped in old ones.
CREATOR_TAG_MACRO = r"""
CREATE OR REPLACE MACRO xhs_creator_tags(v) AS
    CASE WHEN xhs_blank(v) OR NOT json_valid(v) THEN NULL
         WHEN json_type(v) = 'VARCHAR' AND json_valid(json_extract_string(v, '$'))
              THEN CAST(json(json_extract_string(v, '$')) AS VARCHAR)
         WHEN json_type(v) = 'OBJECT' THEN CAST(json(v) AS VARCHAR) END;
"""


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Install the value macros, and the setting ``normalize`` runs fast with, in ``con``'s database."""
    # The in_clause optimiser turns every `x IN (constants)` into a join, which runs for all rows
    # however a CASE guards it; xhs_blank is used a dozen times per record.
    con.execute("SET disabled_optimizers = 'in_clause'")
    con.execute(MACROS + CREATOR_TAG_MACRO + REJECT_MACRO)


def normalize(con: duckdb.DuckDBPyConnection, entity: str) -> None:
    """Build ``accepted`` (a view), ``rejected`` and ``file_counts`` from the table ``records``
    and the readers' own rejects, ``reader_rejects(source_file, record_index, reason, payload)``;
    ``prepare`` must have run on the database.

    ``accepted`` has one row per entity id (latest ``last_modify_ts`` wins; ties go to the
    later file, then the later record); notes also get ``source_keywords`` from every copy.
    """
    key = ID_COLUMN[entity]
    # notes keep the search keywords of every copy
    keywords_table = (
        f"""
        CREATE OR REPLACE TEMP TABLE keywords AS
        SELECT {key}, list_sort(list_distinct(list(source_keyword))) AS source_keywords
        FROM judged WHERE reason = '' GROUP BY 1;
    """
        if entity == "note"
        else ""
    )
    keywords = f"LEFT JOIN keywords USING ({key})" if entity == "note" else ""
    keyword_column = ", source_keywords" if entity == "note" else ""
    # One pass parses, judges and types every record, and only its result is stored: each stored
    # copy of the wide rows costs as much as a typing step. The output columns are computed for
    # rejected records too (then dropped), so none of the value macros may raise on any input.
    # The ranking sees only the keys, and ``accepted`` is a view: its one reader stores the rows.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE judged AS
        SELECT file_order, record_index, reason, id_from_url, {_SELECT_ACCEPTED[entity]}
        FROM (
            SELECT *, {_reasons_sql(entity)} AS reason
            FROM (SELECT *, {_checked_values_sql(entity)} FROM ({_fields_sql(entity)}))
        );

        CREATE OR REPLACE TEMP TABLE rejected AS
        SELECT source_file, record_index, reason, payload FROM reader_rejects  -- fingerprints only
        UNION ALL
        SELECT r.source_file, j.record_index, j.reason, xhs_reject_payload(r.line) AS payload
        FROM judged j JOIN records r USING (file_order, record_index)
        WHERE j.reason <> '';

        CREATE OR REPLACE TEMP TABLE ranked AS
        SELECT file_order, record_index,
               row_number() OVER (PARTITION BY {key}
                                  ORDER BY crawled_ms DESC, file_order DESC, record_index DESC) AS copy_rank
        FROM judged WHERE reason = '';

        CREATE OR REPLACE TEMP TABLE files AS SELECT DISTINCT file_order, source_file FROM records;

        {keywords_table}
        CREATE OR REPLACE TEMP VIEW accepted AS
        SELECT judged.* EXCLUDE (reason, file_order, record_index, crawled_ms, source_keyword, id_from_url),
               files.source_file{keyword_column}
        FROM judged
        JOIN ranked USING (file_order, record_index)
        JOIN files USING (file_order)
        {keywords}
        WHERE copy_rank = 1;

        CREATE OR REPLACE TEMP TABLE file_counts AS
        SELECT files.source_file,
               count(*) FILTER (WHERE copy_rank = 1) AS accepted,
               count(*) FILTER (WHERE copy_rank > 1) AS duplicates
        FROM ranked JOIN files USING (file_order)
        GROUP BY 1;

        -- records (accepted or not) whose note_id came from their note_url
        CREATE OR REPLACE TEMP TABLE url_id_counts AS
        SELECT files.source_file, count(*) AS ids_from_url
        FROM judged JOIN files USING (file_order)
        WHERE id_from_url
        GROUP BY 1;
    """)
