"""enrich/note_sentiment and enrich/comment_sentiment: five-level sentiment per collection month
(Feng et al. §4.1), cached by content hash so a re-crawl labels only new or edited texts."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from rednote_dagster.defs.enrich.labelling import label_months, label_months_metadata
from rednote_dagster.defs.partitions import collection_month
from rednote_dagster.defs.resources import DUCKDB_POOL, SentimentModel
from rednote_dagster.lib.labelling.scheme import Document
from rednote_dagster.lib.labelling.text import note_text
from rednote_dagster.lib.preview import markdown_table
from rednote_dagster.lib.sentiment import label_distribution, load_sentiment_backend, sentiment_table

# entity → (source table, id column, SQL giving id and text parts)
SOURCES = {
    "note": ("raw.notes", "note_id", "SELECT note_id, title, description FROM raw.notes"),
    "comment": ("raw.comments", "comment_id", "SELECT comment_id, content FROM raw.comments"),
}


def _texts(df: pl.DataFrame, entity: str) -> list[str]:
    if entity == "note":
        return [note_text(t, d) for t, d in zip(df["title"], df["description"])]
    return [c or "" for c in df["content"]]


def build_sentiment_asset(entity: str) -> dg.AssetsDefinition:
    source, id_column, select = SOURCES[entity]
    key = dg.AssetKey(["enrich", f"{entity}_sentiment"])
    table = f"enrich.{entity}_sentiment"

    @dg.asset(
        key=key,
        deps=[dg.AssetKey(source.split("."))],
        partitions_def=collection_month,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=DUCKDB_POOL,
        group_name="enrich",
        kinds={"duckdb", "pytorch"},
        description=(
            f"Five-level sentiment (−2 Very Negative … 2 Very Positive) of every {entity} in {source}, with all "
            "five probabilities, confidence (top probability), whether it passes the confidence filter, and the "
            "backend, model and revision that produced it."
        ),
        check_specs=[dg.AssetCheckSpec(
            "labels_from_model", asset=key,
            description="Warns when labels come from the offline lexicon fallback instead of the transformers model.",
        )],
    )
    def _sentiment_asset(context: dg.AssetExecutionContext, duckdb: DuckDBResource, sentiment_model: SentimentModel):
        settings = sentiment_model.settings
        backend, fallback_reason = load_sentiment_backend(settings, progress=context.log.info)
        if fallback_reason:
            context.log.warning(f"sentiment labels come from the LEXICON FALLBACK: {fallback_reason}")

        def documents_of_month(month):
            with duckdb.get_connection() as con:
                df = con.sql(f"{select} WHERE collection_month = ? ORDER BY {id_column}", params=[month]).pl()
            return df, [Document(t) for t in _texts(df, entity)]

        rows, runs = label_months(
            context, duckdb, backend, None, table, f"{entity} sentiment", documents_of_month,
            lambda month, df, docs, run: pl.from_arrow(sentiment_table(
                id_column, df[id_column].to_list(), [d.text for d in docs], month, run,
                settings.confidence_threshold)))
        metadata = label_months_metadata(rows, runs) | {
            "share_passing_confidence": dg.MetadataValue.float(
                round(float(rows["passes_confidence"].mean()), 4) if rows.height else 0.0),
            "confidence_threshold": dg.MetadataValue.float(settings.confidence_threshold),
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
                "reason": dg.MetadataValue.text(fallback_reason or settings.backend),
            },
        )

    return _sentiment_asset


note_sentiment = build_sentiment_asset("note")
comment_sentiment = build_sentiment_asset("comment")
