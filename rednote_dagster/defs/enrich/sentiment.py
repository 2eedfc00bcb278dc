"""enrich/note_sentiment and enrich/comment_sentiment: five-level sentiment per collection month
(Feng et al. §4.1), cached by content hash so a re-crawl labels only new or edited texts."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from rednote_dagster.defs.enrich.labelling import label_months_metadata, label_partition
from rednote_dagster.defs.partitions import collection_month
from rednote_dagster.defs.resources import DUCKDB_POOL, SentimentModel
from rednote_dagster.lib.preview import markdown_table
from rednote_dagster.lib.sentiment import (
    SOURCES,
    label_distribution,
    load_sentiment_backend,
    sentiment_documents,
    sentiment_table,
)


def build_sentiment_asset(entity: str) -> dg.AssetsDefinition:
    source, id_column, _ = SOURCES[entity]
    key = dg.AssetKey(["enrich", f"{entity}_sentiment"])
    table = f"enrich.{entity}_sentiment"

    @dg.asset(
        key=key,
        deps=[dg.AssetKey(source.split("."))],
        partitions_def=collection_month,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=DUCKDB_POOL,
        group_name="labels",
        kinds={"duckdb", "pytorch"},
        description=(
            f"Five-level sentiment (−2 Very Negative … 2 Very Positive) of every {entity} in {source}, with all "
            "five probabilities, confidence (top probability), whether it passes the confidence filter, and the "
            "backend, model and revision that produced it."
        ),
        check_specs=[
            dg.AssetCheckSpec(
                "labels_from_model",
                asset=key,
                description=(
                    "Warns when labels come from the offline lexicon fallback instead of the transformers model."
                ),
            )
        ],
    )
    def _sentiment_asset(context: dg.AssetExecutionContext, duckdb: DuckDBResource, sentiment_model: SentimentModel):
        backend, fallback_reason = load_sentiment_backend(sentiment_model, progress=context.log.info)
        if fallback_reason:
            context.log.warning(f"sentiment labels come from the LEXICON FALLBACK: {fallback_reason}")

        def documents_of_month(month):
            with duckdb.get_connection() as con:
                return sentiment_documents(con, entity, month)

        rows, runs = label_partition(
            context,
            duckdb,
            backend,
            None,
            table,
            f"{entity} sentiment",
            documents_of_month,
            lambda month, df, docs, run: pl.from_arrow(
                sentiment_table(
                    id_column,
                    df[id_column].to_list(),
                    [d.text for d in docs],
                    month,
                    run,
                    sentiment_model.confidence_threshold,
                )
            ),
        )
        metadata = label_months_metadata(rows, runs) | {
            "share_passing_confidence": dg.MetadataValue.float(
                round(float(rows["passes_confidence"].mean()), 4) if rows.height else 0.0
            ),
            "confidence_threshold": dg.MetadataValue.float(sentiment_model.confidence_threshold),
            "mean_score": dg.MetadataValue.float(round(float(rows["score"].mean() or 0.0), 4)),
            "label_distribution": dg.MetadataValue.md(markdown_table(label_distribution(rows))),
            "fallback_reason": dg.MetadataValue.text(fallback_reason or "none"),
        }
        yield dg.MaterializeResult(metadata=metadata)
        from_lexicon = int((rows["backend"] == "lexicon").sum())
        yield dg.AssetCheckResult(
            check_name="labels_from_model",
            passed=from_lexicon == 0,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "rows_from_lexicon_fallback": dg.MetadataValue.int(from_lexicon),
                "reason": dg.MetadataValue.text(fallback_reason or sentiment_model.backend),
            },
        )

    return _sentiment_asset


note_sentiment = build_sentiment_asset("note")
comment_sentiment = build_sentiment_asset("comment")
