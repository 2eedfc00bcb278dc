"""analysis/coding_agreement: Cohen's κ between the taxonomy model and the human coders on the
held-out validation part of the manual coding, overall and per category, plus inter-coder κ."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from rednote_dagster.defs.enrich.taxonomy_coding import CODING_FILE
from rednote_dagster.defs.report.previews import figure_preview
from rednote_dagster.defs.resources import DUCKDB_POOL, CheckThresholds, RednoteData, SchemeCoding
from rednote_dagster.lib.coding import coding_agreement as agreement_table
from rednote_dagster.lib.coding import read_manual_coding
from rednote_dagster.lib.preview import markdown_table
from rednote_dagster.lib.warehouse import PartitionWrite, replace_partitions

KEY = dg.AssetKey(["analysis", "coding_agreement"])


@dg.asset(
    key=KEY,
    deps=[dg.AssetKey(["enrich", "note_topics"])],
    pool=DUCKDB_POOL,
    group_name="analysis",
    kinds={"duckdb", "scikitlearn"},
    description=(
        "Cohen's κ (scikit-learn) between the taxonomy labels and each human coder / their consensus on the "
        "validation part of the manual coding (never used for training), on codes, on categories and per "
        "category one-vs-rest, each with N; and κ between the two coders."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            "kappa_above_minimum",
            asset=KEY,
            blocking=True,
            description="Model-vs-consensus κ on codes is at least REDNOTE_KAPPA_MIN (default 0.6).",
        )
    ],
)
def coding_agreement(
    context: dg.AssetExecutionContext,
    duckdb: DuckDBResource,
    rednote: RednoteData,
    scheme_coding: SchemeCoding,
    check_thresholds: CheckThresholds,
):
    path = rednote.paths.manual / CODING_FILE
    if not path.exists():
        raise dg.Failure(f"no manual coding at {path}: κ needs note_id, coder, code rows (see README)")
    coding = read_manual_coding(path)
    with duckdb.get_connection() as con:
        model = con.sql("""
            SELECT note_id, arg_max(code, collection_month) AS code FROM enrich.note_topics
            GROUP BY note_id HAVING arg_max(code, collection_month) IS NOT NULL""").pl()
    table = agreement_table(coding, model, scheme_coding.validation_share)
    with duckdb.get_connection() as con:
        replace_partitions(con, [PartitionWrite("analysis.coding_agreement", table.to_arrow(), {})])
        preview = figure_preview(con, "analysis.coding_agreement")

    headline = table.filter((pl.col("comparison") == "model_vs_consensus") & (pl.col("level") == "code"))
    kappa, n = headline["kappa"][0], headline["n"][0]
    inter = table.filter(~pl.col("comparison").str.starts_with("model") & (pl.col("level") == "code"))
    yield dg.MaterializeResult(
        metadata={
            **preview,
            "kappa_model_vs_consensus": dg.MetadataValue.float(round(kappa, 4) if kappa is not None else float("nan")),
            "validation_n": dg.MetadataValue.int(int(n)),
            "kappa_inter_coder": dg.MetadataValue.float(
                round(inter["kappa"][0], 4) if inter.height and inter["kappa"][0] is not None else float("nan")
            ),
            "agreement": dg.MetadataValue.md(
                markdown_table(table.with_columns(pl.col("kappa", "percent_agreement").round(3)), max_rows=40)
            ),
            "dagster/row_count": dg.MetadataValue.int(table.height),
        }
    )
    yield dg.AssetCheckResult(
        check_name="kappa_above_minimum",
        passed=kappa is not None and n > 0 and kappa >= check_thresholds.kappa_min,
        metadata={
            "kappa": dg.MetadataValue.float(kappa if kappa is not None else float("nan")),
            "minimum": dg.MetadataValue.float(check_thresholds.kappa_min),
            "n": dg.MetadataValue.int(int(n)),
        },
    )
