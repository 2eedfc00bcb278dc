"""Linters, run from the venv as `make test` runs them: sqlfluff over the dbt models (config: .sqlfluff)."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_sqlfluff():
    result = subprocess.run([str(Path(sys.executable).parent / "sqlfluff"), "lint", "dbt_project"],
                            cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
