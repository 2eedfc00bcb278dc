"""Glue shared by every labelling asset: the warehouse-backed cache and common metadata."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from rednote_dagster.lib.labelling.base import LabelBackend
from rednote_dagster.lib.labelling.cache import LabelRun, label_documents, lookup
from rednote_dagster.lib.labelling.scheme import Document
from rednote_dagster.lib.warehouse import table_exists


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


def seed_embeddings(duckdb: DuckDBResource, embedder) -> None:
    """Load the embeddings this model already computed into ``embedder.known``."""
    import numpy as np

    with duckdb.get_connection() as con:
        if not table_exists(con, EMBEDDINGS_TABLE):
            return
        rows = con.execute(
            f"SELECT input_hash, embedding FROM {EMBEDDINGS_TABLE} WHERE model_id = ? AND model_revision = ?",
            [embedder.model_id, embedder.model_revision],
        ).fetchall()
    embedder.known.update({h: np.asarray(v, dtype=np.float32) for h, v in rows})


def embeddings_write(embedder):
    """Rows for the embeddings this embedder computed, as an upsert into enrich.text_embeddings."""
    import pyarrow as pa

    from rednote_dagster.lib.warehouse import KeyedWrite

    fresh = sorted(embedder.fresh)
    data = pa.table({
        "model_id": pa.array([embedder.model_id] * len(fresh), pa.string()),
        "model_revision": pa.array([embedder.model_revision] * len(fresh), pa.string()),
        "input_hash": pa.array(fresh, pa.string()),
        "embedding": pa.array([embedder.known[h].tolist() for h in fresh], pa.list_(pa.float32())),
    })
    return KeyedWrite(EMBEDDINGS_TABLE, data, ("model_id", "model_revision", "input_hash"))
