"""The Dagster UI in a real browser: `dagster dev` on loopback, headless Debian chromium via Playwright.

Opens the global asset graph, selects raw/notes in it, launches a materialization of one partition from the
launch dialog, waits for the run to succeed and saves screenshots (under the test's tmp dir, copied to
data/test-artifacts/, which git ignores). The server is stopped by killing its process group.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from rednote_dagster.lib.corpus import generate_corpus
from tests.browser import ARTIFACTS, REPO, dagster_server, graphql, wait_for_code_location

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PARTITION = "2025-01-01"
RUNS = """
query($partition: String!) {
  runsOrError(filter: {tags: [{key: "dagster/partition", value: $partition}]}) {
    ... on Runs { results { runId status jobName assetSelection { path } } }
  }
}"""
MATERIALIZED = f"""
query {{
  assetNodeOrError(assetKey: {{path: ["raw", "notes"]}}) {{
    ... on AssetNode {{ assetMaterializations(partitions: ["{PARTITION}"]) {{ partition runId }} }}
  }}
}}"""


def _skip_welcome(page, wait_ms: int = 0) -> None:
    """Dismiss the first-visit "Join the Dagster community" dialog if it shows (within wait_ms)."""
    skip = page.get_by_role("button", name="Skip")
    try:
        skip.wait_for(state="visible", timeout=max(wait_ms, 1))
        skip.click()
    except Exception:
        pass


def _wait_for_run(port: int, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    runs: list[dict] = []
    while time.monotonic() < deadline:
        runs = graphql(port, RUNS, {"partition": PARTITION})["runsOrError"]["results"]
        if runs and runs[0]["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
            return runs[0]
        time.sleep(2)
    raise AssertionError(f"run did not finish in {timeout} s: {runs}")


def test_materialize_one_partition_from_the_ui(browser, tmp_path):
    home, data = tmp_path / "dagster_home", tmp_path / "data"
    home.mkdir()
    shutil.copy(REPO / ".dagster_home" / "dagster.yaml", home / "dagster.yaml")
    generate_corpus(data / "inbox", scale="small", seed=0)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "REDNOTE_DATA_DIR": str(data),
        "REDNOTE_PSEUDONYM_KEY": "test-key",
        "REDNOTE_AUTOMATION": "off",
    }
    shots = tmp_path / "screenshots"
    shots.mkdir()

    with dagster_server(env, dev=True, log_path=tmp_path / "dagster_dev.log") as (port, proc):
        entries = wait_for_code_location(port, proc=proc)
        assert entries and entries[0]["loadStatus"] == "LOADED", entries
        base = f"http://127.0.0.1:{port}"
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(60_000)

        # 1. the asset graph
        page.goto(f"{base}/asset-groups", wait_until="networkidle", timeout=120_000)
        _skip_welcome(page, wait_ms=10_000)
        page.get_by_text("Global asset lineage").wait_for()
        page.get_by_role("button", name="Materialize all…").wait_for()
        page.screenshot(path=shots / "1-asset-graph.png")

        # 2. select raw/notes in the graph's asset tree (expand the group "raw", click the asset) and open
        #    the launch dialog from the graph's "Materialize selected…" button
        def tree_row(title: str):
            return page.locator('[class*="AssetSidebarNode_itemContainer"]').filter(
                has=page.locator(f'[title="{title}"]')
            )

        _skip_welcome(page)
        tree_row("raw").first.locator("button").first.click()  # the expand caret
        tree_row("notes").first.get_by_title("notes").click()
        page.get_by_text("raw / notes", exact=True).first.wait_for()  # the selected node's sidebar
        page.screenshot(path=shots / "2-asset-selected.png")
        page.get_by_role("button", name="Materialize selected…").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_text("Launch runs to materialize raw / notes").wait_for()
        show_all = dialog.get_by_text("Show all partitions")
        if show_all.count():
            show_all.click()
        box = dialog.get_by_placeholder("No matching partitions").or_(dialog.locator("input[type=text]")).first
        box.fill(PARTITION)
        box.press("Enter")
        dialog.get_by_text("1 partition", exact=True).wait_for()
        page.screenshot(path=shots / "3-launch-dialog.png")

        # 3. launch, wait for success, look at the run
        dialog.get_by_role("button", name="Launch 1 run").click()
        run = _wait_for_run(port)
        page.goto(f"{base}/runs/{run['runId']}", wait_until="networkidle", timeout=120_000)
        page.get_by_text("Success", exact=True).first.wait_for()
        page.screenshot(path=shots / "4-run-success.png")
        page.goto(f"{base}/assets/raw/notes?view=partitions", wait_until="networkidle", timeout=120_000)
        time.sleep(2)
        page.screenshot(path=shots / "5-asset-partitions.png")
        materialized = graphql(port, MATERIALIZED)["assetNodeOrError"]["assetMaterializations"]

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for shot in shots.iterdir():
        shutil.copy(shot, ARTIFACTS / f"ui-{shot.name}")
    shutil.copy(shots / "4-run-success.png", ARTIFACTS / "ui.png")

    assert run["status"] == "SUCCESS", run
    assert [k["path"] for k in run["assetSelection"]] == [["raw", "notes"]]
    assert [m["partition"] for m in materialized] == [PARTITION]
    assert proc.poll() is not None  # the server (and its process group) is gone
    assert all(Path(shots / n).stat().st_size > 10_000 for n in ("1-asset-graph.png", "4-run-success.png"))
