"""Shared fixtures: a temporary data root per test, and a dbt manifest before defs import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DBT_DIR = REPO / "dbt_project"


def pytest_sessionstart(session):
    # dagster-dbt reads target/manifest.json when the definitions are imported (G4).
    if not (DBT_DIR / "target" / "manifest.json").exists():
        dbt = Path(sys.executable).parent / "dbt"
        subprocess.run([str(dbt), "parse", "--quiet", "--profiles-dir", "."], cwd=DBT_DIR, check=True)


@pytest.fixture
def data_root(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "data"
    (root / "inbox").mkdir(parents=True)
    monkeypatch.setenv("REDNOTE_DATA_DIR", str(root))
    monkeypatch.setenv("REDNOTE_PSEUDONYM_KEY", "test-key")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    return root


@pytest.fixture
def browser():
    """A launched headless Debian chromium (Playwright Browser); skips the test with a reason when absent."""
    from tests.browser import launch_chromium

    with launch_chromium() as launched:
        yield launched
