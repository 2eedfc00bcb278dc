"""analysis/phase_breakpoints: the phase boundaries recomputed from the daily note curve
(Feng et al. 2025 §5, Figure 1) and compared with the configured ones."""

import datetime as dt

import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import Field, ValidationInfo, field_validator, model_validator

from rednote_dagster.defs.report.previews import figure_preview
from rednote_dagster.defs.resources import DUCKDB_POOL
from rednote_dagster.lib.phases import DEFAULT_STABILIZATION_START, DEFAULT_SURGE_START, PhaseBoundaries
from rednote_dagster.lib.preview import markdown_table
from rednote_dagster.lib.timeline import detect_breakpoints
from rednote_dagster.lib.warehouse import PartitionWrite, replace_partitions

KEY = dg.AssetKey(["analysis", "phase_breakpoints"])
DAILY = dg.AssetKey(["marts", "daily_note_counts"])


class BreakpointConfig(dg.Config):
    surge_start: str = DEFAULT_SURGE_START.isoformat()  # configured boundaries (lib/phases.py)
    stabilization_start: str = DEFAULT_STABILIZATION_START.isoformat()
    # the check warns when peak/trough is further than this from the configured date
    tolerance_days: int = Field(default=1, ge=0)
    ignore_zero_days: bool = True  # trough over days with ≥ 1 note (lib/timeline.py)

    @field_validator("surge_start", "stabilization_start")
    @classmethod
    def _iso_date(cls, value: str, info: ValidationInfo) -> str:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{info.field_name}: {value!r} is not a date (YYYY-MM-DD)") from None
        return value

    @model_validator(mode="after")
    def _in_order(self) -> "BreakpointConfig":
        if dt.date.fromisoformat(self.stabilization_start) <= dt.date.fromisoformat(self.surge_start):
            raise ValueError(
                f"stabilization_start {self.stabilization_start} must come after surge_start {self.surge_start}"
            )
        return self


@dg.asset(
    key=KEY,
    deps=[DAILY],
    pool=DUCKDB_POOL,
    group_name="analysis",
    kinds={"duckdb", "polars"},
    description=(
        "Configured vs detected phase boundaries: surge_start = peak day of marts.daily_note_counts, "
        "stabilization_start = lowest observed day after the peak (method peak_trough, the paper's "
        "definition; earliest day on ties), plus a three-segment least-squares changepoint fit on "
        "log1p(notes) for comparison (method changepoint_l2)."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            "detected_matches_configured",
            asset=KEY,
            blocking=False,
            description="Peak and post-peak trough are within tolerance_days (1) of the configured boundaries "
            "(WARN only: the boundaries are a documented analysis choice).",
        )
    ],
)
def phase_breakpoints(context: dg.AssetExecutionContext, config: BreakpointConfig, duckdb: DuckDBResource):
    with duckdb.get_connection() as con:
        daily = con.sql("SELECT ny_date, notes FROM marts.daily_note_counts").pl()
    if daily.is_empty():
        raise dg.Failure("marts.daily_note_counts is empty: no curve to find the boundaries on")
    bounds = PhaseBoundaries(
        dt.date.fromisoformat(config.surge_start), dt.date.fromisoformat(config.stabilization_start)
    )
    table = detect_breakpoints(daily, bounds, ignore_zero_days=config.ignore_zero_days)
    with duckdb.get_connection() as con:
        replace_partitions(con, [PartitionWrite("analysis.phase_breakpoints", table.to_arrow(), {})])
        preview = figure_preview(con, "analysis.phase_breakpoints")

    main = table.filter(table["method"] == "peak_trough")
    yield dg.MaterializeResult(
        metadata={
            **preview,
            "breakpoints": dg.MetadataValue.md(markdown_table(table)),
            **{
                f"{r['boundary']}_detected": dg.MetadataValue.text(str(r["detected_date"]))
                for r in main.iter_rows(named=True)
            },
            "dagster/row_count": dg.MetadataValue.int(table.height),
        }
    )
    off = {r["boundary"]: r["days_off"] for r in main.iter_rows(named=True)}
    passed = all(d is not None and abs(d) <= config.tolerance_days for d in off.values())
    yield dg.AssetCheckResult(
        check_name="detected_matches_configured",
        passed=passed,
        severity=dg.AssetCheckSeverity.WARN,
        description=None if passed else f"detected boundaries are off the configured ones by {off} days",
        metadata={
            "days_off": dg.MetadataValue.json(off),
            "tolerance_days": dg.MetadataValue.int(config.tolerance_days),
        },
    )
