"""analysis/sentiment_chi_square (χ² of tier × sentiment, Feng et al. 2025 §6.4) and
analysis/category_engagement (Figure 5: categories of high-influence users by engagement entropy),
both from the dbt view intermediate.int_notes_labelled."""

import dagster as dg
import polars as pl
import polars.selectors as cs
from dagster_duckdb import DuckDBResource
from pydantic import Field

from rednote_dagster.defs.report.previews import figure_preview
from rednote_dagster.defs.resources import DUCKDB_POOL
from rednote_dagster.lib.preview import markdown_table
from rednote_dagster.lib.statistics import category_engagement as engagement_table
from rednote_dagster.lib.statistics import crosstab_chi_square
from rednote_dagster.lib.statistics import sentiment_chi_square as chi_square
from rednote_dagster.lib.warehouse import PartitionWrite, replace_partitions

CHI_KEY = dg.AssetKey(["analysis", "sentiment_chi_square"])
ENGAGEMENT_KEY = dg.AssetKey(["analysis", "category_engagement"])
LABELLED = dg.AssetKey(["intermediate", "int_notes_labelled"])
CHI_TABLE = "analysis.sentiment_chi_square_table"

CHI_SCHEMA = {
    "statistic": pl.Float64,
    "p_value": pl.Float64,
    "dof": pl.Int64,
    "n_high": pl.Int64,
    "n_low": pl.Int64,
    "n_high_available": pl.Int64,
    "n_low_available": pl.Int64,
    "cramers_v": pl.Float64,
    "min_expected": pl.Float64,
    "cells_expected_below_5": pl.Int64,
    "cells_expected_below_1": pl.Int64,
    "cells": pl.Int64,
    "p_value_permutation": pl.Float64,
    "yates_applied": pl.Boolean,
    "warning": pl.String,
    "seed": pl.Int64,
    "per_group": pl.Int64,
    "dropped_scores": pl.String,
    "report": pl.String,
}


class ChiSquareConfig(dg.Config):
    per_group: int = Field(default=400, ge=1)  # notes drawn per tier after the confidence filter
    seed: int = Field(default=0, ge=0)  # sampling and permutation seed (numpy wants >= 0)
    n_resamples: int = Field(default=9999, ge=1)  # permutation p-value resamples


class EngagementConfig(dg.Config):
    tier: str = "high"  # whose notes Figure 5 scores


@dg.asset(
    key=CHI_KEY,
    deps=[LABELLED],
    pool=DUCKDB_POOL,
    group_name="analysis",
    kinds={"duckdb", "scipy"},
    description=(
        "χ² test of independence, influence tier (high, low) × sentiment score (−2..2): notes passing the "
        "sentiment confidence filter first, then up to per_group (400) per tier drawn without replacement "
        "with a fixed seed; scipy chi2_contingency, Cramér's V, expected counts, a seeded permutation "
        "p-value, and the expected-count rule (≤ 20 % of cells < 5, none < 1). One summary row; the 2×5 "
        "observed/expected table goes to analysis.sentiment_chi_square_table."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            "expected_count_rule",
            asset=CHI_KEY,
            blocking=False,
            description="At most 20 % of expected counts below 5 and none below 1 (WARN: quote the permutation "
            "p-value or merge extreme scores otherwise).",
        )
    ],
)
def sentiment_chi_square(context: dg.AssetExecutionContext, config: ChiSquareConfig, duckdb: DuckDBResource):
    with duckdb.get_connection() as con:
        notes = con.sql("""
            SELECT note_id, tier, score, passes_confidence FROM intermediate.int_notes_labelled
            WHERE tier IN ('high', 'low')""").pl()
    result, table = chi_square(notes, per_group=config.per_group, seed=config.seed, n_resamples=config.n_resamples)
    summary = pl.DataFrame([{**result.row(), "report": result.apa()}], schema=CHI_SCHEMA)
    with duckdb.get_connection() as con:
        replace_partitions(
            con,
            [
                PartitionWrite("analysis.sentiment_chi_square", summary.to_arrow(), {}),
                PartitionWrite(CHI_TABLE, table.to_arrow(), {}),
            ],
        )
        preview = figure_preview(con, "analysis.sentiment_chi_square")

    if result.warning:
        context.log.warning(result.warning)
    wide = table.with_columns(pl.col("expected").round(2)).pivot(
        on="group", index="score", values=["observed", "expected"]
    )
    yield dg.MaterializeResult(
        metadata={
            **preview,
            "result": dg.MetadataValue.text(result.apa()),
            "p_value_permutation": dg.MetadataValue.float(
                result.p_value_permutation if result.p_value_permutation is not None else float("nan")
            ),
            "n_per_group": dg.MetadataValue.md(
                markdown_table(
                    pl.DataFrame(
                        {
                            "group": ["high", "low"],
                            "available_after_filter": [result.n_high_available, result.n_low_available],
                            "drawn": [result.n_high, result.n_low],
                        }
                    )
                )
            ),
            "table": dg.MetadataValue.md(markdown_table(wide)),
            "warning": dg.MetadataValue.text(result.warning or "none"),
            "dagster/row_count": dg.MetadataValue.int(summary.height),
        }
    )
    yield dg.AssetCheckResult(
        check_name="expected_count_rule",
        passed=result.rule_passed,
        severity=dg.AssetCheckSeverity.WARN,
        description=result.warning,
        metadata={
            "min_expected": dg.MetadataValue.float(
                result.min_expected if result.min_expected is not None else float("nan")
            ),
            "cells_expected_below_5": dg.MetadataValue.int(result.cells_expected_below_5),
            "cells": dg.MetadataValue.int(result.cells),
        },
    )


