"""Dagster entry point: everything under defs/ is loaded; global policy lives here."""

from pathlib import Path

import dagster as dg

from rednote_dagster.defs.automation import with_rollup_automation


@dg.definitions
def defs() -> dg.Definitions:
    loaded = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
    # Unpartitioned assets refresh by declarative automation after a collection month lands (defs/automation.py).
    # Every step touches the warehouse and so runs in the one-slot "duckdb" pool: a multiprocess executor
    # would add no parallelism, only a process start (code load) per step while that step holds the slot.
    # Steps of a run therefore run in the run's own process; the pool still serializes them across runs.
    return dg.Definitions.merge(with_rollup_automation(loaded), dg.Definitions(executor=dg.in_process_executor))
