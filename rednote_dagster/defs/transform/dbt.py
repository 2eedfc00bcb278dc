"""dbt models as Dagster assets: keys [schema, model] = DuckDB schema.table, sources keep [source, table].

So ``source('raw', 'notes')`` is the Python asset ``raw/notes`` and the lineage graph joins
Python and dbt without glue. dbt tests appear as asset checks.
"""

import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets
from dagster_duckdb import DuckDBResource

from rednote_dagster.defs.resources import DUCKDB_POOL
from rednote_dagster.defs.transform.project import dbt_project


class RednoteDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props.get("alias") or dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        return f"dbt_{fqn[1]}" if len(fqn) > 2 else "dbt"


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=RednoteDbtTranslator(),
    pool=DUCKDB_POOL,
)
def rednote_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, duckdb: DuckDBResource):
    # dbt writes the same warehouse file as the Python assets (profiles.yml reads this variable).
    os.environ["REDNOTE_WAREHOUSE"] = duckdb.database
    yield from dbt.cli(["build"], context=context).stream()
