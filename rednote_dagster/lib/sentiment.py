"""Sentiment labels for notes and comments (Feng et al. §4.1), Dagster-free.

Choosing the backend and turning a :class:`~rednote_dagster.lib.labelling.cache.LabelRun` into the
rows of ``enrich.note_sentiment`` / ``enrich.comment_sentiment``. ``auto`` takes, in this order: the
supervised backend when a manual sentiment coding exists (``manual/sentiment_coding.csv``, notes and
comments, ``lib/coding.py``; trained on its training half like the taxonomy's, emotion's and
stance's, and measured on the other half in ``analysis/coding_agreement``), the transformers model
when it can be loaded, the lexicon fallback otherwise.
"""

import datetime as dt
import logging
import socket
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from rednote_dagster.lib.coding import ENTITIES, SENTIMENT_CODING_FILE, current_texts, read_manual_coding
from rednote_dagster.lib.labelling.base import LabelBackend
from rednote_dagster.lib.labelling.cache import LabelRun
from rednote_dagster.lib.labelling.embeddings import Embedder
from rednote_dagster.lib.labelling.lexicon import LexiconSentiment
from rednote_dagster.lib.labelling.scheme import Document, LabelScheme
from rednote_dagster.lib.labelling.scheme_backend import build_scheme_backend
from rednote_dagster.lib.labelling.schemes import SENTIMENT
from rednote_dagster.lib.labelling.text import note_text, script_of
from rednote_dagster.lib.labelling.transformers_backend import TransformersClassifier
from rednote_dagster.lib.settings import hugging_face_hub_host

log = logging.getLogger(__name__)

# entity → (source table, id column, SQL giving id and text parts)
SOURCES = {
    "note": ("raw.notes", "note_id", "SELECT note_id, title, description FROM raw.notes"),
    "comment": ("raw.comments", "comment_id", "SELECT comment_id, content FROM raw.comments"),
}
PROBABILITY_COLUMNS = ("prob_very_negative", "prob_negative", "prob_neutral", "prob_positive", "prob_very_positive")
BACKENDS = ("auto", "supervised", "transformers", "lexicon")


def _hub_cached(model: str, revision: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(model, "config.json", revision=revision), str)
    except Exception:
        return False


def _hub_reachable(timeout_s: float = 3.0) -> bool:
    # A model hub download fails only after ~50 s of retries when offline; ask the network first.
    host = hugging_face_hub_host()
    if host is None:
        return False
    try:
        socket.create_connection((host, 443), timeout=timeout_s).close()
        return True
    except OSError:
        return False


def load_sentiment_backend(
    settings,
    progress: Callable[[str], None] | None = None,
    supervised: Callable[[], LabelBackend] | None = None,
) -> tuple[LabelBackend, str | None]:
    """(backend, why the fallback is used or None). ``settings``: the fields of the sentiment model
    resource (``defs/resources.py``: ``SentimentModel``). ``supervised``: builds the supervised backend,
    given when a manual sentiment coding exists; ``"auto"`` takes it then. ``backend="transformers"``
    raises instead of falling back; ``"auto"`` falls back to the lexicon and returns the reason."""
    if settings.backend not in BACKENDS:
        raise ValueError(f"sentiment backend must be one of {BACKENDS}, not {settings.backend!r}")
    if settings.backend == "supervised" and supervised is None:
        raise ValueError(
            f"the supervised sentiment backend learns from a manual coding: write "
            f"$REDNOTE_DATA_DIR/manual/{SENTIMENT_CODING_FILE} (entity, id, coder, code; see lib/coding.py)"
        )
    if settings.backend in ("auto", "supervised") and supervised is not None:
        return supervised(), None

    def lexicon() -> LabelBackend:
        return LexiconSentiment(SENTIMENT, workers=settings.lexicon_workers)

    if settings.backend == "lexicon":
        return lexicon(), None

    def load() -> LabelBackend:
        return TransformersClassifier(
            SENTIMENT,
            settings.model,
            settings.revision or None,
            batch_size=settings.batch_size,
            max_length=settings.max_length or None,
            threads=settings.threads or None,
            int8=settings.int8,
            device=settings.device or None,
            progress=progress,
        )

    if settings.backend == "transformers":
        return load(), None
    local = Path(settings.model).expanduser().is_dir()
    if not local and not _hub_cached(settings.model, settings.revision) and not _hub_reachable():
        reason = (
            f"model {settings.model}@{settings.revision} is not a local folder, not in the Hugging Face "
            f"cache and the hub is unreachable"
        )
    else:
        try:
            return load(), None
        except Exception as exc:
            reason = f"could not load {settings.model}@{settings.revision}: {type(exc).__name__}: {exc}"
    # the reason is returned: the caller warns (the sentiment assets, once per step, in the run's log)
    log.info("sentiment: falling back to the lexicon backend (VADER + SnowNLP): %s", reason)
    return lexicon(), reason


