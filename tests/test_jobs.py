"""Each job's asset set, pinned. The Python assets' keys were computed from the definitions while the jobs
still selected by group name, so regrouping assets cannot move one between jobs. The dbt models are
pinned by rule (every one is a rollup), so that renaming a model in dbt_project/ needs no edit here."""

import dagster as dg
import pytest

from rednote_dagster.definitions import defs as load_defs

INGEST = {"raw/comments", "raw/creators", "raw/notes"}
LABELS = {
    "enrich/comment_emotion",
    "enrich/comment_sentiment",
    "enrich/comment_stance",
    "enrich/note_sentiment",
    "enrich/note_topics",
}
PYTHON_ROLLUPS = {
    "analysis/category_engagement",
    "analysis/coding_agreement",
    "analysis/coding_sample_emotion",
    "analysis/coding_sample_sentiment",
    "analysis/coding_sample_stance",
    "analysis/coding_sample_taxonomy",
    "analysis/comment_affect_chi_square",
    "analysis/phase_breakpoints",
    "analysis/sampling_frame",
    "analysis/sentiment_chi_square",
    "analysis/stage_timeline",
    "analysis/user_influence",
    "enrich/note_clusters",
    "enrich/topic_info",
    "enrich/topic_model",
    "report/study_report",
}

DEFS = load_defs()
GRAPH = DEFS.resolve_asset_graph()
EXECUTABLE = {k for k in GRAPH.get_all_asset_keys() if GRAPH.get(k).is_executable}
DBT_MODELS = {k.to_user_string() for k in EXECUTABLE if "dbt" in GRAPH.get(k).kinds}
ROLLUPS = PYTHON_ROLLUPS | DBT_MODELS


def _upstream(key: dg.AssetKey) -> set[str]:
    seen, todo = set(), [key]
    while todo:
        for parent in GRAPH.get(todo.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return {k.to_user_string() for k in seen}


# dbt models over a table the raw layer writes (a model of another source, e.g. raw.ingest_log, is not)
DBT_FROM_RAW = {m for m in DBT_MODELS if _upstream(dg.AssetKey(m.split("/"))) & INGEST}

# job → (asset keys, partitioned by collection month)
JOBS = {
    "ingest_job": (INGEST, True),
    "labelling_job": (LABELS, True),
    "collection_month_job": (INGEST | LABELS, True),
    "rollups_job": (ROLLUPS, False),
    "month_refresh_job": (INGEST | LABELS | PYTHON_ROLLUPS | DBT_FROM_RAW, True),  # downstream of the raw layer
}


@pytest.mark.parametrize("name", sorted(JOBS))
def test_each_job_runs_exactly_its_pinned_assets_and_their_checks(name):
    expected, partitioned = JOBS[name]
    job = DEFS.resolve_job_def(name)
    layer = job.asset_layer
    assert {k.to_user_string() for k in layer.selected_asset_keys} == expected
    assert (job.partitions_def is not None) == partitioned
    # every check on a selected asset runs with it, and no other
    checks = set().union(*(data.assets_def.check_keys for data in layer.data))
    assert checks == {k for k in GRAPH.asset_check_keys if k.asset_key.to_user_string() in expected}


def test_the_month_jobs_and_the_rollups_cover_every_asset_once():
    every = {k.to_user_string() for k in EXECUTABLE}
    assert DBT_MODELS and every == INGEST | LABELS | ROLLUPS
    assert not (INGEST | LABELS) & ROLLUPS
    assert {k for k in every if GRAPH.get(dg.AssetKey(k.split("/"))).is_partitioned} == INGEST | LABELS
