"""Linters, run from the venv as `make test` runs them: ruff (lint and format, config in pyproject.toml) over
the Python, sqlfluff over the dbt models (config: .sqlfluff)."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PYTHON_PATHS = ["rednote_dagster", "tests", "benchmarks", "scripts"]


def _run(tool: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / tool), *args], cwd=REPO, capture_output=True, text=True)


@pytest.mark.parametrize(
    "args", [("check", *PYTHON_PATHS), ("format", "--check", *PYTHON_PATHS)], ids=["check", "format"]
)
def test_ruff(args):
    result = _run("ruff", *args)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]


def test_sqlfluff():
    result = _run("sqlfluff", "lint", "dbt_project")
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
