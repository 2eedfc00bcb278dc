"""The warehouse tables the study report reads, each with the asset(s) whose materialization writes it.

``REPORT_INPUTS`` is the one list: the report asset's deps are its values (defs/report/study_report.py),
and every report query is checked against its keys when it runs (``tables_of`` raises on a table not
listed here), so the asset cannot read a table it does not depend on. tests/unit/test_report.py proves
the list is exactly what the queries read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache

import duckdb

from rednote_dagster.lib.warehouse import table_exists

REPORT_INPUTS: dict[str, tuple[str, ...]] = {
    # dbt marts: Figures 1-4, 6, 7, 9 and the collection table
    "marts.daily_note_counts": ("marts/daily_note_counts",),
    "marts.engagement_by_phase_and_tier": ("marts/engagement_by_phase_and_tier",),
    "marts.tier_transitions": ("marts/tier_transitions",),
    "marts.topic_share_by_tier": ("marts/topic_share_by_tier",),
    "marts.sentiment_by_topic": ("marts/sentiment_by_topic",),
    "marts.sentiment_by_topic_and_tier": ("marts/sentiment_by_topic_and_tier",),
    "marts.comment_affect_by_topic_group": ("marts/comment_affect_by_topic_group",),
    "marts.collection_summary": ("marts/collection_summary",),
    # Python analyses; a side table counts as the asset that writes it
    "analysis.phase_breakpoints": ("analysis/phase_breakpoints",),
    "analysis.category_engagement": ("analysis/category_engagement",),
    "analysis.sentiment_chi_square": ("analysis/sentiment_chi_square",),
    "analysis.sentiment_chi_square_table": ("analysis/sentiment_chi_square",),
    "analysis.coding_agreement": ("analysis/coding_agreement",),
    "analysis.user_influence_weights": ("analysis/user_influence",),
    "analysis.stage_timeline": ("analysis/stage_timeline",),
    "analysis.stage_peaks": ("analysis/stage_timeline",),
    "analysis.sampling_frame_quotas": ("analysis/sampling_frame",),
    "analysis.comment_affect_chi_square": ("analysis/comment_affect_chi_square",),
    # labels and their provenance
    "enrich.topic_info": ("enrich/topic_info",),
    "enrich.note_sentiment": ("enrich/note_sentiment",),
    "enrich.comment_sentiment": ("enrich/comment_sentiment",),
    "enrich.note_topics": ("enrich/note_topics",),
    "enrich.comment_emotion": ("enrich/comment_emotion",),
    "enrich.comment_stance": ("enrich/comment_stance",),
    # crawl provenance; every raw asset writes its rows of the ingest log
    "raw.notes": ("raw/notes",),
    "raw.ingest_log": ("raw/notes", "raw/comments", "raw/creators"),
}


def report_asset_keys() -> list[str]:
    """The assets the report depends on ("schema/table"), each once, in the order first listed."""
    return list(dict.fromkeys(key for keys in REPORT_INPUTS.values() for key in keys))


def tables_of(sql: str) -> list[str]:
    """schema.table of every table a report query reads, in order, from DuckDB's own parser.

    Raises ValueError for a table the query does not name as schema.table or that ``REPORT_INPUTS``
    does not list."""
    tables = _parsed_tables(sql)
    undeclared = [t for t in tables if t not in REPORT_INPUTS]
    if undeclared:
        raise ValueError(
            f"the report reads {', '.join(undeclared)}, which lib/report/inputs.py "
            "REPORT_INPUTS does not list (name tables as schema.table)"
        )
    return list(tables)


def missing_inputs(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    """The tables a report query reads that the warehouse does not hold yet."""
    return [t for t in tables_of(sql) if not table_exists(con, t)]


@cache
def _parsed_tables(sql: str) -> tuple[str, ...]:
    with duckdb.connect() as con:
        tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])
    if tree.get("error"):
        raise ValueError(f"cannot parse report query: {tree.get('error_message')}: {sql}")
    nodes = list(_nodes(tree))
    ctes = {entry["key"] for node in nodes for entry in node.get("cte_map", {}).get("map", [])}
    names = (
        f"{node['schema_name']}.{node['table_name']}" if node.get("schema_name") else node["table_name"]
        for node in nodes
        if node.get("type") == "BASE_TABLE"
    )
    return tuple(dict.fromkeys(name for name in names if name not in ctes))


def _nodes(node) -> Iterator[dict]:
    """Every object of a json_serialize_sql tree, depth first in document order."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)
