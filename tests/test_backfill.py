"""Concurrent month runs through the real run queue and daemon, on the project's dagster.yaml: no lock errors.

`dagster dev` (webserver + daemon) on a temporary DAGSTER_HOME holding `.dagster_home/dagster.yaml`, the small
bundled corpus (four crawl months) in a temporary data dir. Every month is submitted at once as its own run of
`month_refresh_job` restricted to the raw layer and the dbt models over it (staging views, current views,
collection_summary, …; the model-heavy labelling, BERTopic and influence steps are left out to keep this
under a few minutes). The QueuedRunCoordinator launches up to four at a time; their raw writers and
`dbt build` steps would collide on the DuckDB file without the pool limit (dbt-duckdb does not retry a lock).

Each month is its own run, as a multi-run backfill makes them: the project's partitioned assets use
`BackfillPolicy.single_run()`, so a UI backfill of contiguous months is *one* run; the runs here are what the
new-crawl sensor launches when several months arrive, or a backfill of non-contiguous months.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from rednote_dagster.lib.corpus import generate_corpus
from tests.browser import REPO, dagster_server, graphql, wait_for_code_location

pytestmark = pytest.mark.slow

PROJECT_DAGSTER_YAML = REPO / ".dagster_home" / "dagster.yaml"
LOCK_ERROR = re.compile(r"could not set lock|conflicting lock|database is locked|lock on file", re.IGNORECASE)
TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}

LAUNCH = """
mutation($params: [ExecutionParams!]!) {
  launchMultipleRuns(executionParamsList: $params) {
    __typename
    ... on LaunchMultipleRunsResult { launchMultipleRunsResult { __typename ... on LaunchRunSuccess { run { runId } }
                                                                ... on Error { message } } }
    ... on PythonError { message }
  }
}"""
RUNS = """
query($tag: String!) {
  runsOrError(filter: {tags: [{key: "rednote/test", value: $tag}]}) {
    ... on Runs { results { runId status startTime endTime tags { key value } } }
  }
}"""
LOGS = """
query($runId: ID!, $cursor: String) {
  logsForRun(runId: $runId, afterCursor: $cursor) {
    ... on EventConnection { cursor hasMore events {
      __typename
      ... on MessageEvent { message stepKey }
      ... on ExecutionStepFailureEvent { error { message causes { message } } }
      ... on RunFailureEvent { error { message } }
    } }
  }
}"""


def raw_and_dbt_keys() -> list[list[str]]:
    from rednote_dagster.defs.ingest.assets import RAW_TABLES
    from rednote_dagster.defs.transform.dbt import rednote_dbt_models

    raw = [t.split(".") for t in RAW_TABLES.values()]
    return raw + sorted(list(k.path) for k in rednote_dbt_models.keys)


def _run_logs(port: int, run_id: str) -> list[str]:
    texts, cursor = [], None
    while True:
        page = graphql(port, LOGS, {"runId": run_id, "cursor": cursor})["logsForRun"]
        for event in page["events"]:
            texts.append(event.get("message") or "")
            error = event.get("error") or {}
            texts.append(error.get("message") or "")
            texts.extend(c.get("message") or "" for c in error.get("causes") or [])
        cursor = page["cursor"]
        if not page["hasMore"]:
            return texts


def max_overlap(runs: list[dict]) -> int:
    """Most runs that were executing at the same moment."""
    edges = sorted(
        [(r["startTime"], 1) for r in runs if r["startTime"]] + [(r["endTime"], -1) for r in runs if r["endTime"]],
        key=lambda e: (e[0], e[1]),
    )
    now = best = 0
    for _, step in edges:
        now += step
        best = max(best, now)
    return best


def run_months_concurrently(tmp_path: Path, dagster_yaml: str, *, timeout: float = 480) -> dict:
    """Start `dagster dev`, submit one run per inbox month at once, wait; return runs, lock errors, timings."""
    home, data = tmp_path / "dagster_home", tmp_path / "data"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text(dagster_yaml)
    generate_corpus(data / "inbox", scale="small", seed=0)
    months = sorted(p.name for p in (data / "inbox").iterdir() if re.fullmatch(r"\d{4}-\d{2}", p.name))
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "REDNOTE_DATA_DIR": str(data),
        "REDNOTE_PSEUDONYM_KEY": "test-key",
        "REDNOTE_AUTOMATION": "off",
    }
    tag = f"backfill-{time.time_ns()}"
    selection = [{"path": k} for k in raw_and_dbt_keys()]
    started = time.monotonic()
    with dagster_server(env, dev=True, log_path=tmp_path / "dagster_dev.log") as (port, proc):
        entries = wait_for_code_location(port, proc=proc)
        assert entries and entries[0]["loadStatus"] == "LOADED", entries
        params = [
            {
                "selector": {
                    "repositoryLocationName": "rednote_dagster",
                    "repositoryName": "__repository__",
                    "jobName": "month_refresh_job",
                    "assetSelection": selection,
                },
                "executionMetadata": {
                    "tags": [{"key": "dagster/partition", "value": f"{m}-01"}, {"key": "rednote/test", "value": tag}]
                },
            }
            for m in months
        ]
        launched = graphql(port, LAUNCH, {"params": params}, timeout=300)["launchMultipleRuns"]
        results = launched.get("launchMultipleRunsResult") or []
        assert [r["__typename"] for r in results] == ["LaunchRunSuccess"] * len(months), launched
        deadline = time.monotonic() + timeout
        while True:
            runs = graphql(port, RUNS, {"tag": tag})["runsOrError"]["results"]
            if len(runs) == len(months) and all(r["status"] in TERMINAL for r in runs):
                break
            assert time.monotonic() < deadline, f"runs did not finish in {timeout} s: {runs}"
            time.sleep(3)
        logs = {r["runId"]: _run_logs(port, r["runId"]) for r in runs}
    compute_logs = [p for p in (home / "storage").rglob("*") if p.is_file() and p.suffix in (".out", ".err")]
    lock_lines = [line for texts in logs.values() for line in texts if LOCK_ERROR.search(line)]
    lock_lines += [
        f"{p.name}: {line}"
        for p in compute_logs
        for line in p.read_text(errors="replace").splitlines()
        if LOCK_ERROR.search(line)
    ]
    return {
        "months": months,
        "runs": runs,
        "lock_errors": lock_lines,
        "seconds": time.monotonic() - started,
        "overlap": max_overlap(runs),
        "partitions": sorted(next(t["value"] for t in r["tags"] if t["key"] == "dagster/partition") for r in runs),
        "step_logs": logs,
    }


def test_every_month_at_once_without_lock_errors(tmp_path):
    outcome = run_months_concurrently(tmp_path, PROJECT_DAGSTER_YAML.read_text())
    runs = outcome["runs"]
    print(f"{len(runs)} runs in {outcome['seconds']:.0f} s, at most {outcome['overlap']} at once")
    assert outcome["partitions"] == [f"{m}-01" for m in outcome["months"]]
    assert len(runs) >= 4
    assert [r["status"] for r in runs] == ["SUCCESS"] * len(runs), runs
    assert outcome["lock_errors"] == []
    assert outcome["overlap"] >= 2, "runs never overlapped: the test would not notice a missing pool limit"
    waited = [m for texts in outcome["step_logs"].values() for m in texts if "blocked by limit for pool duckdb" in m]
    assert waited, "no step ever waited for the duckdb pool"
