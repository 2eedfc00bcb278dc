"""Type, validate and de-duplicate MediaCrawler records in SQL (an in-memory DuckDB).

Input: a table ``records(source_file, file_order, record_index, line)`` with one JSON text per
record, whatever container it came from (``readers.py``). Output, per entity: the accepted rows
(one per entity id, latest crawl wins), the rejects with every reason that applies, and
per-file counts.

The value rules are MediaCrawler's (format notes §9): counts are display strings ("44",
"1.2万", "2.1w", "3千", "1.2k", "10万+", "1k+") or int 0 defaults; missing markers ("", null,
"None") mean NULL, never 0; a trailing "+" is a lower bound (``*_approx``); epochs above 1e12 are
milliseconds, otherwise seconds; ``parent_comment_id`` 0 / "" / "0" means top level.

Nothing that identifies a person leaves this module: user ids and MediaCrawler's
``creator_hash`` are reduced to an ``identity_hash`` (see ``pseudonym.py``), nicknames and
avatars are never selected, and reject payloads are redacted.
"""

from __future__ import annotations

import duckdb

# --- value macros: the one place where MediaCrawler's value conventions are encoded -----------
MACROS = r"""
-- strlen (bytes, O(1)) first: never lower-case a long text just to learn it is not 'None'
CREATE OR REPLACE MACRO xhs_blank(v) AS
    v IS NULL OR (strlen(v) <= 16 AND lower(trim(v)) IN ('', 'none', 'null', 'nan', 'undefined'));
CREATE OR REPLACE MACRO xhs_count_text(v) AS
    replace(replace(replace(replace(trim(v), ',', ''), '，', ''), ' ', ''), '＋', '+');
CREATE OR REPLACE MACRO xhs_count_parts(v) AS
    regexp_extract(xhs_count_text(v), '^([0-9]+(?:\.[0-9]+)?)(万|w|W|千|k|K|亿)?(\+)?$', ['num', 'unit', 'plus']);
CREATE OR REPLACE MACRO xhs_count(v) AS
    CASE WHEN xhs_blank(v) OR xhs_count_parts(v).num = '' THEN NULL
         -- TRY_CAST: a count past BIGINT is no count (NULL), never an error that stops the ingest
         ELSE TRY_CAST(round(CAST(xhs_count_parts(v).num AS DOUBLE) *
                    CASE xhs_count_parts(v).unit
                        WHEN '万' THEN 1e4 WHEN 'w' THEN 1e4 WHEN 'W' THEN 1e4
                        WHEN '千' THEN 1e3 WHEN 'k' THEN 1e3 WHEN 'K' THEN 1e3
                        WHEN '亿' THEN 1e8 ELSE 1 END) AS BIGINT) END;
CREATE OR REPLACE MACRO xhs_count_approx(v) AS
    NOT xhs_blank(v) AND xhs_count_parts(v).plus = '+';
-- epoch in ms or s (MediaCrawler's own heuristic: > 1e12 is ms); NULL when not a number
CREATE OR REPLACE MACRO xhs_epoch_ms(v) AS
    CASE WHEN TRY_CAST(trim(v) AS DOUBLE) IS NULL THEN NULL
         WHEN TRY_CAST(trim(v) AS DOUBLE) > 1e12 THEN TRY_CAST(TRY_CAST(trim(v) AS DOUBLE) AS BIGINT)
         ELSE TRY_CAST(TRY_CAST(trim(v) AS DOUBLE) * 1000 AS BIGINT) END;
-- plausible epochs: 2009 (RedNote's launch is 2013) to 2100
CREATE OR REPLACE MACRO xhs_epoch_ok(v) AS
    coalesce(xhs_epoch_ms(v) BETWEEN 1230768000000 AND 4102444800000, false);
CREATE OR REPLACE MACRO xhs_ts(v) AS
    CASE WHEN xhs_epoch_ok(v) THEN make_timestamptz(xhs_epoch_ms(v) * 1000) END;
CREATE OR REPLACE MACRO xhs_id_ok(v) AS
    coalesce(regexp_full_match(lower(trim(v)), '[0-9a-f]{24}'), false);
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
                  CASE WHEN starts_with(trim(v), '"') AND json_valid(trim(v)) THEN json_extract_string(trim(v), '$') ELSE v END,
                  ','), lambda x: trim(x)), lambda x: x <> '') END;
-- reject payloads keep the record for inspection but never a person's identifiers: keyed
-- values are removed wherever they sit; a JSON array or scalar has no keys, so nothing in it can
-- be located and it is described instead of stored (the record is still in the inbox file)
CREATE OR REPLACE MACRO xhs_redact_keys(text) AS
    regexp_replace(text, '"(user_id|nickname|avatar|creator_hash|image)"\s*:\s*"[^"]*"?', '"\1": "<redacted>"', 'g');
CREATE OR REPLACE MACRO xhs_redact(line) AS
    CASE WHEN json_valid(line) AND starts_with(ltrim(line), '{')
         THEN xhs_redact_keys(CAST(json_merge_patch(line, '{"user_id": null, "nickname": null, "avatar": null, "creator_hash": null}') AS VARCHAR))
         WHEN json_valid(line)
         THEN '<a JSON ' || lower(json_type(line)) || ' of ' || strlen(line) || ' bytes: not stored, its identifiers cannot be located>'
         ELSE xhs_redact_keys(line) END;
"""

