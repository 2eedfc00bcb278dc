"""`make ui` as a new user starts it: no activated venv, nothing of the project's on PATH.

The code location must load with the venv's own dbt (dagster dev re-parses the dbt project when the
definitions load, and that used to call the first `dbt` on PATH). Asked over GraphQL, like the UI does.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.browser import REPO, free_port, stop_process_group, wait_for_code_location

pytestmark = pytest.mark.slow

NEW_USER_PATH = "/usr/bin:/bin"


@pytest.mark.skipif(not Path("/usr/bin/make").exists(), reason="needs /usr/bin/make")
def test_make_ui_loads_the_location_without_the_venv_on_path(tmp_path):
    assert shutil.which("dbt", path=NEW_USER_PATH) is None, "a dbt on /usr/bin would hide the failure"
    port = free_port()
    env = {
        "PATH": NEW_USER_PATH,
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "REDNOTE_DATA_DIR": str(tmp_path / "data"),
        "REDNOTE_PSEUDONYM_KEY": "test-key",
        "HF_HUB_OFFLINE": "1",
    }
    log = tmp_path / "make_ui.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["make", "ui", f"UI_PORT={port}"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            entries = wait_for_code_location(port, timeout=240, proc=proc)
        finally:
            stop_process_group(proc)
    tail = log.read_text(errors="replace")[-3000:]
    assert entries, f"the UI never answered:\n{tail}"
    assert entries[0]["loadStatus"] == "LOADED", tail
    assert entries[0]["locationOrLoadError"]["__typename"] == "RepositoryLocation", f"{entries}\n{tail}"
    assert (REPO / "dbt_project" / "target" / "manifest.json").exists()
    # the shipped instance config was copied in, so the UI's runs use the duckdb pool
    assert (Path(env["DAGSTER_HOME"]) / "dagster.yaml").exists()
