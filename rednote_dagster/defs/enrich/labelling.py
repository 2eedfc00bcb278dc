"""What every labelling asset shares on the Dagster side: its backend from the resources, its months
from the partition window, and its metadata. The work is in ``lib/labelling/``."""

import json

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from rednote_dagster.defs.partitions import months_in_window
from rednote_dagster.defs.resources import EmbeddingModel, LlmEndpoint, RednoteData, SchemeCoding
from rednote_dagster.lib.labelling.base import LabelBackend
from rednote_dagster.lib.labelling.cache import LabelRun
from rednote_dagster.lib.labelling.monthly import label_months
from rednote_dagster.lib.labelling.scheme import LabelScheme
from rednote_dagster.lib.labelling.scheme_backend import SchemeBackend, build_scheme_backend, choose_backend
from rednote_dagster.lib.preview import markdown_table


def scheme_backend(
    context: dg.AssetExecutionContext,
    scheme: LabelScheme,
    coding_file: str,
    id_column: str,
    texts_of,
    *,
    duckdb: DuckDBResource,
    rednote: RednoteData,
    scheme_coding: SchemeCoding,
    embedding_model: EmbeddingModel,
    llm_endpoint: LlmEndpoint,
) -> SchemeBackend:
    """The scheme's backend as the resources choose it; ``coding_file``: its manual coding in
    $REDNOTE_DATA_DIR/manual/; ``texts_of(ids) -> {id: text}`` fetches coded items' texts."""
    manual_coding = rednote.paths.manual / coding_file
    kind = choose_backend(scheme_coding.backend, llm_endpoint.configured, manual_coding.exists())
    context.log.info(f"{scheme.name} backend: {kind}")
    return build_scheme_backend(
        scheme,
        kind,
        llm=llm_endpoint.backend,
        embedder=lambda: embedding_model.embedder(duckdb, rednote.paths.models),
        manual_coding=manual_coding,
        id_column=id_column,
        validation_share=scheme_coding.validation_share,
        texts_of=texts_of,
        info=context.log.info,
    )


def label_partition(
    context: dg.AssetExecutionContext,
    duckdb: DuckDBResource,
    backend: LabelBackend,
    embedder,
    table: str,
    noun: str,
    documents_of_month,
    rows_of,
) -> tuple[pl.DataFrame, list[LabelRun]]:
    """``lib/labelling/monthly.label_months`` over the collection months of the run's partition window."""
    return label_months(
        months_in_window(context.partition_time_window),
        duckdb.get_connection,
        backend,
        embedder,
        table,
        noun,
        documents_of_month,
        rows_of,
        info=context.log.info,
    )


def label_months_metadata(rows: pl.DataFrame, runs: list[LabelRun]) -> dict[str, dg.MetadataValue]:
    """Backend, cache, model-time and row-count metadata over all months a labelling run wrote."""
    last = runs[-1].backend
    misses = sum(r.cache_misses for r in runs)
    seconds = sum(r.seconds for r in runs)
    metadata = {
        "backend": dg.MetadataValue.text(last["backend"]),
        "model_id": dg.MetadataValue.text(last["model_id"]),
        "model_revision": dg.MetadataValue.text(last["model_revision"]),
        "cache_hits": dg.MetadataValue.int(sum(r.cache_hits for r in runs)),
        "cache_misses": dg.MetadataValue.int(misses),
        "model_seconds": dg.MetadataValue.float(round(seconds, 2)),
        "texts_per_second": dg.MetadataValue.float(round(misses / seconds, 1) if seconds else 0.0),
        "dagster/partition_row_count": dg.MetadataValue.int(rows.height),
    }
    if "features" in last:  # the supervised backend: what it learned from, chosen by cross-validated κ
        metadata["supervised_features"] = dg.MetadataValue.text(last["features"])
        metadata["supervised_cv_kappa"] = dg.MetadataValue.json(json.loads(last["cv_kappa"]))
    if "zero_shot_languages" in last:  # texts in other languages are left uncoded, with the reason
        metadata["zero_shot_languages"] = dg.MetadataValue.text(last["zero_shot_languages"])
    if "code" in rows.columns:
        metadata["unknown"] = dg.MetadataValue.int(int(rows["code"].is_null().sum()))
    return metadata


def code_distribution(rows: pl.DataFrame, columns: tuple[str, ...], noun: str) -> dg.MetadataValue:
    """Rows per code (and the ``columns`` beside it), with their share, as a markdown table."""
    counts = (
        rows.group_by(*columns)
        .len(noun)
        .sort("code", nulls_last=True)
        .with_columns((pl.col(noun) / max(rows.height, 1)).round(3).alias("share"))
    )
    return dg.MetadataValue.md(markdown_table(counts))
