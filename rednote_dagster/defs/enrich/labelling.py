"""Glue shared by every labelling asset: the warehouse-backed cache and common metadata."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from rednote_dagster.lib.labelling.base import LabelBackend
from rednote_dagster.lib.labelling.cache import LabelRun, label_documents, lookup
from rednote_dagster.lib.labelling.scheme import Document


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
