"""enrich/comment_emotion and enrich/comment_stance (Li et al. 2025): every comment of the collection
month labelled with the emotion and the stance scheme through the same mechanism as the taxonomy
(LLM, supervised on the manual coding, or zero-shot), cached by input hash. One asset factory
serves both schemes: a scheme is data, not a code path. Each row also carries the comment's
language and the commenter group (lib/comment_affect.py documents the rule)."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from rednote_dagster.defs.enrich.labelling import build_scheme_backend, label_months, label_months_metadata
from rednote_dagster.defs.partitions import collection_month
from rednote_dagster.defs.resources import DUCKDB_POOL, RednoteData, TopicLabeller
from rednote_dagster.lib.comment_affect import with_language_and_group
from rednote_dagster.lib.labelling.cache import input_hash
from rednote_dagster.lib.labelling.documents import comment_document
from rednote_dagster.lib.labelling.scheme import LabelScheme
from rednote_dagster.lib.labelling.schemes import EMOTION, STANCE
from rednote_dagster.lib.preview import markdown_table

# The month's comments with the title of the note they answer (same crawl month) as context.
COMMENTS_OF_MONTH = """
    SELECT c.comment_id, c.note_id, c.collection_month, c.content, c.ip_location, n.title
    FROM raw.comments c
    LEFT JOIN raw.notes n ON n.note_id = c.note_id AND n.collection_month = c.collection_month
    WHERE c.collection_month = ?
    ORDER BY c.comment_id"""


def comment_texts(duckdb: DuckDBResource, comment_ids: list[str]) -> dict[str, str]:
    """Texts of the manually coded comments (the latest crawl of each), for the supervised backend."""
    with duckdb.get_connection() as con:
        rows = con.execute("""
            SELECT comment_id, content FROM raw.comments WHERE list_contains(?, comment_id)
            QUALIFY row_number() OVER (PARTITION BY comment_id ORDER BY crawled_at DESC, collection_month DESC) = 1""",
                           [comment_ids]).fetchall()
    return {i: comment_document(c, None).text for i, c in rows}


def affect_rows(df: pl.DataFrame, docs: list, run, backend, scheme: LabelScheme, training_ids: set[str]) -> pl.DataFrame:
    preds = run.predictions
    framed = with_language_and_group(df.select("comment_id", "note_id", "collection_month", "content", "ip_location"))
    return framed.select("comment_id", "note_id", "collection_month", "language", "commenter_group").with_columns(
        pl.Series("content_hash", [input_hash(d.text) for d in docs], dtype=pl.String),
        pl.Series("prompt_hash", run.input_hashes, dtype=pl.String),
        pl.Series("code", [p.code for p in preds], dtype=pl.String),
        pl.Series("label", [scheme.label(p.code).name if p.code else None for p in preds], dtype=pl.String),
        pl.Series("confidence", [p.confidence for p in preds], dtype=pl.Float64),
        pl.Series("unknown_reason", [p.reason if p.code is None else None for p in preds], dtype=pl.String),
        pl.Series("raw_response", [p.raw_response for p in preds], dtype=pl.String),
        pl.Series("in_training_set", [c in training_ids for c in df["comment_id"]], dtype=pl.Boolean),
        pl.lit(backend.name).alias("backend"),
        pl.lit(backend.model_id).alias("model_id"),
        pl.lit(backend.model_revision).alias("model_revision"),
        pl.lit(f"{scheme.version}/{scheme.fingerprint()}").alias("scheme_version"),
    )


def comment_label_asset(scheme: LabelScheme) -> dg.AssetsDefinition:
    table = f"enrich.comment_{scheme.name}"
    coding_file = f"{scheme.name}_coding.csv"

    @dg.asset(
        key=["enrich", f"comment_{scheme.name}"],
        deps=[dg.AssetKey(["raw", "comments"]), dg.AssetKey(["raw", "notes"])],
        partitions_def=collection_month,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=DUCKDB_POOL,
        group_name="enrich",
        kinds={"duckdb", "scikitlearn"},
        description=(
            f"The {scheme.name} of every comment of the collection month (codes: {', '.join(scheme.codes)}), "
            "with the note's title as context for the LLM: code, label, confidence, comment language (zh / en / "
            "other), commenter group (native / foreign / unknown), backend, model and revision, prompt hash. "
            f"Manual coding: $REDNOTE_DATA_DIR/manual/{coding_file}."
        ),
    )
    def _asset(context: dg.AssetExecutionContext, duckdb: DuckDBResource, rednote: RednoteData,
               topic_labeller: TopicLabeller):
        backend, embedder, training_ids = build_scheme_backend(
            context, duckdb, scheme, topic_labeller.settings, rednote.paths.models, rednote.paths.manual / coding_file,
            "comment_id",
            lambda ids: comment_texts(duckdb, ids))

        def documents_of_month(month):
            with duckdb.get_connection() as con:
                df = con.sql(COMMENTS_OF_MONTH, params=[month]).pl()
            return df, [comment_document(c, t) for c, t in zip(df["content"].to_list(), df["title"].to_list())]

        rows, runs = label_months(
            context, duckdb, backend, embedder, table, f"comment {scheme.name}", documents_of_month,
            lambda _month, df, docs, run: affect_rows(df, docs, run, backend, scheme, training_ids))
        distribution = (rows.group_by("code").len("comments").sort("code", nulls_last=True)
                        .with_columns((pl.col("comments") / max(rows.height, 1)).round(3).alias("share")))
        groups = rows.group_by("commenter_group", "language").len("comments").sort("commenter_group", "language")
        return dg.MaterializeResult(metadata=label_months_metadata(rows, runs) | {
            "code_distribution": dg.MetadataValue.md(markdown_table(distribution)),
            "commenters": dg.MetadataValue.md(markdown_table(groups)),
            "training_comments": dg.MetadataValue.int(len(training_ids)),
        })

    return _asset


comment_emotion = comment_label_asset(EMOTION)
comment_stance = comment_label_asset(STANCE)
