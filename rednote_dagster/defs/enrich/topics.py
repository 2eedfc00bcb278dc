"""enrich/note_topics: every note coded into Feng et al.'s taxonomy (Appendix B) from its text and
top-10 most-liked comments, by the configured backend, cached by prompt/content hash."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from rednote_dagster.defs.enrich.labelling import (
    embeddings_write, label_with_warehouse_cache, labelling_metadata, seed_embeddings,
)
from rednote_dagster.defs.partitions import collection_month, months_in_window
from rednote_dagster.defs.resources import DUCKDB_POOL, RednoteData, TopicLabeller
from rednote_dagster.lib.coding import consensus, read_manual_coding, split
from rednote_dagster.lib.labelling.base import LabelBackend
from rednote_dagster.lib.labelling.cache import input_hash
from rednote_dagster.lib.labelling.documents import LATEST_CRAWL_FILTER, note_document, note_documents_sql
from rednote_dagster.lib.labelling.embeddings import Embedder, SupervisedOnEmbeddings, ZeroShotOnEmbeddings
from rednote_dagster.lib.labelling.llm import ChatCompletionsBackend
from rednote_dagster.lib.labelling.schemes import TAXONOMY
from rednote_dagster.lib.preview import markdown_table
from rednote_dagster.lib.taxonomy import TOPICS
from rednote_dagster.lib.taxonomy_labels import choose_backend
from rednote_dagster.lib.warehouse import PartitionWrite, replace_partitions

TABLE = "enrich.note_topics"
CODING_FILE = "taxonomy_coding.csv"


def documents_of(duckdb: DuckDBResource, notes_filter: str, params: list) -> tuple[pl.DataFrame, list]:
    with duckdb.get_connection() as con:
        df = con.sql(note_documents_sql(notes_filter), params=params or None).pl()
    return df, [note_document(t, d, c) for t, d, c in zip(df["title"].to_list(), df["description"].to_list(), df["comments"].to_list())]


def build_taxonomy_backend(context, duckdb: DuckDBResource, rednote: RednoteData, labeller: TopicLabeller):
    """(backend, embedder or None, training note ids)."""
    settings = labeller.settings
    coding_path = rednote.paths.manual / CODING_FILE
    kind = choose_backend(settings, coding_path.exists())
    context.log.info(f"taxonomy backend: {kind}")
    if kind == "llm":
        return ChatCompletionsBackend.from_env(TAXONOMY), None, set()
    embedder = Embedder(settings.embedding_model or None, settings.embedding_revision or None)
    seed_embeddings(duckdb, embedder)
    if kind == "zero-shot":
        return ZeroShotOnEmbeddings(TAXONOMY, embedder), embedder, set()
    training, _ = split(read_manual_coding(coding_path), settings.validation_share)
    codes = consensus(training)
    df, docs = documents_of(duckdb, f"{LATEST_CRAWL_FILTER} AND list_contains(?, note_id)", [codes["note_id"].to_list()])
    text_of = {n: d.text for n, d in zip(df["note_id"], docs)}
    pairs = [(text_of[n], c) for n, c in codes.iter_rows() if n in text_of and text_of[n].strip()]
    context.log.info(f"supervised taxonomy backend: {len(pairs)} manually coded training notes "
                     f"({codes.height} coded with agreement, validation share {settings.validation_share})")
    backend = SupervisedOnEmbeddings(TAXONOMY, embedder, [p[0] for p in pairs], [p[1] for p in pairs])
    return backend, embedder, set(codes["note_id"])


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
    frames, runs = [], []
    for month in months_in_window(context.partition_time_window):
        df, docs = documents_of(duckdb, "collection_month = ?", [month])
        run = label_with_warehouse_cache(duckdb, backend, docs)
        rows = topic_rows(df, docs, run, backend, training_ids)
        writes = [PartitionWrite(TABLE, rows.to_arrow(), {"collection_month": month}), run.cache_write()]
        if embedder is not None:
            writes.append(embeddings_write(embedder))
        with duckdb.get_connection() as con:
            replace_partitions(con, writes)
        context.log.info(f"{month:%Y-%m} note topics: {rows.height} notes, {run.cache_hits} cached, "
                         f"{run.cache_misses} labelled by {backend.name}")
        frames.append(rows)
        runs.append(run)

    rows = pl.concat(frames)
    distribution = (rows.group_by("code", "code_name").len("notes").sort("code", nulls_last=True)
                    .with_columns((pl.col("notes") / max(rows.height, 1)).round(3).alias("share")))
    usage = getattr(backend, "usage", None)
    yield dg.MaterializeResult(metadata=labelling_metadata(runs[-1]) | {
        "cache_hits": dg.MetadataValue.int(sum(r.cache_hits for r in runs)),
        "cache_misses": dg.MetadataValue.int(sum(r.cache_misses for r in runs)),
        "dagster/partition_row_count": dg.MetadataValue.int(rows.height),
        "unknown": dg.MetadataValue.int(int(rows["code"].is_null().sum())),
        "code_distribution": dg.MetadataValue.md(markdown_table(distribution, max_rows=20)),
        "prompt_tokens": dg.MetadataValue.int(sum(r.prompt_tokens for r in runs)),
        "completion_tokens": dg.MetadataValue.int(sum(r.completion_tokens for r in runs)),
        "llm_usage": dg.MetadataValue.json(usage or {}),
        "training_notes": dg.MetadataValue.int(len(training_ids)),
    })
