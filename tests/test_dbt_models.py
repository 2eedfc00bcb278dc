"""The dbt project built on a small hand-made warehouse: New York phase boundaries (unit tests and data),
Figure 1 day counts, the Figure 3 Sankey flows, Figure 4 topic shares, and the contracts the Python
analysis assets read (int_author_phase_activity, int_notes_labelled)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from rednote_dagster.defs.transform.dbt import build_vars

REPO = Path(__file__).resolve().parents[1]
DBT_DIR = REPO / "dbt_project"
MARCH, JUNE = dt.date(2025, 3, 1), dt.date(2025, 6, 1)
NO_PROFILE_CHECK = "relationships_int_notes_current_author_key__author_key__ref_int_creators_current_"

DDL = """
CREATE SCHEMA raw; CREATE SCHEMA enrich; CREATE SCHEMA analysis;
CREATE TABLE raw.notes (
    note_id VARCHAR, collection_month DATE, author_key VARCHAR, title VARCHAR, description VARCHAR,
    note_type VARCHAR, published_at TIMESTAMPTZ, last_updated_at TIMESTAMPTZ, crawled_at TIMESTAMPTZ,
    liked_count BIGINT, collected_count BIGINT, comment_count BIGINT, share_count BIGINT,
    counts_approximate BOOLEAN, ip_location VARCHAR, tags VARCHAR[], image_count BIGINT, has_video BOOLEAN,
    source_keywords VARCHAR[], source_file VARCHAR);
CREATE TABLE raw.comments (
    comment_id VARCHAR, note_id VARCHAR, parent_comment_id VARCHAR, collection_month DATE, author_key VARCHAR,
    content VARCHAR, created_at TIMESTAMPTZ, crawled_at TIMESTAMPTZ, like_count BIGINT, sub_comment_count BIGINT,
    counts_approximate BOOLEAN, ip_location VARCHAR, picture_count BIGINT, source_file VARCHAR);
CREATE TABLE raw.creators (
    author_key VARCHAR, collection_month DATE, followers BIGINT, following BIGINT, likes_and_collects BIGINT,
    counts_approximate BOOLEAN, gender VARCHAR, ip_location VARCHAR, tags_json VARCHAR, crawled_at TIMESTAMPTZ,
    source_file VARCHAR);
CREATE TABLE raw.ingest_log (
    collection_month DATE, source_file VARCHAR, entity VARCHAR, records_read BIGINT, accepted BIGINT,
    rejected BIGINT, duplicates BIGINT);
CREATE TABLE enrich.note_sentiment (
    note_id VARCHAR, collection_month DATE, content_hash VARCHAR, text_script VARCHAR, label VARCHAR,
    score TINYINT, confidence DOUBLE, passes_confidence BOOLEAN, unknown_reason VARCHAR, backend VARCHAR,
    model_id VARCHAR, model_revision VARCHAR);
CREATE TABLE enrich.note_topics (
    note_id VARCHAR, collection_month DATE, content_hash VARCHAR, code VARCHAR, code_name VARCHAR,
    category VARCHAR, category_name VARCHAR, topic_group VARCHAR, confidence DOUBLE, unknown_reason VARCHAR,
    backend VARCHAR, model_id VARCHAR, model_revision VARCHAR, scheme_version VARCHAR);
CREATE TABLE enrich.comment_emotion (
    comment_id VARCHAR, note_id VARCHAR, collection_month DATE, language VARCHAR, commenter_group VARCHAR,
    content_hash VARCHAR, code VARCHAR, confidence DOUBLE, unknown_reason VARCHAR, backend VARCHAR,
    model_id VARCHAR, model_revision VARCHAR);