@dg.asset(
    key=ENGAGEMENT_KEY,
    deps=[LABELLED],
    pool=DUCKDB_POOL,
    group_name="analysis",
    kinds={"duckdb", "polars", "numpy"},
    description=(
        "Figure 5: per phase, each taxonomy code of high-influence users' notes with its mean likes, "
        "collects, comments and shares per note and an entropy-weight-method engagement score over those "
        "four means among the phase's codes (same EWM as the influence score; 0..1), ranked."
    ),
)
def category_engagement(context: dg.AssetExecutionContext, config: EngagementConfig, duckdb: DuckDBResource):
    with duckdb.get_connection() as con:
        notes = con.sql(
            """
            SELECT phase, tier, code, code_name, category, category_name, liked_count, collected_count,"""
            """ comment_count, share_count
            FROM intermediate.int_notes_labelled WHERE tier = ?""",
            params=[config.tier],
        ).pl()
    table = engagement_table(notes, tier=config.tier)
    with duckdb.get_connection() as con:
        replace_partitions(con, [PartitionWrite("analysis.category_engagement", table.to_arrow(), {})])
        preview = figure_preview(con, "analysis.category_engagement")
    top = table.filter(pl.col("rank") <= 5).with_columns(cs.float().round(3))
    return dg.MaterializeResult(
        metadata={
            **preview,
            "top5_per_phase": dg.MetadataValue.md(markdown_table(top, max_rows=40)),
            "dagster/row_count": dg.MetadataValue.int(table.height),
        }
    )


AFFECT_KEY = dg.AssetKey(["analysis", "comment_affect_chi_square"])
# Li et al.'s crosses: each pair of (emotion, stance, topic group) over all labelled comments
AFFECT_CROSSES = (("topic_group", "emotion"), ("topic_group", "stance"), ("stance", "emotion"))


class AffectChiSquareConfig(dg.Config):
    seed: int = Field(default=0, ge=0)  # permutation seed
    n_resamples: int = Field(default=9999, ge=1)  # permutation p-value resamples


@dg.asset(
    key=AFFECT_KEY,
    deps=[dg.AssetKey(["marts", "comment_affect_by_topic_group"])],
    pool=DUCKDB_POOL,
    group_name="analysis",
    kinds={"duckdb", "scipy"},
    description=(
        "χ² tests of independence over the labelled comments (Li et al.): topic group × emotion, topic group × "
        "stance and stance × emotion, from marts.comment_affect_by_topic_group (all commenters). Empty rows or "
        "columns are dropped; Cramér's V, the expected-count rule and a seeded permutation p-value per test."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            "expected_count_rule",
            asset=AFFECT_KEY,
            blocking=False,
            description="Every computed test has at most 20 % of expected counts below 5 and none below 1.",
        )
    ],
)
def comment_affect_chi_square(context: dg.AssetExecutionContext, config: AffectChiSquareConfig, duckdb: DuckDBResource):
    with duckdb.get_connection() as con:
        cells = con.sql(
            "SELECT topic_group, emotion, stance, comments FROM marts.comment_affect_by_topic_group "
            "WHERE commenter_group = 'all'"
        ).pl()
    results = pl.DataFrame(
        [
            crosstab_chi_square(cells, row, column, "comments", config.n_resamples, config.seed)
            for row, column in AFFECT_CROSSES
        ],
        infer_schema_length=None,
    )
    with duckdb.get_connection() as con:
        replace_partitions(con, [PartitionWrite("analysis.comment_affect_chi_square", results.to_arrow(), {})])
    for warning in results["warning"].drop_nulls():
        context.log.warning(warning)
    yield dg.MaterializeResult(
        metadata={
            "tests": dg.MetadataValue.md(
                markdown_table(results.select("variables", "n", "report", "p_value_permutation"))
            ),
            "dagster/row_count": dg.MetadataValue.int(results.height),
        }
    )
    yield dg.AssetCheckResult(
        check_name="expected_count_rule",
        passed=results["warning"].null_count() == results.height,
        severity=dg.AssetCheckSeverity.WARN,
        description="; ".join(results["warning"].drop_nulls()) or None,
    )
