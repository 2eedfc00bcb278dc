"""enrich/comment_emotion and enrich/comment_stance (Li et al. 2025): every comment of the collection
month labelled with the emotion and the stance scheme through the same mechanism as the taxonomy
(LLM, supervised on the manual coding, or zero-shot), cached by input hash. One asset factory
serves both schemes: a scheme is data, not a code path. Each row also carries the comment's
language and the commenter group (lib/comment_affect.py documents the rule)."""

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
from rednote_dagster.lib.comment_affect import affect_rows
from rednote_dagster.lib.labelling.documents import comment_documents, current_comment_texts
from rednote_dagster.lib.labelling.scheme import LabelScheme
from rednote_dagster.lib.labelling.schemes import EMOTION, STANCE
from rednote_dagster.lib.preview import markdown_table


def comment_label_asset(scheme: LabelScheme) -> dg.AssetsDefinition:
    table = f"enrich.comment_{scheme.name}"
    coding_file = f"{scheme.name}_coding.csv"

    @dg.asset(
        key=["enrich", f"comment_{scheme.name}"],
        deps=[dg.AssetKey(["raw", "comments"]), dg.AssetKey(["raw", "notes"])],
        partitions_def=collection_month,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=DUCKDB_POOL,
        group_name="labels",
        kinds={"duckdb", "scikitlearn"},
        description=(
            f"The {scheme.name} of every comment of the collection month (codes: {', '.join(scheme.codes)}), "
            "with the note's title as context for the LLM: code, label, confidence, comment language (zh / en / "
            "other), commenter group (native / foreign / unknown), backend, model and revision, prompt hash. "
            f"Manual coding: $REDNOTE_DATA_DIR/manual/{coding_file}."
        ),
    )
    def _asset(
        context: dg.AssetExecutionContext,
        duckdb: DuckDBResource,
        rednote: RednoteData,
        scheme_coding: SchemeCoding,
        embedding_model: EmbeddingModel,
        llm_endpoint: LlmEndpoint,
    ):
        def texts_of(comment_ids):
            with duckdb.get_connection() as con:
                return current_comment_texts(con, comment_ids)

        def documents_of_month(month):
            with duckdb.get_connection() as con:
                return comment_documents(con, month)

        chosen = scheme_backend(
            context,
            scheme,
            coding_file,
            "comment_id",
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
            table,
            f"comment {scheme.name}",
            documents_of_month,
            lambda _month, df, docs, run: affect_rows(df, docs, run, chosen.backend, chosen.training_ids),
        )
        groups = rows.group_by("commenter_group", "language").len("comments").sort("commenter_group", "language")
        return dg.MaterializeResult(
            metadata=label_months_metadata(rows, runs)
            | {
                "code_distribution": code_distribution(rows, ("code",), "comments"),
                "commenters": dg.MetadataValue.md(markdown_table(groups)),
                "training_comments": dg.MetadataValue.int(len(chosen.training_ids)),
            }
        )

    return _asset


comment_emotion = comment_label_asset(EMOTION)
comment_stance = comment_label_asset(STANCE)
