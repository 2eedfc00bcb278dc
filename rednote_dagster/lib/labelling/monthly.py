"""Labelling collection months into the warehouse: one transaction per month holds the month's rows of
the label table, the new label-cache entries and the embeddings computed on the way, so a failed month
leaves nothing half-written and the months before it stay done."""

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

import duckdb
import polars as pl

from rednote_dagster.lib.labelling.base import LabelBackend
from rednote_dagster.lib.labelling.cache import LabelRun, label_documents, lookup
from rednote_dagster.lib.labelling.embedding_store import embeddings_upsert
from rednote_dagster.lib.labelling.scheme import Document
from rednote_dagster.lib.warehouse import PartitionWrite, replace_partitions

log = logging.getLogger(__name__)

Connect = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]


def label_with_warehouse_cache(connect: Connect, backend: LabelBackend, documents: list[Document]) -> LabelRun:
    """Label documents; inputs already in enrich.label_cache for this backend/model/revision are not
    sent to the model. The caller writes ``run.cache_write()`` with its own partition write."""

    def cached(hashes: list[str]):
        with connect() as con:
            return lookup(con, backend, hashes)

    return label_documents(backend, documents, cached)


def label_months(
    months: Sequence[dt.date],
    connect: Connect,
    backend: LabelBackend,
    embedder,
    table: str,
    noun: str,
    documents_of_month: Callable[[dt.date], tuple[pl.DataFrame, list[Document]]],
    rows_of: Callable[[dt.date, pl.DataFrame, list[Document], LabelRun], pl.DataFrame],
    info: Callable[[str], None] = log.info,
) -> tuple[pl.DataFrame, list[LabelRun]]:
    """Label each month into its partition of ``table`` (``collection_month``). ``embedder``: the
    backend's embedder whose new vectors are stored with the month, or None.
    ``documents_of_month(month) -> (frame, documents)``; ``rows_of(month, frame, documents, run) -> rows``.
    Returns every month's rows and the runs."""
    frames, runs = [], []
    for month in months:
        df, docs = documents_of_month(month)
        run = label_with_warehouse_cache(connect, backend, docs)
        rows = rows_of(month, df, docs, run)
        writes = [PartitionWrite(table, rows.to_arrow(), {"collection_month": month}), run.cache_write()]
        if embedder is not None:
            writes.append(embeddings_upsert(embedder))
        with connect() as con:
            replace_partitions(con, writes)
        if embedder is not None:
            embedder.fresh.clear()  # stored now: the next month's write carries only its own
        info(
            f"{month:%Y-%m} {noun}: {rows.height} rows, {run.cache_hits} cached, "
            f"{run.cache_misses} labelled by {backend.name}"
        )
        frames.append(rows)
        runs.append(run)
    return pl.concat(frames), runs
