"""The definitions load, and Python and dbt assets form one lineage graph."""

import dagster as dg

from rednote_dagster.definitions import defs


def test_definitions_load_and_lineage_joins():
    d = defs()
    graph = d.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {
        "raw/notes",
        "raw/comments",
        "raw/creators",
        "staging/stg_raw__notes",
        "intermediate/int_notes_current",
        "marts/collection_summary",
    } <= keys
    # the dbt source [raw, notes] is the Python asset raw/notes: no duplicate, a real edge
    assert dg.AssetKey(["raw", "notes"]) in graph.get(dg.AssetKey(["staging", "stg_raw__notes"])).parent_keys
    assert graph.get(dg.AssetKey(["raw", "notes"])).is_materializable


def test_every_warehouse_step_is_in_the_duckdb_pool():
    d = defs()
    ops = {node.name: node for job in [d.resolve_implicit_global_asset_job_def()] for node in job.graph.node_defs}
    assert ops, "no ops found"
    assert all(op.pool == "duckdb" for op in ops.values()), {n: op.pool for n, op in ops.items()}


def test_jobs_resolve():
    d = defs()
    assert d.resolve_job_def("collection_month_job").partitions_def is not None
    assert d.resolve_job_def("rollups_job")


def test_raw_enrich_analysis_and_marts_form_one_graph():
    graph = defs().resolve_asset_graph()

    def upstream(key: dg.AssetKey) -> set[str]:
        seen, todo = set(), [key]
        while todo:
            for parent in graph.get(todo.pop()).parent_keys:
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return {k.to_user_string() for k in seen}

    fig7 = upstream(dg.AssetKey(["marts", "sentiment_by_topic_and_tier"]))
    assert {
        "raw/notes",
        "raw/creators",
        "enrich/note_sentiment",
        "enrich/note_topics",
        "intermediate/int_author_phase_activity",
        "analysis/user_influence",
        "intermediate/int_notes_labelled",
    } <= fig7
    assert "analysis/user_influence" in upstream(dg.AssetKey(["analysis", "sentiment_chi_square"]))
    # no external stand-ins: every source of the dbt project is a materializable Python asset
    for key in ("enrich/note_sentiment", "enrich/note_topics", "analysis/user_influence"):
        assert graph.get(dg.AssetKey(key.split("/"))).is_materializable
