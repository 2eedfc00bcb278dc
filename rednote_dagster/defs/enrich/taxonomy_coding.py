"""enrich/note_topics: every note coded into Feng et al.'s taxonomy (Appendix B) from its text and
top-10 most-liked comments, by the configured backend, cached by prompt/content hash. (The topic
clusters found by BERTopic are ``topic_clusters.py``.)"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from rednote_dagster.defs.enrich.labelling import (
    code_distribution,
    label_months_metadata,
    label_partition,
    scheme_backend,
)
from rednote_dagster.defs.partitions import collection_month
from rednote_dagster.defs.resources import DUCKDB_POOL, EmbeddingModel, LlmEndpoint, RednoteData, SchemeCoding
from rednote_dagster.lib.labelling.documents import current_note_texts, note_documents
from rednote_dagster.lib.labelling.rows import coded_rows
from rednote_dagster.lib.labelling.schemes import TAXONOMY
from rednote_dagster.lib.taxonomy import CODE_COLUMNS

TABLE = "enrich.note_topics"
CODING_FILE = "taxonomy_coding.csv"


@dg.asset(
    key=["enrich", "note_topics"],
    deps=[dg.AssetKey(["raw", "notes"]), dg.AssetKey(["raw", "comments"])],
    partitions_def=collection_month,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=DUCKDB_POOL,
    group_name="labels",
    kinds={"duckdb", "scikitlearn"},
    description=(
        "Feng et al.'s 7-category / 14-code taxonomy for every note of the collection month, from its title, "
        "description and top-10 most-liked comments: code, category, confidence, backend (llm | supervised | "
        "zero-shot), model and revision, prompt hash; LLM answers kept for audit. Manual coding: "
        "$REDNOTE_DATA_DIR/manual/taxonomy_coding.csv."
    ),
)
def note_topics(
    context: dg.AssetExecutionContext,
    duckdb: DuckDBResource,
    rednote: RednoteData,
    scheme_coding: SchemeCoding,
    embedding_model: EmbeddingModel,
    llm_endpoint: LlmEndpoint,
):
    def texts_of(note_ids):
        with duckdb.get_connection() as con:
            return current_note_texts(con, note_ids)

    def documents_of_month(month):
        with duckdb.get_connection() as con:
            return note_documents(con, "collection_month = ?", [month])

    chosen = scheme_backend(
        context,
        TAXONOMY,
        CODING_FILE,
        "note_id",
        texts_of,
        duckdb=duckdb,
        rednote=rednote,
        scheme_coding=scheme_coding,
        embedding_model=embedding_model,
        llm_endpoint=llm_endpoint,
    )
    rows, runs = label_partition(
        context,
        duckdb,
        chosen.backend,
        chosen.embedder,
        TABLE,
        "note topics",
        documents_of_month,
        lambda _month, df, docs, run: coded_rows(
            df.select("note_id", "collection_month"),
            "note_id",
            docs,
            run,
            chosen.backend,
            chosen.training_ids,
            CODE_COLUMNS,
        ),
    )
    return dg.MaterializeResult(
        metadata=label_months_metadata(rows, runs)
        | {
            "code_distribution": code_distribution(rows, ("code", "code_name"), "notes"),
            "prompt_tokens": dg.MetadataValue.int(sum(r.prompt_tokens for r in runs)),
            "completion_tokens": dg.MetadataValue.int(sum(r.completion_tokens for r in runs)),
            "llm_usage": dg.MetadataValue.json(getattr(chosen.backend, "usage", None) or {}),
            "training_notes": dg.MetadataValue.int(len(chosen.training_ids)),
        }
    )