def _no_llm(scheme: LabelScheme) -> LabelBackend:
    raise ValueError(f"{scheme.name} has no LLM backend")


def supervised_sentiment_backend(
    embedder: Callable[[], Embedder],
    manual_coding: Path,
    validation_share: float,
    connect: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]],
    info: Callable[[str], None] = log.info,
) -> LabelBackend:
    """The supervised backend (``SupervisedOnEmbeddings`` through ``scheme_backend``, as for every
    scheme) trained on the training half of the sentiment coding: notes and comments together, each
    item's text as the sentiment assets read it."""
    entity_of = dict(
        read_manual_coding(manual_coding, SENTIMENT.codes, "id", entities=ENTITIES).select("id", "entity").iter_rows()
    )

    def texts_of(ids: list[str]) -> dict[str, str]:
        with connect() as con:
            return {
                i: t
                for entity in ENTITIES
                for i, t in current_texts(con, entity, [i for i in ids if entity_of.get(i) == entity]).items()
            }

    return build_scheme_backend(
        SENTIMENT,
        "supervised",
        llm=_no_llm,
        embedder=embedder,
        manual_coding=manual_coding,
        id_column="id",
        validation_share=validation_share,
        texts_of=texts_of,
        info=info,
    ).backend


def sentiment_documents(
    con: duckdb.DuckDBPyConnection, entity: str, month: dt.date
) -> tuple[pl.DataFrame, list[Document]]:
    """The collection month's notes or comments (sorted by id), each as a frame row and a document
    (a note's title and description; a comment's content)."""
    _, id_column, select = SOURCES[entity]
    df = con.sql(f"{select} WHERE collection_month = ? ORDER BY {id_column}", params=[month]).pl()
    if entity == "note":
        texts = [note_text(t, d) for t, d in zip(df["title"], df["description"])]
    else:
        texts = [c or "" for c in df["content"]]
    return df, [Document(t) for t in texts]


def sentiment_table(
    id_column: str, ids: list[str], texts: list[str], collection_month: dt.date, run: LabelRun, threshold: float
) -> pa.Table:
    """Rows of enrich.<entity>_sentiment, one per id, in the given order."""
    preds = run.predictions
    probs = [p.probabilities or [None] * 5 for p in preds]
    scores = [int(p.code) if p.code is not None else None for p in preds]
    df = pl.DataFrame(
        {
            id_column: ids,
            "collection_month": [collection_month] * len(ids),
            "content_hash": run.input_hashes,
            "text_script": [script_of(t) for t in texts],
            "label": [SENTIMENT.label(p.code).name if p.code is not None else None for p in preds],
            "score": pl.Series(scores, dtype=pl.Int8),
            "confidence": pl.Series([p.confidence for p in preds], dtype=pl.Float64),
            **{
                col: pl.Series([row[i] for row in probs], dtype=pl.Float64) for i, col in enumerate(PROBABILITY_COLUMNS)
            },
            "passes_confidence": [p.code is not None and (p.confidence or 0.0) > threshold for p in preds],
            "unknown_reason": pl.Series([p.reason if p.code is None else None for p in preds], dtype=pl.String),
            "backend": [run.backend["backend"]] * len(ids),
            "model_id": [run.backend["model_id"]] * len(ids),
            "model_revision": [run.backend["model_revision"]] * len(ids),
        },
        schema_overrides={"collection_month": pl.Date},
    )
    return df.to_arrow()


def label_distribution(rows: pl.DataFrame) -> pl.DataFrame:
    """Counts and shares per label, with how many pass the confidence filter."""
    order = pl.DataFrame(
        {"label": [label.name for label in SENTIMENT.labels] + [None], "score": [-2, -1, 0, 1, 2, None]}
    )
    counts = rows.group_by("label").agg(pl.len().alias("n"), pl.col("passes_confidence").sum().alias("passing"))
    total = max(rows.height, 1)
    return (
        order.join(counts, on="label", how="left", nulls_equal=True)
        .with_columns(pl.col("n", "passing").fill_null(0))
        .with_columns((pl.col("n") / total).round(3).alias("share"))
        .filter(pl.col("n") > 0)
        .select("score", "label", "n", "share", "passing")
    )
