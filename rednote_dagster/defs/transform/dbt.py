"""dbt models as Dagster assets: keys [schema, model] = DuckDB schema.table, sources keep [source, table].

So ``source('raw', 'notes')`` is the Python asset ``raw/notes`` and the lineage graph joins
Python and dbt without glue. dbt tests appear as asset checks.

The project is split into two ``@dbt_assets`` definitions, because Python assets sit between dbt models:
``intermediate/int_author_phase_activity`` (dbt) → ``analysis/user_influence`` (Python) →
``intermediate/int_notes_labelled`` (dbt). One op holding both ends would be a cycle.

* ``rednote_dbt_models``: everything built from the raw layer alone (staging, current views, phases,
  author activity, collection_summary, daily_note_counts).
* ``rednote_dbt_analysis_models``: everything downstream of the ``enrich`` or ``analysis`` sources
  (stg_enrich__*, stg_analysis__user_influence, int_notes_labelled, the other Feng et al. figure marts).
  Keeping those staging views here too means the first definition runs on a warehouse that holds only the
  raw layer (DuckDB binds a view's tables when it is created, so a view over a missing table would fail).

dbt gets the warehouse file and the phase boundaries as ``--vars`` (``build_vars``), and its events
reach Dagster as dbt emits them. The marts' figure previews are drawn by the report asset
(defs/report/study_report.py), not here.
"""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets
from dagster_duckdb import DuckDBResource

from rednote_dagster.defs.resources import DUCKDB_POOL
from rednote_dagster.defs.transform.project import dbt_project
from rednote_dagster.lib.phases import dbt_vars

# dbt selector of the models that need Python-written labels or analyses (union of the two graphs).
LABELLED_MODELS = "source:enrich+ source:analysis+"


class RednoteDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return dg.AssetKey(
            [dbt_resource_props["schema"], dbt_resource_props.get("alias") or dbt_resource_props["name"]]
        )

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        return f"dbt_{fqn[1]}" if len(fqn) > 2 else "dbt"


def _rednote_dbt_assets(name: str, *, select: str = "fqn:*", exclude: str = "") -> dg.AssetsDefinition:
    """One `dbt build` op over a slice of the project, on the warehouse of the Python assets."""

    @dbt_assets(
        name=name,
        manifest=dbt_project().manifest_path,
        project=dbt_project(),
        select=select,
        exclude=exclude,
        dagster_dbt_translator=RednoteDbtTranslator(),
        pool=DUCKDB_POOL,
    )
    def _assets(context: dg.AssetExecutionContext, dbt: DbtCliResource, duckdb: DuckDBResource):
        # events reach Dagster as dbt emits them; a failed build has reported what it built before failing
        args = ["build", "--vars", build_vars(duckdb.database)]
        yield from dbt.cli(args, context=context, target_path=dbt_target_path(duckdb.database)).stream()

    return _assets


def dbt_target_path(warehouse: str) -> Path:
    """dbt's target folder, one per warehouse and kept between runs. The profile names the warehouse
    file, and dbt re-parses the whole project when the profile differs from the one its partial-parse
    state was saved with (≈ 9 s a step on 2 cores): the project's own target/ is parsed without a
    warehouse path, so every fresh per-invocation folder seeded from it started with a full parse.
    The duckdb pool keeps dbt invocations on one warehouse from overlapping, so one folder is safe."""
    return Path(warehouse).resolve().parent / "dbt_target"


def build_vars(warehouse: str) -> str:
    """dbt's ``--vars``: the warehouse file the Python assets write (profiles.yml reads the var
    ``warehouse``) and the phase boundaries of lib/phases.py."""
    return json.dumps({"warehouse": warehouse, **dbt_vars()}, sort_keys=True)


rednote_dbt_models = _rednote_dbt_assets("rednote_dbt_models", exclude=LABELLED_MODELS)
rednote_dbt_analysis_models = _rednote_dbt_assets("rednote_dbt_analysis_models", select=LABELLED_MODELS)
