"""Sentence embeddings kept in the warehouse (``enrich.text_embeddings``), one row per model, revision
and input hash, so a text is embedded once per model revision whichever asset asks first."""

from collections.abc import Callable
from contextlib import AbstractContextManager

import duckdb
import numpy as np
import pyarrow as pa

from rednote_dagster.lib.warehouse import KeyedWrite, table_exists

EMBEDDINGS_TABLE = "enrich.text_embeddings"
EMBEDDING_KEYS = ("model_id", "model_revision", "input_hash")


def stored_embeddings(
    con: duckdb.DuckDBPyConnection, model_id: str, model_revision: str, hashes: list[str]
) -> dict[str, np.ndarray]:
    """The vectors of this model and revision for those of ``hashes`` the table holds, looked up by
    hash (never the whole table: at paper scale that is half a million vectors)."""
    if not table_exists(con, EMBEDDINGS_TABLE):
        return {}
    con.register("wanted_hashes", pa.table({"input_hash": pa.array(hashes, pa.string())}))
    try:
        found = con.sql(
            f"SELECT e.input_hash, e.embedding FROM {EMBEDDINGS_TABLE} e SEMI JOIN wanted_hashes USING (input_hash)"
            " WHERE e.model_id = ? AND e.model_revision = ?",
            params=[model_id, model_revision],
        ).pl()
    finally:
        con.unregister("wanted_hashes")
    if not found.height:
        return {}
    vectors = found["embedding"].explode().to_numpy().astype(np.float32).reshape(found.height, -1)
    return dict(zip(found["input_hash"].to_list(), vectors))


class WarehouseEmbeddings:
    """``Embedder(stored=...)`` for the warehouse: each lookup opens its own connection (``connect()``,
    e.g. ``DuckDBResource.get_connection``), so none is held while the model runs."""

    def __init__(self, connect: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]):
        self._connect = connect

    def __call__(self, model_id: str, model_revision: str, hashes: list[str]) -> dict[str, np.ndarray]:
        with self._connect() as con:
            return stored_embeddings(con, model_id, model_revision, hashes)


def embeddings_upsert(embedder) -> KeyedWrite:
    """Rows for the embeddings ``embedder`` computed since its ``fresh`` set was last cleared, as an
    upsert into enrich.text_embeddings (built from one float32 matrix: no Python float per component)."""
    fresh = sorted(embedder.fresh)
    matrix = (
        np.stack([embedder.known[h] for h in fresh]) if fresh else np.zeros((0, embedder.dimension), np.float32)
    ).astype(np.float32, copy=False)
    vectors = pa.FixedSizeListArray.from_arrays(pa.array(matrix.ravel()), matrix.shape[1])
    data = pa.table(
        {
            "model_id": pa.array([embedder.model_id] * len(fresh), pa.string()),
            "model_revision": pa.array([embedder.model_revision] * len(fresh), pa.string()),
            "input_hash": pa.array(fresh, pa.string()),
            "embedding": vectors.cast(pa.list_(pa.float32())),
        }
    )
    return KeyedWrite(EMBEDDINGS_TABLE, data, EMBEDDING_KEYS)