# Fields extracted per entity; order defines f[1], f[2], … below.
FIELDS: dict[str, tuple[str, ...]] = {
    "note": (
        "note_id", "type", "title", "desc", "video_url", "time", "last_update_time", "user_id",
        "creator_hash", "liked_count", "collected_count", "comment_count", "share_count",
        "ip_location", "image_list", "tag_list", "last_modify_ts", "source_keyword",
    ),
    "comment": (
        "comment_id", "create_time", "ip_location", "note_id", "content", "user_id", "creator_hash",
        "sub_comment_count", "pictures", "parent_comment_id", "last_modify_ts", "like_count",
        "target_comment_id",
    ),
    "creator": (
        "user_id", "gender", "ip_location", "follows", "fans", "interaction", "tag_list",
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
    """Parse each record once; carry only the record key, never the (large) text itself."""
    paths = ", ".join(f"'$.{name}'" for name in FIELDS[entity])
    named = ",\n        ".join(f"f[{i + 1}] AS {name}" for i, name in enumerate(FIELDS[entity]))
    return f"""
    CREATE OR REPLACE TEMP TABLE fields AS
    SELECT file_order, record_index, is_json, json_kind,
        {named}
    FROM (
        SELECT file_order, record_index, is_json, json_kind,
            CASE WHEN json_kind = 'OBJECT' THEN json_extract_string(line, [{paths}]) END AS f
        FROM (
            -- a valid JSON text's kind is its first character: no second parse for json_type
            SELECT file_order, record_index, line, json_valid(line) AS is_json,
                   CASE WHEN NOT json_valid(line) THEN NULL
                        WHEN starts_with(ltrim(line), '{{') THEN 'OBJECT'
                        WHEN starts_with(ltrim(line), '[') THEN 'ARRAY'
                        ELSE 'SCALAR' END AS json_kind
            FROM records
        )
    );
    """


def _reasons_sql(entity: str) -> str:
    """Every reason that applies, judged on the typed values (``typed_*``) next to the raw strings."""
    checks = [
        "CASE WHEN NOT is_json THEN 'invalid JSON (torn or truncated record)' END",
        "CASE WHEN is_json AND json_kind <> 'OBJECT' THEN 'record is a JSON ' || lower(json_kind) || ', not an object' END",
    ]
    for name, kind in REQUIRED[entity]:
        if kind == "id":
            checks.append(
                f"CASE WHEN json_kind = 'OBJECT' AND xhs_blank({name}) THEN '{name} missing' "
                f"WHEN json_kind = 'OBJECT' AND NOT xhs_id_ok({name}) THEN '{name} is not a 24-hex id: ' || left({name}, 40) END"
            )
        else:
            checks.append(
                f"CASE WHEN json_kind = 'OBJECT' AND xhs_blank({name}) THEN '{name} missing' "
                f"WHEN json_kind = 'OBJECT' AND typed_{name} IS NULL THEN '{name} is not an epoch: ' || left({name}, 40) END"
            )
    for name in COUNT_FIELDS[entity]:
        checks.append(
            f"CASE WHEN json_kind = 'OBJECT' AND NOT xhs_blank({name}) AND typed_{name} IS NULL "
            f"THEN '{name} is not a count: ' || left({name}, 40) END"
        )
    if entity == "comment":
        checks.append(
            "CASE WHEN json_kind = 'OBJECT' AND NOT xhs_blank(parent_comment_id) AND parent_comment_id <> '0' "
            "AND NOT xhs_id_ok(parent_comment_id) THEN 'parent_comment_id is not a 24-hex id: ' || left(parent_comment_id, 40) END"
        )
    return "concat_ws('; ', " + ", ".join(checks) + ")"


def _checked_values_sql(entity: str) -> str:
    """Typed copies of the fields the reasons look at, computed once and reused by the output."""
    cols = [f"xhs_ts({name}) AS typed_{name}" for name, kind in REQUIRED[entity] if kind == "epoch"]
    cols += [f"xhs_count({name}) AS typed_{name}" for name in COUNT_FIELDS[entity]]
    return ", ".join(cols)


_SELECT_ACCEPTED = {
    "note": """
        xhs_id(note_id) AS note_id,
        xhs_identity(user_id, creator_hash) AS identity_hash,
        coalesce(nullif(title, ''), left(coalesce("desc", ''), 255)) AS title,
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
        len(xhs_list(image_list)) AS image_count,
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
        len(xhs_list(pictures)) AS picture_count,
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


def normalize(con: duckdb.DuckDBPyConnection, entity: str) -> None:
    """Build temp tables ``accepted``, ``rejected`` and ``file_counts`` from temp table ``records``.

    ``accepted`` has one row per entity id (latest ``last_modify_ts`` wins; ties go to the
    later file, then the later record); notes also get ``source_keywords`` from every copy.
    """
    con.execute(MACROS + CREATOR_TAG_MACRO)
    con.execute(_fields_sql(entity))
    key = ID_COLUMN[entity]
    keywords = (
        f"""LEFT JOIN (SELECT {key}, list_sort(list_distinct(list(source_keyword))) AS source_keywords
                       FROM typed GROUP BY 1) USING ({key})"""
        if entity == "note" else ""
    )
    keyword_column = ", source_keywords" if entity == "note" else ""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE judged AS
        SELECT *, {_reasons_sql(entity)} AS reason
        FROM (SELECT *, {_checked_values_sql(entity)} FROM fields);

        CREATE OR REPLACE TEMP TABLE rejected AS
        SELECT r.source_file, j.record_index, j.reason, xhs_redact(r.line) AS payload
        FROM judged j JOIN records r USING (file_order, record_index)
        WHERE j.reason <> '';

        CREATE OR REPLACE TEMP TABLE typed AS
        SELECT file_order, record_index, {_SELECT_ACCEPTED[entity]}
        FROM judged WHERE reason = '';

        CREATE OR REPLACE TEMP TABLE ranked AS
        SELECT *, row_number() OVER (PARTITION BY {key}
                                     ORDER BY crawled_ms DESC, file_order DESC, record_index DESC) AS copy_rank
        FROM typed;

        CREATE OR REPLACE TEMP TABLE accepted AS
        SELECT ranked.* EXCLUDE (copy_rank, file_order, record_index, crawled_ms, source_keyword), files.source_file{keyword_column}
        FROM ranked
        JOIN (SELECT DISTINCT file_order, source_file FROM records) files USING (file_order)
        {keywords}
        WHERE copy_rank = 1;

        CREATE OR REPLACE TEMP TABLE file_counts AS
        SELECT files.source_file,
               count(*) FILTER (WHERE copy_rank = 1) AS accepted,
               count(*) FILTER (WHERE copy_rank > 1) AS duplicates
        FROM ranked JOIN (SELECT DISTINCT file_order, source_file FROM records) files USING (file_order)
        GROUP BY 1;
    """)
