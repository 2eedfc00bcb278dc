"""The dbt project, constructed once (dagster-dbt needs the manifest when the definitions load)."""

import sys
from functools import cache
from pathlib import Path

from dagster._utils import run_with_concurrent_update_guard
from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.dbt_project import using_dagster_dev

DBT_PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"


def dbt_executable() -> str:
    """The dbt installed beside this interpreter. `make ui` and `.venv/bin/dagster dev` run without an
    activated venv, so the `dbt` on PATH may be another one or none at all."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


@cache
def dbt_project() -> DbtProject:
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    # Under `dagster dev` the manifest is re-parsed so model edits show up on reload. This is what
    # `project.prepare_if_dev()` does, except that dagster-dbt's preparer runs the first `dbt` on PATH.
    # `make` and the tests parse it beforehand.
    if using_dagster_dev():
        run_with_concurrent_update_guard(project.manifest_path, _parse, project=project)
    return project


def _parse(project: DbtProject) -> None:
    cli = DbtCliResource(project_dir=project, dbt_executable=dbt_executable())
    cli.cli(["parse", "--quiet"], target_path=project.target_path).wait()
