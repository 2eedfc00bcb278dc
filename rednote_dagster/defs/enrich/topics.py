"""enrich/note_topics: every note coded into Feng et al.'s taxonomy (Appendix B) from its text and
top-10 most-liked comments, by the configured backend, cached by prompt/content hash."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from rednote_dagster.defs.enrich.labelling import build_scheme_backend, label_months, label_months_metadata
from rednote_dagster.defs.partitions import collection_month
from rednote_dagster.defs.resources import DUCKDB_POOL, RednoteData, TopicLabeller
from rednote_dagster.lib.labelling.base import LabelBackend
from rednote_dagster.lib.labelling.cache import input_hash
from rednote_dagster.lib.labelling.documents import LATEST_CRAWL_FILTER, note_document, note_documents_sql
from rednote_dagster.lib.labelling.schemes import TAXONOMY
from rednote_dagster.lib.preview import markdown_table
from rednote_dagster.lib.taxonomy import TOPIC_GROUP_OF_CODE, TOPICS

TABLE = "enrich.note_topics"
CODING_FILE = "taxonomy_coding.csv"


def documents_of(duckdb: DuckDBResource, notes_filter: str, params: list) -> tuple[pl.DataFrame, list]:
    with duckdb.get_connection() as con:
        df = con.sql(note_documents_sql(notes_filter), params=params or None).pl()
    return df, [note_document(t, d, c) for t, d, c in zip(df["title"].to_list(), df["description"].to_list(), df["comments"].to_list())]


def build_taxonomy_backend(context, duckdb: DuckDBResource, rednote: RednoteData, labeller: TopicLabeller):
    """(backend, embedder or None, training note ids)."""

    def texts_of(note_ids: list[str]) -> dict[str, str]:
        df, docs = documents_of(duckdb, f"{LATEST_CRAWL_FILTER} AND list_contains(?, note_id)", [note_ids])
        return {n: d.text for n, d in zip(df["note_id"], docs)}

    return build_scheme_backend(context, duckdb, TAXONOMY, labeller.settings, rednote.paths.models,
                                rednote.paths.manual / CODING_FILE,
                                "note_id", texts_of)


def topic_rows(df: pl.DataFrame, docs: list, run, backend: LabelBackend, training_ids: set[str]) -> pl.DataFrame:
    preds = run.predictions
    return pl.DataFrame({
        "note_id": df["note_id"],
        "collection_month": df["collection_month"],
        "content_hash": [input_hash(d.text) for d in docs],
        "prompt_hash": run.input_hashes,
        "code": pl.Series([p.code for p in preds], dtype=pl.String),
        "code_name": pl.Series([TOPICS[p.code].name if p.code else None for p in preds], dtype=pl.String),
        "category": pl.Series([TOPICS[p.code].category if p.code else None for p in preds], dtype=pl.String),
        "category_name": pl.Series([TOPICS[p.code].category_name if p.code else None for p in preds], dtype=pl.String),
        "topic_group": pl.Series([TOPIC_GROUP_OF_CODE[p.code] if p.code else None for p in preds], dtype=pl.String),
        "confidence": pl.Series([p.confidence for p in preds], dtype=pl.Float64),
        "unknown_reason": pl.Series([p.reason if p.code is None else None for p in preds], dtype=pl.String),
        "raw_response": pl.Series([p.raw_response for p in preds], dtype=pl.String),
        "in_training_set": [n in training_ids for n in df["note_id"]],
        "backend": backend.name,
        "model_id": backend.model_id,
        "model_revision": backend.model_revision,
        "scheme_version": f"{TAXONOMY.version}/{TAXONOMY.fingerprint()}",
    })


@dg.asset(
    key=["enrich", "note_topics"],
    deps=[dg.AssetKey(["raw", "notes"]), dg.AssetKey(["raw", "comments"])],
    partitions_def=collection_month,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=DUCKDB_POOL,
    group_name="enrich",
    kinds={"duckdb", "scikitlearn"},
    description=(
        "Feng et al.'s 7-category / 14-code taxonomy for every note of the collection month, from its title, "
        "description and top-10 most-liked comments: code, category, confidence, backend (llm | supervised | "
        "zero-shot), model and revision, prompt hash; LLM answers kept for audit. Manual coding: "
        "$REDNOTE_DATA_DIR/manual/taxonomy_coding.csv."
    ),
)
def note_topics(context: dg.AssetExecutionContext, duckdb: DuckDBResource, rednote: RednoteData,
                topic_labeller: TopicLabeller):
    backend, embedder, training_ids = build_taxonomy_backend(context, duckdb, rednote, topic_labeller)
    rows, runs = label_months(
        context, duckdb, backend, embedder, TABLE, "note topics",
        lambda month: documents_of(duckdb, "collection_month = ?", [month]),
        lambda _month, df, docs, run: topic_rows(df, docs, run, backend, training_ids))
    distribution = (rows.group_by("code", "code_name").len("notes").sort("code", nulls_last=True)
                    .with_columns((pl.col("notes") / max(rows.height, 1)).round(3).alias("share")))
    usage = getattr(backend, "usage", None)
    yield dg.MaterializeResult(metadata=label_months_metadata(rows, runs) | {
        "code_distribution": dg.MetadataValue.md(markdown_table(distribution, max_rows=20)),
        "prompt_tokens": dg.MetadataValue.int(sum(r.prompt_tokens for r in runs)),
        "completion_tokens": dg.MetadataValue.int(sum(r.completion_tokens for r in runs)),
        "llm_usage": dg.MetadataValue.json(usage or {}),
        "training_notes": dg.MetadataValue.int(len(training_ids)),
    })
