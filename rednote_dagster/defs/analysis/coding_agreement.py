"""analysis/coding_agreement: Cohen's κ between each label table (taxonomy, comment emotion and stance,
note and comment sentiment) and the human coders on the held-out validation part of its manual coding,
over all items and per language of their text, plus inter-coder κ (``lib/coding.py``). Blocking checks
hold the taxonomy and the sentiment labels to the κ minimum, in every language with enough items."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from rednote_dagster.defs.report.previews import figure_preview
from rednote_dagster.defs.resources import DUCKDB_POOL, CheckThresholds, RednoteData, SchemeCoding
from rednote_dagster.lib.coding import (
    CODED_TABLES,
    MIN_LANGUAGE_N,
    TABLE_AGREEMENT_SCHEMA,
    kappa_by_language,
    kappa_gate,
    table_agreement,
)
from rednote_dagster.lib.preview import markdown_table
from rednote_dagster.lib.warehouse import PartitionWrite, replace_partitions, table_exists

KEY = dg.AssetKey(["analysis", "coding_agreement"])
TAXONOMY_TABLE = "enrich.note_topics"
# check name → the label tables it holds to REDNOTE_KAPPA_MIN
GATES = {
    "kappa_above_minimum": (TAXONOMY_TABLE,),
    "sentiment_kappa_above_minimum": ("enrich.note_sentiment", "enrich.comment_sentiment"),
}


@dg.asset(
    key=KEY,
    deps=[dg.AssetKey(coded.asset_key) for coded in CODED_TABLES],
    pool=DUCKDB_POOL,
    group_name="analysis",
    kinds={"duckdb", "scikitlearn"},
    description=(
        "Cohen's κ (scikit-learn) between each label table (note topics, comment emotion and stance, note and "
        "comment sentiment) and each human coder / their consensus on the validation part of its manual coding "
        "(never used for training), over all items and per language of their text (zh / en / mixed / none), each "
        "with N; on codes, and for the taxonomy also on categories and per category one-vs-rest; and κ between "
        "the two coders. A label table without a manual coding (or not materialized) has no rows."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            "kappa_above_minimum",
            asset=KEY,
            blocking=True,
            description=(
                "Taxonomy model-vs-consensus κ on codes is at least REDNOTE_KAPPA_MIN (default 0.6), over all "
                f"held-out notes; in a language with at least {MIN_LANGUAGE_N} of them a κ under the minimum blocks "
                "when even the upper end of its 95 % interval is under it, and warns otherwise."
            ),
        ),
        dg.AssetCheckSpec(
            "sentiment_kappa_above_minimum",
            asset=KEY,
            blocking=True,
            description=(
                "Note and comment sentiment: model-vs-consensus κ on the five levels is at least REDNOTE_KAPPA_MIN, "
                "over all held-out items; per language as for the taxonomy. Warns "
                "(does not block) while there is no manual sentiment coding to measure against."
            ),
        ),
    ],
)
def coding_agreement(
    context: dg.AssetExecutionContext,
    duckdb: DuckDBResource,
    rednote: RednoteData,
    scheme_coding: SchemeCoding,
    check_thresholds: CheckThresholds,
):
    manual = rednote.paths.manual
    present = [coded for coded in CODED_TABLES if (manual / coded.coding_file).exists()]
    if not present:
        files = ", ".join(sorted({coded.coding_file for coded in CODED_TABLES}))
        raise dg.Failure(f"no manual coding in {manual}: κ needs at least one of {files} (see README)")
    frames, not_measured = [], {}
    with duckdb.get_connection() as con:
        for coded in CODED_TABLES:
            if coded not in present:
                not_measured[coded.table] = f"no manual coding at {manual / coded.coding_file}"
            elif not table_exists(con, coded.table):
                not_measured[coded.table] = f"{coded.table} is not materialized"
            else:
                frames.append(
                    table_agreement(
                        con,
                        coded,
                        coded.read_coding(manual),
                        scheme_coding.validation_share,
                        coded.read_adjudication(manual),
                    )
                )
    table = pl.concat(frames) if frames else pl.DataFrame(schema=TABLE_AGREEMENT_SCHEMA)
    with duckdb.get_connection() as con:
        replace_partitions(con, [PartitionWrite("analysis.coding_agreement", table.to_arrow(), {})])
        preview = figure_preview(con, "analysis.coding_agreement")
    for label_table, why in not_measured.items():
        context.log.warning(f"agreement of {label_table} not measured: {why}")

    by_language = kappa_by_language(table, [coded.table for coded in CODED_TABLES])
    taxonomy = by_language.filter((pl.col("label_table") == TAXONOMY_TABLE) & (pl.col("language") == "all"))
    kappa, n = (taxonomy["kappa"][0], taxonomy["n"][0]) if taxonomy.height else (None, 0)
    inter = table.filter(
        (pl.col("label_table") == TAXONOMY_TABLE)
        & (pl.col("language") == "all")
        & ~pl.col("comparison").str.starts_with("model")
        & (pl.col("level") == "code")
    )
    yield dg.MaterializeResult(
        metadata={
            **preview,
            "kappa_model_vs_consensus": dg.MetadataValue.float(round(kappa, 4) if kappa is not None else float("nan")),
            "validation_n": dg.MetadataValue.int(int(n)),
            "kappa_inter_coder": dg.MetadataValue.float(
                round(inter["kappa"][0], 4) if inter.height and inter["kappa"][0] is not None else float("nan")
            ),
            "kappa_by_language": dg.MetadataValue.md(
                markdown_table(by_language.with_columns(pl.col("kappa").round(3)), max_rows=40)
            ),
            "not_measured": dg.MetadataValue.json(not_measured),
            "agreement": dg.MetadataValue.md(
                markdown_table(
                    table.filter(pl.col("category") == "all").with_columns(
                        pl.col("kappa", "percent_agreement").round(3)
                    ),
                    max_rows=60,
                )
            ),
            "dagster/row_count": dg.MetadataValue.int(table.height),
        }
    )
    for check, tables in GATES.items():
        measured = [t for t in tables if t not in not_measured]
        gate = kappa_gate(table, measured, check_thresholds.kappa_min)
        missing = [f"{t}: {not_measured[t]}" for t in tables if t in not_measured]
        # A scheme nobody has coded yet is reported, not blocked on: there is nothing to measure. A language
        # under the minimum by less than its sampling error is reported too (kappa_gate).
        severity = (
            dg.AssetCheckSeverity.ERROR
            if gate.failures or not (missing or gate.warnings)
            else dg.AssetCheckSeverity.WARN
        )
        shown = by_language.filter(pl.col("label_table").is_in(list(tables)))
        yield dg.AssetCheckResult(
            check_name=check,
            passed=gate.passed and not missing and not gate.warnings,
            severity=severity,
            metadata={
                "minimum": dg.MetadataValue.float(check_thresholds.kappa_min),
                "min_language_n": dg.MetadataValue.int(MIN_LANGUAGE_N),
                "kappa_by_language": dg.MetadataValue.md(
                    markdown_table(shown.with_columns(pl.col("kappa", "kappa_se", "kappa_upper_95").round(3)))
                ),
                "failures": dg.MetadataValue.text("; ".join(gate.failures + missing) or "none"),
                "within_sampling_error": dg.MetadataValue.text("; ".join(gate.warnings) or "none"),
            },
        )
