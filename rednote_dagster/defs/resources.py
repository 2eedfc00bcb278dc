"""Resources, built once. Paths come from REDNOTE_DATA_DIR (CONTRACT.md)."""


import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from rednote_dagster.defs.transform.project import DBT_PROJECT_DIR, dbt_executable
from rednote_dagster.lib.pseudonym import Pseudonymizer, load_key
from rednote_dagster.lib.sentiment import SentimentSettings
from rednote_dagster.lib.settings import DataPaths
from rednote_dagster.lib.taxonomy_labels import TaxonomySettings

# DuckDB has one writer: every asset, check and dbt step touching the warehouse runs in this
# pool, and .dagster_home/dagster.yaml limits it to one at a time (dagster_anchors.md G2).
DUCKDB_POOL = "duckdb"


class WarehouseDuckDB(DuckDBResource):
    """``DuckDBResource`` whose connection is closed when the block raises too. dagster-duckdb closes it
    only after a clean exit, so a failed step left the warehouse file open in its process, and the next
    connection with other settings (a read-only one, a later step's) failed with "Can't open a connection
    to same database file with a different configuration"."""

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with super().get_connection() as con:
            try:
                yield con
            finally:
                con.close()


class RednoteData(dg.ConfigurableResource):
    """The data root: inbox of crawls, warehouse, reports, manual codings, pseudonym key."""

    data_dir: str

    @property
    def paths(self) -> DataPaths:
        return DataPaths(Path(self.data_dir).resolve())

    def pseudonymizer(self) -> Pseudonymizer:
        return Pseudonymizer(load_key(self.paths.root))


class SentimentModel(dg.ConfigurableResource):
    """Which model labels sentiment. Environment: REDNOTE_SENTIMENT_BACKEND (auto | transformers |
    lexicon), REDNOTE_SENTIMENT_MODEL (hub id or local folder), REDNOTE_SENTIMENT_REVISION,
    REDNOTE_SENTIMENT_INT8 (1 = dynamic int8 on CPU), REDNOTE_SENTIMENT_THRESHOLD (default 0.3)."""

    backend: str = SentimentSettings.backend
    model: str = SentimentSettings.model
    revision: str = SentimentSettings.revision
    batch_size: int = SentimentSettings.batch_size
    max_length: int = SentimentSettings.max_length
    threads: int = SentimentSettings.threads
    int8: bool = SentimentSettings.int8
    device: str = SentimentSettings.device
    confidence_threshold: float = SentimentSettings.confidence_threshold

    @property
    def settings(self) -> SentimentSettings:
        return SentimentSettings(**{f: getattr(self, f) for f in SentimentSettings.__dataclass_fields__})

    @classmethod
    def from_env(cls, environ=os.environ) -> "SentimentModel":
        env = {
            "backend": environ.get("REDNOTE_SENTIMENT_BACKEND"),
            "model": environ.get("REDNOTE_SENTIMENT_MODEL"),
            "revision": environ.get("REDNOTE_SENTIMENT_REVISION"),
            "int8": environ.get("REDNOTE_SENTIMENT_INT8", "").lower() in ("1", "true", "yes") or None,
            "confidence_threshold": float(environ["REDNOTE_SENTIMENT_THRESHOLD"])
            if environ.get("REDNOTE_SENTIMENT_THRESHOLD") else None,
        }
        return cls(**{k: v for k, v in env.items() if v is not None})


class TopicLabeller(dg.ConfigurableResource):
    """How notes are coded into the taxonomy. Environment: REDNOTE_TOPIC_BACKEND (auto | llm |
    supervised | zero-shot), REDNOTE_EMBEDDING_MODEL (sentence-transformers id or folder; default the
    bundled all-MiniLM-L6-v2), REDNOTE_VALIDATION_SHARE (default 0.5), REDNOTE_KAPPA_MIN (default 0.6).
    The LLM endpoint: REDNOTE_LLM_BASE_URL, REDNOTE_LLM_MODEL, REDNOTE_LLM_API_KEY."""

    backend: str = TaxonomySettings.backend
    embedding_model: str = TaxonomySettings.embedding_model
    embedding_revision: str = TaxonomySettings.embedding_revision
    validation_share: float = TaxonomySettings.validation_share
    kappa_min: float = TaxonomySettings.kappa_min

    @property
    def settings(self) -> TaxonomySettings:
        return TaxonomySettings(**{f: getattr(self, f) for f in TaxonomySettings.__dataclass_fields__})

    @classmethod
    def from_env(cls, environ=os.environ) -> "TopicLabeller":
        env = {
            "backend": environ.get("REDNOTE_TOPIC_BACKEND"),
            "embedding_model": environ.get("REDNOTE_EMBEDDING_MODEL"),
            "embedding_revision": environ.get("REDNOTE_EMBEDDING_REVISION"),
            "validation_share": float(environ["REDNOTE_VALIDATION_SHARE"]) if environ.get("REDNOTE_VALIDATION_SHARE") else None,
            "kappa_min": float(environ["REDNOTE_KAPPA_MIN"]) if environ.get("REDNOTE_KAPPA_MIN") else None,
        }
        return cls(**{k: v for k, v in env.items() if v is not None})


class WarehouseDbtCli(DbtCliResource):
    """``DbtCliResource`` without two fixed costs of every dbt step (≈ 6 s of a ≈ 15 s step on two
    cores, profiled): a ``dbt --version`` subprocess, and an in-process dbt adapter that serves only
    the opt-in ``fetch_row_counts`` / ``fetch_column_metadata``, which this project does not use
    (row counts come from its own checks). The executable is dbt-core beside this interpreter, so
    its version is the installed package's. If dagster-dbt renames these hooks, the defaults run
    again: slower, never wrong (``tests/test_dbt_models.py`` checks the version)."""

    @cached_property
    def _cli_version(self):
        from importlib.metadata import version as installed_version

        from packaging.version import Version

        return Version(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None


def dbt_resource() -> WarehouseDbtCli:
    return WarehouseDbtCli(project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR),
                           dbt_executable=dbt_executable())


def build_resources(paths: DataPaths | None = None) -> dict[str, object]:
    paths = paths or DataPaths.from_env()
    return {
        "rednote": RednoteData(data_dir=str(paths.root)),
        "duckdb": WarehouseDuckDB(database=str(paths.warehouse)),
        "sentiment_model": SentimentModel.from_env(),
        "topic_labeller": TopicLabeller.from_env(),
        "dbt": dbt_resource(),
    }


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=build_resources())
