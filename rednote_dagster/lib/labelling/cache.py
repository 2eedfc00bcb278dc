"""Content-hash cache: a document is labelled once per (scheme, backend, model, revision).

The key is the SHA-256 of the backend's exact model input (the text for classifiers, the full
rendered prompt for an LLM), so an edited note is labelled again and an unchanged one never is.
The cache lives in the warehouse (``enrich.label_cache``) and survives re-materializations and
re-crawls.
"""

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from rednote_dagster.lib.labelling.base import LabelBackend, Prediction
from rednote_dagster.lib.labelling.scheme import Document
from rednote_dagster.lib.warehouse import KeyedWrite, table_exists

CACHE_TABLE = "enrich.label_cache"
CACHE_KEYS = ("scheme", "scheme_fingerprint", "backend", "model_id", "model_revision", "input_hash")

CACHE_SCHEMA = pa.schema(
    [
        ("scheme", pa.string()),
        ("scheme_fingerprint", pa.string()),
        ("backend", pa.string()),
        ("model_id", pa.string()),
        ("model_revision", pa.string()),
        ("input_hash", pa.string()),
        ("code", pa.string()),
        ("confidence", pa.float64()),
        ("probabilities", pa.list_(pa.float64())),
        ("reason", pa.string()),
        ("raw_response", pa.string()),
        ("prompt_tokens", pa.int64()),
        ("completion_tokens", pa.int64()),
        ("labelled_at", pa.timestamp("us", tz="UTC")),
    ]
)


def input_hash(model_input: str) -> str:
    return hashlib.sha256(model_input.encode("utf-8")).hexdigest()


def _key(backend: LabelBackend) -> dict[str, str]:
    return {
        "scheme": backend.scheme.name,
        "scheme_fingerprint": backend.scheme.fingerprint(),
        "backend": backend.name,
        "model_id": backend.model_id,
        "model_revision": backend.model_revision,
    }


def lookup(con: duckdb.DuckDBPyConnection, backend: LabelBackend, hashes: list[str]) -> dict[str, Prediction]:
    """Cached predictions of this backend for the given input hashes."""
    if not hashes or not table_exists(con, CACHE_TABLE):
        return {}
    key = _key(backend)
    con.register("_wanted_hashes", pa.table({"input_hash": pa.array(sorted(set(hashes)), pa.string())}))
    try:
        rows = con.execute(
            f"""SELECT c.input_hash, c.code, c.confidence, c.probabilities, c.reason, c.raw_response
                FROM {CACHE_TABLE} c JOIN _wanted_hashes w USING (input_hash)
                WHERE {" AND ".join(f"c.{k} = ?" for k in key)}""",
            list(key.values()),
        ).fetchall()
    finally:
        con.unregister("_wanted_hashes")
    return {
        h: Prediction(code=code, confidence=conf, probabilities=probs, reason=reason, raw_response=raw)
        for h, code, conf, probs, reason, raw in rows
    }


@dataclass
class LabelRun:
    predictions: list[Prediction]  # aligned with the documents
    input_hashes: list[str]
    new_entries: pa.Table  # rows for CACHE_TABLE
    cache_hits: int = 0
    cache_misses: int = 0  # distinct inputs sent to the model
    seconds: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    backend: dict = field(default_factory=dict)

    @property
    def texts_per_second(self) -> float:
        return self.cache_misses / self.seconds if self.seconds > 0 else 0.0

    def cache_write(self) -> KeyedWrite:
        return KeyedWrite(CACHE_TABLE, self.new_entries, CACHE_KEYS)


def label_documents(
    backend: LabelBackend,
    documents: list[Document],
    cached: Mapping[str, Prediction] | Callable[[list[str]], Mapping[str, Prediction]] | None = None,
) -> LabelRun:
    """Label ``documents``, calling the model only for inputs not in ``cached``.

    Identical inputs within the batch are labelled once. ``cached`` is a mapping from input hash
    to prediction, or a function of the hashes that returns one (see :func:`lookup`).
    """
    hashes = [input_hash(backend.model_input(d)) for d in documents]
    hits = dict(cached(hashes) if callable(cached) else (cached if cached is not None else {}))
    todo: dict[str, Document] = {}
    for h, d in zip(hashes, documents):
        if not d.text.strip():
            # Nothing to read: no model call, no cache row, an explicit unknown.
            hits.setdefault(h, Prediction(code=None, reason="empty text", cacheable=False))
        elif h not in hits and h not in todo:
            todo[h] = d
    started = time.perf_counter()
    fresh = dict(zip(todo, backend.predict(list(todo.values()))))
    seconds = time.perf_counter() - started

    now = pa.scalar(int(time.time() * 1e6), pa.timestamp("us", tz="UTC"))
    key = _key(backend)
    keep = {h: p for h, p in fresh.items() if p.cacheable}
    new_entries = pa.table(
        {
            **{k: pa.array([v] * len(keep), pa.string()) for k, v in key.items()},
            "input_hash": pa.array(list(keep), pa.string()),
            "code": pa.array([p.code for p in keep.values()], pa.string()),
            "confidence": pa.array([p.confidence for p in keep.values()], pa.float64()),
            "probabilities": pa.array([p.probabilities for p in keep.values()], pa.list_(pa.float64())),
            "reason": pa.array([p.reason for p in keep.values()], pa.string()),
            "raw_response": pa.array([p.raw_response for p in keep.values()], pa.string()),
            "prompt_tokens": pa.array([p.prompt_tokens for p in keep.values()], pa.int64()),
            "completion_tokens": pa.array([p.completion_tokens for p in keep.values()], pa.int64()),
            "labelled_at": pa.array([now.as_py()] * len(keep), pa.timestamp("us", tz="UTC")),
        },
        schema=CACHE_SCHEMA,
    )
    merged = {**hits, **fresh}
    return LabelRun(
        predictions=[merged[h] for h in hashes],
        input_hashes=hashes,
        new_entries=new_entries,
        cache_hits=sum(1 for h, d in zip(hashes, documents) if h in hits and d.text.strip()),
        cache_misses=len(todo),
        seconds=seconds,
        prompt_tokens=sum(p.prompt_tokens for p in fresh.values()),
        completion_tokens=sum(p.completion_tokens for p in fresh.values()),
        backend=backend.describe(),
    )