CREATE TABLE enrich.comment_stance AS SELECT * FROM enrich.comment_emotion;
CREATE TABLE analysis.user_influence (author_key VARCHAR, phase VARCHAR, tier VARCHAR, influence_score DOUBLE);
"""

# note, month, author, published_at (UTC), likes, New York date, phase
NOTES = [
    ("n1", MARCH, "A", "2025-01-10 12:00", 10, "2025-01-10", "pre_ban"),
    ("n1", JUNE, "A", "2025-01-10 12:00", 15, "2025-01-10", "pre_ban"),  # the June re-crawl wins
    ("n2", MARCH, "A", "2025-01-19 03:00", 20, "2025-01-18", "pre_ban"),  # 22:00 EST on the 18th
    ("n3", MARCH, "A", "2025-01-19 05:00", 30, "2025-01-19", "surge"),
    ("n4", MARCH, "B", "2025-01-20 12:00", None, "2025-01-20", "surge"),  # likes not reported
    ("n5", MARCH, "B", "2025-04-04 03:59", 50, "2025-04-03", "surge"),  # 23:59 EDT on the 3rd
    ("n6", JUNE, "C", "2025-04-04 04:00", 60, "2025-04-04", "stabilization"),
    ("n7", JUNE, "C", "2025-04-05 12:00", 70, "2025-04-05", "stabilization"),
]
TOPICS = {"n1": "5b", "n2": "2c", "n3": "5b", "n4": "5b", "n6": "6", "n7": "6"}  # n5 not coded
# note -> (month, score, passes_confidence); n1 has a stale March label that the June one replaces
SENTIMENT = [
    ("n1", MARCH, -2, True),
    ("n1", JUNE, 2, True),
    ("n2", MARCH, 1, True),
    ("n3", MARCH, 0, False),
    ("n4", MARCH, -1, True),
    ("n5", MARCH, 1, True),
    ("n6", JUNE, 2, True),
    ("n7", JUNE, 1, True),
]
# comment, note, month, commenter group, emotion, stance; c1's March labels give way to June's
COMMENTS = [
    ("c1", "n1", MARCH, "foreign", "anger", "pro-foreign"),
    ("c1", "n1", JUNE, "foreign", "joy", "neutral"),
    ("c2", "n1", JUNE, "native", "pride", "pro-china"),
    ("c3", "n2", MARCH, "native", "joy", "neutral"),
    ("c4", "n6", JUNE, "foreign", "curiosity", "neutral"),
    ("c5", "n5", MARCH, "native", "joy", "neutral"),
]
GROUPS = {"5b": "other", "2c": "appearance", "6": "cultural"}
INFLUENCE = [
    ("A", "pre_ban", "high"),
    ("A", "surge", "low"),
    ("B", "surge", "high"),
    ("C", "stabilization", "low"),
    ("A", "all", "high"),
]


def build_warehouse(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(DDL)
        for note_id, month, author, published, likes, *_ in NOTES:
            crawled = dt.datetime(month.year, month.month, 5, tzinfo=dt.UTC)
            con.execute(
                "INSERT INTO raw.notes (note_id, collection_month, author_key, published_at, crawled_at, liked_count,"
                " collected_count, comment_count, share_count, source_file)"
                " VALUES (?, ?, ?, ?::TIMESTAMPTZ, ?, ?, 1, 2, 3, 'f')",
                [note_id, month, author, published + "+00", crawled, likes],
            )
        con.execute("""INSERT INTO raw.creators (author_key, collection_month, followers, crawled_at) VALUES
            ('A', '2025-03-01', 100, '2025-03-05 00:00+00'), ('A', '2025-06-01', 150, '2025-06-05 00:00+00')""")
        con.execute("INSERT INTO raw.ingest_log VALUES ('2025-03-01', 'f', 'note', 6, 6, 0, 0)")
        names = {
            "5b": ("Self-Expression & Personal Stories", "5"),
            "2c": ("Food, Lifestyle & Fashion", "2"),
            "6": ("Arts & Creativity", "6"),
        }
        for note_id, code in TOPICS.items():
            month = JUNE if note_id in ("n1", "n6", "n7") else MARCH
            con.execute(
                "INSERT INTO enrich.note_topics (note_id, collection_month, code, code_name, category, "
                "category_name, topic_group) VALUES (?, ?, ?, ?, ?, 'cat', ?)",
                [note_id, month, code, *names[code], GROUPS[code]],
            )
        for comment_id, note_id, month, group, emotion, stance in COMMENTS:
            crawled = dt.datetime(month.year, month.month, 5, tzinfo=dt.UTC)
            con.execute(
                "INSERT INTO raw.comments (comment_id, note_id, collection_month, crawled_at, source_file) "
                "VALUES (?, ?, ?, ?, 'f')",
                [comment_id, note_id, month, crawled],
            )
            for table, code in (("comment_emotion", emotion), ("comment_stance", stance)):
                con.execute(
                    f"INSERT INTO enrich.{table} (comment_id, note_id, collection_month, language, "
                    "commenter_group, code) VALUES (?, ?, ?, 'en', ?, ?)",
                    [comment_id, note_id, month, group, code],
                )
        for note_id, month, score, passes in SENTIMENT:
            con.execute(
                "INSERT INTO enrich.note_sentiment (note_id, collection_month, score, label, passes_confidence)"
                " VALUES (?, ?, ?, 'x', ?)",
                [note_id, month, score, passes],
            )
        con.executemany("INSERT INTO analysis.user_influence VALUES (?, ?, ?, 0.5)", INFLUENCE)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("dbt")
    path = tmp / "warehouse.duckdb"
    build_warehouse(path)
    env = {**os.environ, "DBT_PROFILES_DIR": str(DBT_DIR)}
    dbt = Path(sys.executable).parent / "dbt"
    # the --vars the Dagster dbt step passes; a private target/log path: the shared target/manifest.json
    # that Dagster imports stays untouched
    result = subprocess.run(
        [
            str(dbt),
            "build",
            "--vars",
            build_vars(str(path)),
            "--target-path",
            str(tmp / "target"),
            "--log-path",
            str(tmp / "logs"),
        ],
        cwd=DBT_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    for unit_test in (
        "int_notes_phased::phase_boundaries_follow_new_york_dates",
        "int_notes_current::latest_crawl_keeps_the_latest_crawl_of_each_note",
        "int_creators_current::latest_crawl_keeps_the_latest_profile_of_each_creator",
        "tier_transitions::tier_transitions_count_every_user_in_every_step",
    ):
        assert f"PASS {unit_test}" in result.stdout  # the unit tests ran
    # B's and C's four notes have no creator profile: the relationship test warns and the build goes on
    assert f"WARN 4 {NO_PROFILE_CHECK}" in result.stdout
    return path


def rows(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_phases_follow_new_york_dates_at_both_boundaries(warehouse):
    got = rows(warehouse, "SELECT note_id, ny_date::VARCHAR, phase FROM intermediate.int_notes_phased ORDER BY 1")
    want = sorted({(n, day, phase) for n, _, _, _, _, day, phase in NOTES})
    assert got == want


def test_fig1_counts_every_new_york_day(warehouse):
    days = {
        (d, p): n for d, p, n in rows(warehouse, "SELECT ny_date::VARCHAR, phase, notes FROM marts.daily_note_counts")
    }
    assert len(days) == 86  # 10 Jan .. 5 Apr, days without notes included
    assert sum(days.values()) == 7
    assert days[("2025-01-18", "pre_ban")] == 1 and days[("2025-01-19", "surge")] == 1
    assert days[("2025-04-03", "surge")] == 1 and days[("2025-04-04", "stabilization")] == 1
    assert days[("2025-02-01", "surge")] == 0


def test_author_phase_activity_contract(warehouse):
    got = rows(
        warehouse,
        """SELECT author_key, phase, notes, followers, likes, collects, comments, shares
                             FROM intermediate.int_author_phase_activity ORDER BY 1, 2""",
    )
    assert got == [
        ("A", "all", 3, 150, 65, 3, 6, 9),
        ("A", "pre_ban", 2, 150, 35, 2, 4, 6),
        ("A", "surge", 1, 150, 30, 1, 2, 3),
        ("B", "all", 2, None, 50, 2, 4, 6),
        ("B", "surge", 2, None, 50, 2, 4, 6),  # NULL likes count as 0
        ("C", "all", 2, None, 130, 2, 4, 6),
        ("C", "stabilization", 2, None, 130, 2, 4, 6),
    ]
    types = dict(
        rows(
            warehouse,
            """SELECT column_name, data_type FROM information_schema.columns
                                    WHERE table_name = 'int_author_phase_activity'""",
        )
    )
    assert types == {
        "author_key": "VARCHAR",
        "phase": "VARCHAR",
        "notes": "BIGINT",
        "followers": "BIGINT",
        "likes": "BIGINT",
        "collects": "BIGINT",
        "comments": "BIGINT",
        "shares": "BIGINT",
    }


def test_notes_labelled_take_the_latest_labels_and_the_phase_tier(warehouse):
    got = rows(
        warehouse,
        """SELECT note_id, phase, tier, code, score, passes_confidence, liked_count
                             FROM intermediate.int_notes_labelled ORDER BY 1""",
    )
    assert got == [
        ("n1", "pre_ban", "high", "5b", 2, True, 15),
        ("n2", "pre_ban", "high", "2c", 1, True, 20),
        ("n3", "surge", "low", "5b", 0, False, 30),
        ("n4", "surge", "high", "5b", -1, True, None),
        ("n5", "surge", "high", None, 1, True, 50),
        ("n6", "stabilization", "low", "6", 2, True, 60),
        ("n7", "stabilization", "low", "6", 1, True, 70),
    ]


def test_fig3_transitions_count_absent_users_as_inactive(warehouse):
    got = rows(
        warehouse, "SELECT from_phase, from_tier, to_phase, to_tier, users FROM marts.tier_transitions ORDER BY 1, 2, 4"
    )
    assert sorted(got) == sorted(
        [
            ("pre_ban", "high", "surge", "low", 1),  # A
            ("pre_ban", "inactive", "surge", "high", 1),  # B
            ("pre_ban", "inactive", "surge", "inactive", 1),  # C
            ("surge", "high", "stabilization", "inactive", 1),  # B
            ("surge", "inactive", "stabilization", "low", 1),  # C
            ("surge", "low", "stabilization", "inactive", 1),  # A
        ]
    )


def test_fig4_shares_within_tier(warehouse):
    got = {
        (t, c): (n, round(s, 6))
        for t, c, n, s in rows(warehouse, "SELECT tier, code, notes, share FROM marts.topic_share_by_tier")
    }
    assert got == {
        ("high", "5b"): (2, round(2 / 3, 6)),
        ("high", "2c"): (1, round(1 / 3, 6)),
        ("low", "5b"): (1, round(1 / 3, 6)),
        ("low", "6"): (2, round(2 / 3, 6)),
    }


def test_fig2_fig6_fig7(warehouse):
    fig2 = {
        (p, t): r
        for p, t, *r in rows(
            warehouse, "SELECT phase, tier, notes, authors, mean_likes FROM marts.engagement_by_phase_and_tier"
        )
    }
    assert fig2[("pre_ban", "high")] == [2, 1, 17.5]
    assert fig2[("surge", "high")] == [2, 1, 50.0]  # the unreported count is left out of the mean
    fig6 = {
        c: r for c, *r in rows(warehouse, "SELECT code, notes, notes_passing, mean_score FROM marts.sentiment_by_topic")
    }
    assert fig6 == {"5b": [3, 2, 0.5], "2c": [1, 1, 1.0], "6": [2, 2, 1.5]}
    fig7 = {
        (c, t): r
        for c, t, *r in rows(
            warehouse, "SELECT code, tier, notes_passing, mean_score FROM marts.sentiment_by_topic_and_tier"
        )
    }
    assert fig7 == {("5b", "high"): [2, 0.5], ("2c", "high"): [1, 1.0], ("6", "low"): [2, 1.5]}


def test_comment_affect_takes_the_current_labels_and_the_note_topic_group(warehouse):
    got = rows(
        warehouse, "SELECT comment_id, emotion, stance, topic_group FROM intermediate.int_comments_affect ORDER BY 1"
    )
    # c1: the June labels; c5's note n5 has no topic, so no topic group
    assert got == [
        ("c1", "joy", "neutral", "other"),
        ("c2", "pride", "pro-china", "other"),
        ("c3", "joy", "neutral", "appearance"),
        ("c4", "curiosity", "neutral", "cultural"),
        ("c5", "joy", "neutral", None),
    ]
    cells = rows(
        warehouse,
        """SELECT topic_group, commenter_group, emotion, stance, comments, share
                               FROM marts.comment_affect_by_topic_group WHERE topic_group = 'other' ORDER BY ALL""",
    )
    assert cells == [
        ("other", "all", "joy", "neutral", 1, 0.5),
        ("other", "all", "pride", "pro-china", 1, 0.5),
        ("other", "foreign", "joy", "neutral", 1, 1.0),
        ("other", "native", "pride", "pro-china", 1, 1.0),
    ]


def test_both_dagster_dbt_definitions_build_in_one_run(tmp_path, monkeypatch):
    """raw-only models → (analysis/user_influence, here pre-written) → labelled models, through Dagster."""
    import dagster as dg
    from dagster_duckdb import DuckDBResource

    from rednote_dagster.defs.resources import dbt_resource
    from rednote_dagster.defs.transform.dbt import rednote_dbt_analysis_models, rednote_dbt_models

    path = tmp_path / "warehouse.duckdb"
    build_warehouse(path)
    monkeypatch.setenv("REDNOTE_WAREHOUSE", str(tmp_path / "elsewhere.duckdb"))  # the step passes its own path
    resources = {
        "duckdb": DuckDBResource(database=str(path)),
        "dbt": dbt_resource(),
    }
    result = dg.materialize([rednote_dbt_models, rednote_dbt_analysis_models], resources=resources)
    assert result.success
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert {
        "intermediate/int_author_phase_activity",
        "marts/daily_note_counts",
        "intermediate/int_notes_labelled",
        "marts/tier_transitions",
    } <= materialized
    checks = result.get_asset_check_evaluations()
    failed = {c.check_name for c in checks if not c.passed}
    assert checks and failed == {NO_PROFILE_CHECK}  # a warning (see the fixture above)
    assert not (tmp_path / "elsewhere.duckdb").exists()
    assert rows(path, "SELECT sum(users) FROM marts.tier_transitions") == [(6,)]
    # one dbt target folder per warehouse, kept: the second invocation parses partially
    assert (tmp_path / "dbt_target" / "partial_parse.msgpack").exists()


def test_dbt_resource_skips_the_version_subprocess_but_knows_the_version():
    import re

    from rednote_dagster.defs.resources import dbt_resource

    dbt = dbt_resource()
    reported = subprocess.run([dbt.dbt_executable, "--version"], capture_output=True, text=True, check=True).stdout
    assert str(dbt._cli_version) == re.search(r"(\d+\.\d+\.\d+)", reported).group(1)
    assert dbt._initialize_dbt_core_adapter(["build"]) is None


def _manifest() -> dict:
    import json

    return json.loads((DBT_DIR / "target" / "manifest.json").read_text())  # `make manifest` parses it


def test_layers_sources_only_in_staging_and_one_yaml_per_model():
    models = [n for n in _manifest()["nodes"].values() if n["resource_type"] == "model"]
    readers = {m["name"] for m in models if any(d.startswith("source.") for d in m["depends_on"]["nodes"])}
    assert readers and all(m["name"].startswith("stg_") for m in models if m["name"] in readers), readers
    for m in models:  # models/<layer>/<name>.sql is described by models/<layer>/<name>.yml
        assert m["patch_path"] == "rednote://" + m["original_file_path"].removesuffix(".sql") + ".yml", m["name"]


def test_every_model_python_reads_has_an_enforced_contract():
    import re

    code = "\n".join(p.read_text() for p in (REPO / "rednote_dagster").rglob("*.py"))
    read = set(re.findall(r"\b(?:intermediate|marts)\.([a-z_]\w*)\b", code))
    contracts = {
        n["name"]: n["config"]["contract"]["enforced"]
        for n in _manifest()["nodes"].values()
        if n["resource_type"] == "model"
    }
    assert read and read <= set(contracts), read - set(contracts)
    assert {name for name in read if not contracts[name]} == set()
