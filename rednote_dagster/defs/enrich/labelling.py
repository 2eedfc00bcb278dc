"""Glue shared by every labelling asset: the warehouse-backed cache and common metadata."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from rednote_dagster.lib.labelling.base import LabelBackend
from rednote_dagster.lib.labelling.cache import LabelRun, label_documents, lookup
from rednote_dagster.lib.labelling.scheme import Document
from rednote_dagster.lib.warehouse import PartitionWrite, replace_partitions, table_exists


def label_with_warehouse_cache(duckdb: DuckDBResource, backend: LabelBackend, documents: list[Document]) -> LabelRun:
    """Label documents; inputs already in enrich.label_cache for this backend/model/revision are not
    sent to the model. The caller writes ``run.cache_write()`` with its own partition write."""

    def cached(hashes: list[str]):
        with duckdb.get_connection() as con:
            return lookup(con, backend, hashes)

    return label_documents(backend, documents, cached)


def labelling_metadata(run: LabelRun) -> dict[str, dg.MetadataValue]:
    return {
        "backend": dg.MetadataValue.text(run.backend["backend"]),
        "model_id": dg.MetadataValue.text(run.backend["model_id"]),
        "model_revision": dg.MetadataValue.text(run.backend["model_revision"]),
        "cache_hits": dg.MetadataValue.int(run.cache_hits),
        "cache_misses": dg.MetadataValue.int(run.cache_misses),
        "model_seconds": dg.MetadataValue.float(round(run.seconds, 2)),
        "texts_per_second": dg.MetadataValue.float(round(run.texts_per_second, 1)),
    }


EMBEDDINGS_TABLE = "enrich.text_embeddings"


def use_stored_embeddings(duckdb: DuckDBResource, embedder) -> None:
    """Let ``embedder`` find the vectors its model and revision already computed in
    enrich.text_embeddings, looked up by input hash for the texts it is given (never the whole table:
    at paper scale that is half a million vectors)."""
    import numpy as np
    import pyarrow as pa

    def stored(hashes: list[str]) -> dict[str, np.ndarray]:
        with duckdb.get_connection() as con:
            if not table_exists(con, EMBEDDINGS_TABLE):
                return {}
            con.register("wanted_hashes", pa.table({"input_hash": pa.array(hashes, pa.string())}))
            try:
                found = con.sql(
                    f"SELECT e.input_hash, e.embedding FROM {EMBEDDINGS_TABLE} e SEMI JOIN wanted_hashes USING (input_hash)"
                    " WHERE e.model_id = ? AND e.model_revision = ?",
                    params=[embedder.model_id, embedder.model_revision]).pl()
            finally:
                con.unregister("wanted_hashes")
        if not found.height:
            return {}
        vectors = found["embedding"].explode().to_numpy().astype(np.float32).reshape(found.height, -1)
        return dict(zip(found["input_hash"].to_list(), vectors))

    embedder.stored = stored


def embeddings_write(embedder):
    """Rows for the embeddings this embedder computed since its last write, as an upsert into
    enrich.text_embeddings (built from one float32 matrix: no Python float per component)."""
    import numpy as np
    import pyarrow as pa

    from rednote_dagster.lib.warehouse import KeyedWrite

    fresh = sorted(embedder.fresh)
    matrix = (np.stack([embedder.known[h] for h in fresh]) if fresh
              else np.zeros((0, embedder.dimension), np.float32)).astype(np.float32, copy=False)
    vectors = pa.FixedSizeListArray.from_arrays(pa.array(matrix.ravel()), matrix.shape[1])
    data = pa.table({
        "model_id": pa.array([embedder.model_id] * len(fresh), pa.string()),
        "model_revision": pa.array([embedder.model_revision] * len(fresh), pa.string()),
        "input_hash": pa.array(fresh, pa.string()),
        "embedding": vectors.cast(pa.list_(pa.float32())),
    })
    return KeyedWrite(EMBEDDINGS_TABLE, data, ("model_id", "model_revision", "input_hash"))


def embedder_for(duckdb: DuckDBResource, settings, models_dir):
    """The configured embedder (REDNOTE_EMBEDDING_MODEL / _REVISION), finding vectors it already stored."""
    from rednote_dagster.lib.labelling.embeddings import Embedder

    embedder = Embedder(settings.embedding_model or None, settings.embedding_revision or None, models_dir=models_dir)
    use_stored_embeddings(duckdb, embedder)
    return embedder


def build_scheme_backend(context, duckdb: DuckDBResource, scheme, settings, models_dir, coding_path, id_col: str,
                         texts_of):
    """(backend, embedder or None, ids of the training items) for any scheme, chosen by
    ``choose_backend``: the LLM when configured, else supervised on the manual coding's training half
    (``texts_of(ids) -> {id: text}`` fetches the coded items' texts), else zero-shot."""
    from rednote_dagster.lib.coding import consensus, read_manual_coding, split
    from rednote_dagster.lib.labelling.embeddings import SupervisedOnEmbeddings, ZeroShotOnEmbeddings
    from rednote_dagster.lib.labelling.llm import ChatCompletionsBackend
    from rednote_dagster.lib.taxonomy_labels import choose_backend

    kind = choose_backend(settings, coding_path.exists())
    context.log.info(f"{scheme.name} backend: {kind}")
    if kind == "llm":
        return ChatCompletionsBackend.from_env(scheme), None, set()
    embedder = embedder_for(duckdb, settings, models_dir)
    if kind == "zero-shot":
        return ZeroShotOnEmbeddings(scheme, embedder), embedder, set()
    training, _ = split(read_manual_coding(coding_path, scheme.codes, id_col), settings.validation_share, id_col)
    codes = consensus(training, id_col)
    text_of = texts_of(codes[id_col].to_list())
    pairs = [(text_of[i], c) for i, c in codes.iter_rows() if i in text_of and text_of[i].strip()]
    context.log.info(f"supervised {scheme.name} backend: {len(pairs)} manually coded training items "
                     f"({codes.height} coded with agreement, validation share {settings.validation_share})")
    backend = SupervisedOnEmbeddings(scheme, embedder, [p[0] for p in pairs], [p[1] for p in pairs])
    return backend, embedder, set(codes[id_col])


def label_months(context, duckdb: DuckDBResource, backend: LabelBackend, embedder, table: str, noun: str,
                 documents_of_month, rows_of) -> tuple[pl.DataFrame, list[LabelRun]]:
    """Label each collection month of the run's partition window, one transaction per month: the
    month's rows of ``table``, the label-cache entries and the embeddings computed on the way.
    ``documents_of_month(month) -> (frame, documents)``; ``rows_of(month, frame, documents, run) -> rows``.
    Returns every month's rows and the runs, for the asset's metadata (``label_months_metadata``)."""
    from rednote_dagster.defs.partitions import months_in_window

    frames, runs = [], []
    for month in months_in_window(context.partition_time_window):
        df, docs = documents_of_month(month)
        run = label_with_warehouse_cache(duckdb, backend, docs)
        rows = rows_of(month, df, docs, run)
        writes = [PartitionWrite(table, rows.to_arrow(), {"collection_month": month}), run.cache_write()]
        if embedder is not None:
            writes.append(embeddings_write(embedder))
        with duckdb.get_connection() as con:
            replace_partitions(con, writes)
        if embedder is not None:
            embedder.fresh.clear()  # stored now: the next month's write carries only its own
        context.log.info(f"{month:%Y-%m} {noun}: {rows.height} rows, {run.cache_hits} cached, "
                         f"{run.cache_misses} labelled by {backend.name}")
        frames.append(rows)
        runs.append(run)
    return pl.concat(frames), runs


def label_months_metadata(rows: pl.DataFrame, runs: list[LabelRun]) -> dict[str, dg.MetadataValue]:
    """Backend, cache, model-time and row-count metadata over all months a labelling run wrote."""
    misses = sum(r.cache_misses for r in runs)
    seconds = sum(r.seconds for r in runs)
    metadata = labelling_metadata(runs[-1]) | {
        "cache_hits": dg.MetadataValue.int(sum(r.cache_hits for r in runs)),
        "cache_misses": dg.MetadataValue.int(misses),
        "model_seconds": dg.MetadataValue.float(round(seconds, 2)),
        "texts_per_second": dg.MetadataValue.float(round(misses / seconds, 1) if seconds else 0.0),
        "dagster/partition_row_count": dg.MetadataValue.int(rows.height),
    }
    if "code" in rows.columns:
        metadata["unknown"] = dg.MetadataValue.int(int(rows["code"].is_null().sum()))
    return metadata
