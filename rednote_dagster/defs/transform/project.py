"""The dbt project, constructed once (dagster_anchors.md G4: the manifest is needed at import)."""

from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

DBT_PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"


@cache
def dbt_project() -> DbtProject:
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    # Under `dagster dev` this runs `dbt parse`; `make` and the tests prepare it otherwise.
    project.prepare_if_dev()
    return project
