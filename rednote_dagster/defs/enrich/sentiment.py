"""enrich/note_sentiment and enrich/comment_sentiment: five-level sentiment per collection month
(Feng et al. §4.1), cached by content hash so a re-crawl labels only new or edited texts. With a manual
sentiment coding ($REDNOTE_DATA_DIR/manual/sentiment_coding.csv) ``auto`` labels with the supervised
backend trained on its training half (``lib/sentiment.py``)."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from rednote_dagster.defs.enrich.labelling import label_months_metadata, label_partition
from rednote_dagster.defs.partitions import collection_month
from rednote_dagster.defs.resources import DUCKDB_POOL, EmbeddingModel, RednoteData, SchemeCoding, SentimentModel
from rednote_dagster.lib.coding import SENTIMENT_CODING_FILE
from rednote_dagster.lib.labelling.embeddings import SupervisedOnEmbeddings
from rednote_dagster.lib.preview import markdown_table
from rednote_dagster.lib.sentiment import (
    SOURCES,
    label_distribution,
    load_sentiment_backend,
    sentiment_documents,
    sentiment_table,
    supervised_sentiment_backend,
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
        kinds={"duckdb", "pytorch", "scikitlearn"},
        description=(
            f"Five-level sentiment (−2 Very Negative … 2 Very Positive) of every {entity} in {source}, with all "
            "five probabilities, confidence (top probability), whether it passes the confidence filter, and the "
            "backend (supervised on the manual coding | transformers | lexicon), model and revision that produced "
            f"it. Manual coding: $REDNOTE_DATA_DIR/manual/{SENTIMENT_CODING_FILE}."
        ),
        check_specs=[
            dg.AssetCheckSpec(
                "labels_from_model",
                asset=key,
                description=(
                    "Warns when labels come from the offline lexicon fallback instead of a model (supervised on "
                    "the manual coding, or transformers)."
                ),
            )
        ],
    )
    def _sentiment_asset(
        context: dg.AssetExecutionContext,
        duckdb: DuckDBResource,
        rednote: RednoteData,
        sentiment_model: SentimentModel,
        scheme_coding: SchemeCoding,
        embedding_model: EmbeddingModel,
    ):
        manual_coding = rednote.paths.manual / SENTIMENT_CODING_FILE

        def supervised():
            return supervised_sentiment_backend(
                lambda: embedding_model.embedder(duckdb, rednote.paths.models),
                manual_coding,
                scheme_coding.validation_share,
                duckdb.get_connection,
                info=context.log.info,
            )

        backend, fallback_reason = load_sentiment_backend(
            sentiment_model, progress=context.log.info, supervised=supervised if manual_coding.exists() else None
        )
        context.log.info(f"{entity} sentiment backend: {backend.name}")
        if fallback_reason:
            context.log.warning(f"sentiment labels come from the LEXICON FALLBACK: {fallback_reason}")

        def documents_of_month(month):
            with duckdb.get_connection() as con:
                return sentiment_documents(con, entity, month)

        rows, runs = label_partition(
            context,
            duckdb,
            backend,
            # the supervised backend's new sentence embeddings are stored with each month
            backend.embedder if isinstance(backend, SupervisedOnEmbeddings) else None,
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
        if isinstance(backend, SupervisedOnEmbeddings):
            metadata["training_items"] = dg.MetadataValue.int(backend.n_train)
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
