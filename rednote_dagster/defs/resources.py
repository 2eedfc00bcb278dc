"""Resources, built once. Paths come from REDNOTE_DATA_DIR (CONTRACT.md)."""


import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from rednote_dagster.defs.transform.project import DBT_PROJECT_DIR
from rednote_dagster.lib.pseudonym import Pseudonymizer, load_key
from rednote_dagster.lib.settings import DataPaths

# DuckDB has one writer: every asset, check and dbt step touching the warehouse runs in this
# pool, and .dagster_home/dagster.yaml limits it to one at a time (dagster_anchors.md G2).
DUCKDB_POOL = "duckdb"


class RednoteData(dg.ConfigurableResource):
    """The data root: inbox of crawls, warehouse, reports, manual codings, pseudonym key."""

    data_dir: str

    @property
    def paths(self) -> DataPaths:
        return DataPaths(Path(self.data_dir).resolve())

    def pseudonymizer(self) -> Pseudonymizer:
        return Pseudonymizer(load_key(self.paths.root))


def _dbt_executable() -> str:
    # The dbt installed beside this interpreter, so `.venv/bin/python -m …` works without an activated venv.
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


def build_resources(paths: DataPaths | None = None) -> dict[str, object]:
    paths = paths or DataPaths.from_env()
    return {
        "rednote": RednoteData(data_dir=str(paths.root)),
        "duckdb": DuckDBResource(database=str(paths.warehouse)),
        "dbt": DbtCliResource(
            project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=_dbt_executable()
        ),
    }


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=build_resources())
