"""analysis/user_influence: entropy-weighted influence score and high / low / inactive tiers per
phase (Feng et al. 2025 §6.1, Figure 3), from the dbt view intermediate.int_author_phase_activity."""

import dagster as dg
import polars as pl
import polars.selectors as cs
from dagster_duckdb import DuckDBResource
from pydantic import Field

from rednote_dagster.defs.report.previews import figure_preview
from rednote_dagster.defs.resources import DUCKDB_POOL
from rednote_dagster.lib.influence import high_count, influence_tiers, tier_counts
from rednote_dagster.lib.preview import markdown_table
from rednote_dagster.lib.warehouse import PartitionWrite, replace_partitions

KEY = dg.AssetKey(["analysis", "user_influence"])
ACTIVITY = dg.AssetKey(["intermediate", "int_author_phase_activity"])
WEIGHTS_TABLE = "analysis.user_influence_weights"


class InfluenceConfig(dg.Config):
    min_notes: int = Field(default=3, ge=1)  # fewer notes in a phase = inactive there (Figure 3)
    high_share: float = Field(default=0.25, gt=0, le=1)  # top share of active users by score = high influence


@dg.asset(
    key=KEY,
    deps=[ACTIVITY],
    pool=DUCKDB_POOL,
    group_name="analysis",
    kinds={"duckdb", "polars", "numpy"},
    description=(
        "One row per author × phase (pre_ban, surge, stabilization, all): notes, followers, summed likes / "
        "comments / collects, the entropy-weight-method influence score among the phase's active users "
        "(≥ min_notes notes), rank, and tier (top ceil(25 %) high, rest low, < 3 notes inactive; authors "
        "without notes in a phase are listed as inactive). Weights per phase go to "
        "analysis.user_influence_weights. Choices (n per phase, sums not means, NULL followers = 0) are in "
        "rednote_dagster/lib/influence.py."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            "high_share_per_phase",
            asset=KEY,
            blocking=True,
            description="In every phase the high tier is exactly ceil(high_share × active users).",
        )
    ],
)
def user_influence(context: dg.AssetExecutionContext, config: InfluenceConfig, duckdb: DuckDBResource):
    with duckdb.get_connection() as con:
        activity = con.sql("""
            SELECT author_key, phase, notes, followers, likes, comments, collects
            FROM intermediate.int_author_phase_activity""").pl()
    result = influence_tiers(activity, min_notes=config.min_notes, high_share=config.high_share)
    weights = result.weights.with_columns(
        pl.lit(config.min_notes).alias("min_notes"), pl.lit(config.high_share).alias("high_share")
    )
    with duckdb.get_connection() as con:
        replace_partitions(
            con,
            [
                PartitionWrite("analysis.user_influence", result.users.to_arrow(), {}),
                PartitionWrite(WEIGHTS_TABLE, weights.to_arrow(), {}),
            ],
        )
        preview = figure_preview(con, "analysis.user_influence")

    counts = tier_counts(result.users)
    wide_weights = result.weights.pivot(on="indicator", index=["phase", "n_active"], values="weight").with_columns(
        cs.float().round(4)
    )
    context.log.info(f"influence weights per phase:\n{wide_weights}")
    yield dg.MaterializeResult(
        metadata={
            **preview,
            "weights": dg.MetadataValue.md(markdown_table(wide_weights)),
            "tiers": dg.MetadataValue.md(markdown_table(counts)),
            "authors": dg.MetadataValue.int(result.users["author_key"].n_unique()),
            "dagster/row_count": dg.MetadataValue.int(result.users.height),
        }
    )
    expected = {
        row["phase"]: high_count(row["high"] + row["low"], config.high_share) for row in counts.iter_rows(named=True)
    }
    wrong = {row["phase"]: row["high"] for row in counts.iter_rows(named=True) if row["high"] != expected[row["phase"]]}
    yield dg.AssetCheckResult(
        check_name="high_share_per_phase",
        passed=not wrong,
        metadata={"expected_high": dg.MetadataValue.json(expected), "mismatched": dg.MetadataValue.json(wrong)},
    )
