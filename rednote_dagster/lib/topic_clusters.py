"""Topic clusters: BERTopic over the notes, without Dagster: tokeniser, fit, save/load, assignment, month
policy. (The taxonomy coding of notes, Feng et al.'s codes, is another thing: ``lib/labelling/``.)

The ``enrich/topic_model``, ``enrich/topic_info`` and ``enrich/note_clusters`` assets call
:func:`update_topic_clusters`; everything a fit depends on comes in as arguments (documents in a fixed
order, pre-computed embeddings, a :class:`TopicModelConfig`), so the same inputs give the same assignments.

Determinism
    UMAP gets ``random_state=config.seed`` (which makes it run single-threaded), HDBSCAN is
    deterministic, BERTopic's own sampling of representative documents uses a fixed seed, and the
    global ``random`` / ``numpy`` seeds are set for the duration of a fit (and restored afterwards).
    Embeddings are passed in, never computed inside the fit. The caller fixes the document order
    (sort by ``note_id``): UMAP's result depends on input order (BERTopic #2276). Same inputs, same
    library versions, same machine give identical assignments; across machines or library
    versions they may differ (BERTopic #559, #1817), which is why :func:`model_fingerprint`
    includes the library versions.

Vocabulary
    BERTopic fits its CountVectorizer on one concatenated document *per topic*, so a ``min_df``
    there counts topics, not notes, and ``min_df=2`` would drop exactly the words that are
    distinctive for one topic. ``config.min_df`` is therefore applied over the individual notes
    first, and the resulting vocabulary is handed to BERTopic's vectorizer (which then has
    ``min_df=1``). Chinese runs are segmented with jieba, Latin text is split into lower-cased
    words (:func:`mixed_tokenizer`; BERTopic FAQ / #110, #1257 for mixed corpora).

Outliers
    With ``reduce_outliers`` the ``-1`` notes are moved to the topic whose embedding centroid is
    most similar (``strategy="embeddings"``, cheap with pre-computed embeddings), then
    ``update_topics`` recomputes sizes and top words. Afterwards the model has no outlier topic,
    so a saved model assigns every new note to some topic.

Saving
    ``serialization="safetensors"`` with c-TF-IDF and the embedding-model name. UMAP and HDBSCAN
    are not saved: a loaded model assigns by cosine similarity between a note's embedding and the
    topic embeddings. Loading never needs the network (:func:`load_topic_model`).

New collection month, and refits (the policy)
    A topic model is identified by ``model_version`` = :func:`model_fingerprint` (hash of the
    fitted note ids, the config, the embedding-model name and library versions); every row of
    ``note_clusters`` carries the ``model_version`` that produced it and whether it came from the
    fit or from ``transform``. The model folder holds a ``manifest.json`` (version, embedding model
    and revision, config) beside the model; assignments made with another embedding revision are
    not kept (the old fit cannot place vectors of another model).

    * New month, no refit (the default): notes that were in the model's training set keep their
      fitted topic; notes not seen before are assigned with :func:`assign_topics`
      (``BERTopic.transform`` with their embeddings) against the saved model. Topic ids, sizes in
      the topic-info table and top words stay as fitted, so earlier months' results do not move.
    * Refit: when explicitly requested, or when the share of current notes that the model has not
      seen exceeds ``refit_threshold`` (default 30 %, :func:`needs_refit`), the model is refitted
      over *all* current notes and *every* note, old partitions included, is re-assigned from that
      fit; the previous assignments are replaced, and the new ``model_version`` marks the change.
      Topic ids from different ``model_version`` values are not comparable.

    Why not ``merge_models``: it keeps the first model's topics and appends sufficiently new ones
    from a model fitted on the new month (BERTopic ``merge.md``), but the merged model drops
    c-TF-IDF and representative documents, and old notes are never re-assigned to the new topics
    (they would need a ``transform`` anyway). Plain ``transform`` is cheap, stable for old notes,
    and a topic that only emerges in a new month is caught by the threshold-triggered or explicit
    refit instead. ``partial_fit`` needs different sub-models (IncrementalPCA, MiniBatchKMeans)
    and is not used.

Adjusted Rand index
    :func:`adjusted_rand` compares assignments with the planted codes; ``-1`` outliers are counted
    as one more cluster (that is what ``adjusted_rand_score`` does with any label), so leaving many
    notes as outliers lowers the score rather than being ignored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from rednote_dagster.lib.exports import atomic_folder
from rednote_dagster.lib.labelling.embeddings import BUNDLED_MINILM
from rednote_dagster.lib.progress import MIN_ITEMS, progress_bar
from rednote_dagster.lib.warehouse import KeyedWrite, PartitionWrite, replace_partitions, table_exists

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------------
# Tokeniser

_CJK_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A run of Chinese characters (segmented by jieba), or a run of letters in any other script
# (digits, underscore and Chinese excluded), optionally with apostrophe parts ("tiktok's").
_TOKEN_RUNS = re.compile(rf"(?P<cjk>[{_CJK_RANGES}]+)|(?P<word>[^\W\d_{_CJK_RANGES}]+(?:['’][^\W\d_{_CJK_RANGES}]+)*)")
# RedNote markup: "[话题]" after hashtags, emoji codes like "[笑哭R]"; URLs and @mentions are noise.
_BRACKET_MARKUP = re.compile(r"\[[^\[\]\s]{1,12}\]")
_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\S+")

CHINESE_STOP_WORDS: frozenset[str] = frozenset(
    [
        "的",
        "了",
        "是",
        "我",
        "你",
        "他",
        "她",
        "它",
        "我们",
        "你们",
        "他们",
        "她们",
        "在",
        "也",
        "都",
        "就",
        "吗",
        "呢",
        "啊",
        "吧",
        "呀",
        "哦",
        "嗯",
        "哈",
        "哈哈",
        "哈哈哈",
        "这",
        "那",
        "这个",
        "那个",
        "这些",
        "那些",
        "这样",
        "那样",
        "有",
        "没有",
        "和",
        "与",
        "跟",
        "很",
        "太",
        "还",
        "又",
        "就是",
        "不",
        "没",
        "会",
        "能",
        "要",
        "想",
        "说",
        "去",
        "来",
        "到",
        "让",
        "被",
        "把",
        "给",
        "对",
        "从",
        "一个",
        "一",
        "个",
        "上",
        "下",
        "里",
        "中",
        "着",
        "过",
        "吧",
        "什么",
        "怎么",
        "为什么",
        "因为",
        "所以",
        "但是",
        "但",
        "而且",
        "如果",
        "可以",
        "已经",
        "自己",
        "大家",
        "真的",
        "非常",
        "一下",
        "一些",
        "然后",
        "还是",
        "或者",
        "之",
        "其",
        "及",
        "等",
        "得",
        "地",
        "么",
        "嘛",
        "啦",
        "哇",
        "噢",
        "诶",
        "您",
        "咱们",
    ]
)


def _english_stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    # Contraction stems left after cutting at the apostrophe ("don't" -> "don"), and chat fillers.
    extra = {
        "don",
        "doesn",
        "didn",
        "isn",
        "aren",
        "wasn",
        "weren",
        "won",
        "wouldn",
        "shouldn",
        "couldn",
        "haven",
        "hasn",
        "hadn",
        "ain",
        "im",
        "ive",
        "youre",
        "dont",
        "lol",
        "omg",
    }
    return frozenset(ENGLISH_STOP_WORDS) | extra


STOP_WORDS: frozenset[str] = _english_stop_words() | CHINESE_STOP_WORDS

_jieba_lock = threading.Lock()
_jieba_tokenizer: Any = None


def _jieba() -> Any:
    """A private jieba.Tokenizer on the bundled dictionary, so words another module adds to jieba's
    global default tokenizer cannot change our segmentation; initialised once, quietly."""
    global _jieba_tokenizer
    if _jieba_tokenizer is None:
        with _jieba_lock:
            if _jieba_tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)  # silences "Building prefix dict ..." on stderr
                tok = jieba.Tokenizer()
                tok.initialize()
                _jieba_tokenizer = tok
    return _jieba_tokenizer


def _keep(token: str) -> bool:
    return bool(token) and token not in STOP_WORDS


def mixed_tokenizer(text: str) -> list[str]:
    """Tokens for c-TF-IDF from Chinese, English or mixed text.

    Chinese runs are segmented with jieba; other letter runs are lower-cased words (2+ letters,
    cut at an apostrophe). Hashtags keep their word ("#TikTokRefugee[话题]#" -> "tiktokrefugee"),
    the "[话题]" / "[表情R]" markers, URLs, @mentions, numbers, punctuation and emoji are dropped, and
    so are :data:`STOP_WORDS`.
    """
    if not text:
        return []
    text = _URL.sub(" ", text)
    text = _MENTION.sub(" ", text)
    text = _BRACKET_MARKUP.sub(" ", text)
    out: list[str] = []
    for match in _TOKEN_RUNS.finditer(text):
        if match.group("cjk"):
            for tok in _jieba().lcut(match.group("cjk"), HMM=True):
                tok = tok.strip()
                if _keep(tok):
                    out.append(tok)
        else:
            word = match.group("word").lower().replace("’", "'")
            stem = word.split("'", 1)[0]
            if len(stem) >= 2 and word not in STOP_WORDS and _keep(stem):
                out.append(stem)
    return out


# --------------------------------------------------------------------------------------------------
# Config and fit


@dataclass(frozen=True)
class TopicModelConfig:
    seed: int = 42
    n_neighbors: int = 15
    n_components: int = 5
    min_cluster_size: int = 10  # scaled down for small corpora, see effective_min_cluster_size
    min_df: int = 2  # over individual notes, not over BERTopic's per-topic documents
    top_n_words: int = 10
    reduce_outliers: bool = True
    outlier_strategy: str = "embeddings"
    nr_topics: int | str | None = None
    # Sentence-transformers id or local path that produced the embeddings (Embedder.model_id); recorded
    # in the saved model so a loaded model can embed text itself when the model is available offline.
    embedding_model: str = BUNDLED_MINILM
    refit_threshold: float = 0.30  # share of unseen notes above which a new month triggers a refit

    def effective_min_cluster_size(self, n_docs: int) -> int:
        # A fixed 10 would leave a 40-note test corpus with one or two topics; 1/20 of N keeps
        # small runs meaningful, and HDBSCAN needs at least 2.
        return max(2, min(self.min_cluster_size, max(2, n_docs // 20)))

    def effective_n_neighbors(self, n_docs: int) -> int:
        # UMAP needs n_neighbors < n_docs.
        return max(2, min(self.n_neighbors, n_docs - 1))

    def effective_n_components(self, n_docs: int) -> int:
        # The spectral initialisation needs n_components < n_docs - 1.
        return max(1, min(self.n_components, n_docs - 2))


@dataclass
class FitResult:
    topics: list[int]  # one per input document, in input order; -1 only if outliers remain
    model: Any  # the fitted bertopic.BERTopic
    topic_info: pl.DataFrame  # see topic_info_frame
    model_version: str | None = None  # model_fingerprint(doc_ids, ...) when doc_ids were given
    n_outliers_before_reduction: int = 0
    config: TopicModelConfig = field(default_factory=TopicModelConfig)


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed the global RNGs for the duration of a fit and restore them afterwards, so nothing that
    draws from them inside BERTopic/UMAP varies between runs and callers' RNG state is untouched."""
    py_state, np_state = random.getstate(), np.random.get_state()
    random.seed(seed)
    np.random.seed(seed)
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


@contextmanager
def _quiet_bertopic(level: int = logging.ERROR) -> Iterator[None]:
    """BERTopic warns on every update_topics with custom topics and on loading without a backend;
    both are expected here."""
    logger = logging.getLogger("BERTopic")
    old = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(old)


def _vectorizer(vocabulary: list[str] | None, min_df: int = 1):
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(
        tokenizer=mixed_tokenizer, token_pattern=None, lowercase=False, vocabulary=vocabulary, min_df=min_df
    )


def note_vocabulary(docs: Sequence[str], min_df: int) -> list[str]:
    """Terms that occur in at least ``min_df`` notes (lowered to fit tiny corpora), sorted."""
    min_df = max(1, min(min_df, len(docs) // 10 or 1))
    for df in sorted({min_df, 1}, reverse=True):
        try:
            counts = _vectorizer(None, min_df=df).fit(list(docs))
        except ValueError:  # "empty vocabulary" / "max_df < min_df": retry with min_df=1
            continue
        return sorted(str(t) for t in counts.get_feature_names_out())
    raise ValueError("no tokens in the documents: cannot build a topic vocabulary")


def clusterer(config: TopicModelConfig, n_docs: int):
    """The HDBSCAN model of a fit over ``n_docs`` notes."""
    from hdbscan import HDBSCAN

    return HDBSCAN(
        min_cluster_size=config.effective_min_cluster_size(n_docs),
        metric="euclidean",
        cluster_selection_method="eom",
        prediction_data=True,
        # hdbscan's default (4) computes the core distances of more than 16,384 points in 4 joblib
        # worker processes that outlive the fit by minutes: at paper scale (43,338 notes, 2 cores)
        # 4 × 205 MiB held into the later steps, for 2.6 s against 0.7 s here, the same clusters.
        core_dist_n_jobs=1,
    )


def fit_topic_model(
    docs: Sequence[str],
    embeddings: np.ndarray,
    config: TopicModelConfig | None = None,
    doc_ids: Sequence[str] | None = None,
) -> FitResult:
    """Fit BERTopic on ``docs`` (already in a fixed order, e.g. sorted by note_id) with their
    pre-computed ``embeddings`` (one row per doc; no embedding model is called)."""
    from bertopic import BERTopic
    from umap import UMAP

    config = config or TopicModelConfig()
    docs = list(docs)
    embeddings = np.asarray(embeddings, dtype=np.float32)
    n = len(docs)
    if embeddings.ndim != 2 or embeddings.shape[0] != n:
        raise ValueError(f"embeddings shape {embeddings.shape} does not match {n} documents")
    if n < 5:
        raise ValueError(f"need at least 5 documents to fit a topic model, got {n}")

    umap_model = UMAP(
        n_neighbors=config.effective_n_neighbors(n),
        n_components=config.effective_n_components(n),
        min_dist=0.0,
        metric="cosine",
        random_state=config.seed,
        n_jobs=1,  # a random_state forces 1 anyway; saying so avoids UMAP's warning
        low_memory=False,
        verbose=False,
    )
    hdbscan_model = clusterer(config, n)
    model = BERTopic(
        embedding_model=None,
        # With language="english" (the default) BERTopic strips every non-ASCII character before
        # c-TF-IDF, i.e. all Chinese; "multilingual" only normalises whitespace. No model is loaded
        # because embeddings are passed in.
        language="multilingual",
        umap_model=umap_model,
        hdbscan_model=hdbscan_model,
        vectorizer_model=_vectorizer(note_vocabulary(docs, config.min_df)),
        top_n_words=config.top_n_words,
        nr_topics=config.nr_topics,
        calculate_probabilities=False,
        verbose=False,
    )
    # BERTopic reports nothing while it fits: a bar over its stages shows where it is
    stages = progress_bar(
        2 if config.reduce_outliers else 1, f"BERTopic on {n:,} notes", unit="stages", long=n >= MIN_ITEMS
    )
    with _seeded(config.seed), _quiet_bertopic(), stages:
        stages.set_postfix_str("UMAP, HDBSCAN, c-TF-IDF")
        topics, _ = model.fit_transform(docs, embeddings=embeddings)
        stages.update()
        topics = [int(t) for t in topics]
        n_outliers = sum(t == -1 for t in topics)
        if config.reduce_outliers and n_outliers and len(set(topics) - {-1}) > 0:
            topics = [
                int(t)
                for t in model.reduce_outliers(docs, topics, strategy=config.outlier_strategy, embeddings=embeddings)
            ]
            # update_topics would otherwise fall back to a default whitespace CountVectorizer.
            model.update_topics(
                docs, topics=topics, top_n_words=config.top_n_words, vectorizer_model=model.vectorizer_model
            )
            stages.update()
    version = model_fingerprint(doc_ids, config) if doc_ids is not None else None
    return FitResult(
        topics=topics,
        model=model,
        topic_info=topic_info_frame(model),
        model_version=version,
        n_outliers_before_reduction=n_outliers,
        config=config,
    )


def topic_info_frame(model: Any) -> pl.DataFrame:
    """One row per topic: topic id, size (notes), name, top_words (list), representative_doc."""
    sizes = dict(model.topic_sizes_ or {})
    reps = model.representative_docs_ or {}
    rows = []
    for topic in sorted(model.topic_representations_):
        words = [w for w, _ in (model.topic_representations_.get(topic) or []) if w]
        docs = reps.get(topic) or []
        rows.append(
            {
                "topic": int(topic),
                "size": int(sizes.get(topic, 0)),
                "name": str(model.topic_labels_.get(topic, "")),
                "top_words": words,
                "representative_doc": docs[0] if docs else None,
            }
        )
    schema = {
        "topic": pl.Int64,
        "size": pl.Int64,
        "name": pl.Utf8,
        "top_words": pl.List(pl.Utf8),
        "representative_doc": pl.Utf8,
    }
    # Topics with no notes left (e.g. the outlier topic after reduction) are not listed.
    return pl.DataFrame(rows, schema=schema).filter(pl.col("size") > 0)


# --------------------------------------------------------------------------------------------------
# Save / load / assign


def save_topic_model(model: Any, path: str | Path, embedding_model: str, manifest: dict | None = None) -> Path:
    """Save as safetensors (topic embeddings, c-TF-IDF, configs) into directory ``path``; the
    embedding-model name is recorded in ``config.json``, and ``manifest`` (if given) in
    ``manifest.json``. Replaces an existing directory."""
    path = Path(path)
    # a fresh folder (no stale files from an earlier fit), swapped in whole with its manifest: a failed
    # save keeps the old model
    with atomic_folder(path) as scratch, _quiet_bertopic():
        model.save(str(scratch), serialization="safetensors", save_ctfidf=True, save_embedding_model=embedding_model)
        if manifest is not None:
            (scratch / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str))
    return path


def saved_embedding_model(path: str | Path) -> str | None:
    """The embedding-model name recorded in a saved model's config.json."""
    config = json.loads((Path(path) / "config.json").read_text(encoding="utf-8"))
    return config.get("embedding_model")


def _local_sentence_transformer(name: str | None) -> Any:
    """A SentenceTransformer for ``name`` if it loads without the network (local folder or the HF
    cache), else None."""
    if not name:
        return None
    try:
        from sentence_transformers import SentenceTransformer

        if Path(name).is_dir():
            return SentenceTransformer(name, device="cpu")
        return SentenceTransformer(name, device="cpu", local_files_only=True)
    except Exception as exc:
        log.info("embedding model %r not available offline (%s); loading topic model without it", name, exc)
        return None


def load_topic_model(path: str | Path, embedding_model: Any = None) -> Any:
    """Load a model saved by :func:`save_topic_model` without touching the network.

    ``embedding_model`` may be a SentenceTransformer-like object, a name/path, or None for the
    recorded name. A name that cannot be loaded offline is skipped: the model then needs
    ``embeddings=`` for :func:`assign_topics`, which is how the pipeline uses it anyway.
    """
    from bertopic import BERTopic

    path = Path(path)
    if embedding_model is None or isinstance(embedding_model, str):
        embedding_model = _local_sentence_transformer(embedding_model or saved_embedding_model(path))
    # BERTopic.load always tries SentenceTransformer(<recorded name>) itself, which for a hub id
    # means a download attempt; load from a copy whose config.json does not name the model.
    with tempfile.TemporaryDirectory(prefix="topic_model_") as tmp:
        copy = Path(tmp) / "model"
        shutil.copytree(path, copy)
        config = json.loads((copy / "config.json").read_text(encoding="utf-8"))
        config.pop("embedding_model", None)
        (copy / "config.json").write_text(json.dumps(config), encoding="utf-8")
        with _quiet_bertopic():
            model = BERTopic.load(str(copy), embedding_model=embedding_model)
    # The saved vectorizer config has no tokenizer (functions are not serialised); put ours back.
    if getattr(model, "vectorizer_model", None) is not None:
        model.vectorizer_model.set_params(tokenizer=mixed_tokenizer, token_pattern=None, lowercase=False)
    return model


def assign_topics(model: Any, docs: Sequence[str], embeddings: np.ndarray) -> list[int]:
    """Topic per document from an existing model (``BERTopic.transform`` with the given embeddings).

    A loaded (safetensors) model assigns by cosine similarity to the topic embeddings, so after
    outlier reduction it never returns -1. An in-memory fitted model goes through UMAP.transform
    and HDBSCAN.approximate_predict and can return -1.
    """
    docs = list(docs)
    if not docs:
        return []
    embeddings = np.asarray(embeddings, dtype=np.float32)
    with _quiet_bertopic():
        topics, _ = model.transform(docs, embeddings=embeddings)
    return [int(t) for t in topics]


# --------------------------------------------------------------------------------------------------
# Month / refit policy


def needs_refit(n_fitted_docs: int, n_new_docs: int, threshold: float = 0.30, force: bool = False) -> bool:
    """Whether the current notes call for a refit rather than ``transform`` of the new ones.

    True when forced, when there is no fitted model (``n_fitted_docs == 0``), or when the notes the
    model has not seen are more than ``threshold`` of all current notes:
    ``n_new / (n_fitted + n_new) > threshold``.
    """
    if n_fitted_docs < 0 or n_new_docs < 0:
        raise ValueError("document counts must be non-negative")
    if force or n_fitted_docs == 0:
        return True
    return n_new_docs / (n_fitted_docs + n_new_docs) > threshold


def model_fingerprint(doc_ids: Collection[str], config: TopicModelConfig, embedding_model: str | None = None) -> str:
    """``model_version``: a short hash of the fitted note ids (as a set), the config, the embedding
    model (``config.embedding_model`` unless given) and the BERTopic/UMAP/HDBSCAN/scikit-learn
    versions, which can change assignments for the same inputs."""
    from importlib.metadata import PackageNotFoundError, version

    def _v(pkg: str) -> str:
        try:
            return version(pkg)
        except PackageNotFoundError:
            return "?"

    cfg = asdict(config)
    cfg.pop("refit_threshold")  # when to refit is not part of what a fit is
    cfg["embedding_model"] = embedding_model or config.embedding_model
    payload = {
        "doc_ids": sorted(str(i) for i in doc_ids),
        "config": cfg,
        "versions": {p: _v(p) for p in ("bertopic", "umap-learn", "hdbscan", "scikit-learn")},
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:16]


@dataclass(frozen=True)
class AssignmentPlan:
    refit: bool
    keep: list[str]  # note ids that keep their fitted assignment (empty when refit)
    transform: list[str]  # note ids to assign with transform (empty when refit)
    share_new: float  # unseen notes / current notes


def plan_assignment(
    current_ids: Sequence[str],
    fitted_ids: Collection[str],
    threshold: float = 0.30,
    force_refit: bool = False,
) -> AssignmentPlan:
    """Which current notes keep their topic, which get ``transform``, or whether to refit everything.
    Notes that were fitted but are no longer current are simply not part of the plan."""
    fitted = set(fitted_ids)
    current = sorted(set(current_ids))
    seen = [i for i in current if i in fitted]
    new = [i for i in current if i not in fitted]
    share = len(new) / len(current) if current else 0.0
    if needs_refit(len(seen), len(new), threshold, force_refit):
        return AssignmentPlan(refit=True, keep=[], transform=[], share_new=share)
    return AssignmentPlan(refit=False, keep=seen, transform=new, share_new=share)


def note_clusters_frame(
    note_ids: Sequence[str], topics: Sequence[int], model_version: str, assigned_by: str
) -> pl.DataFrame:
    """Rows for ``enrich/note_clusters``: note_id, topic, model_version, assigned_by ('fit' or
    'transform')."""
    if len(note_ids) != len(topics):
        raise ValueError("note_ids and topics differ in length")
    return pl.DataFrame(
        {
            "note_id": [str(i) for i in note_ids],
            "topic": [int(t) for t in topics],
            "model_version": [model_version] * len(note_ids),
            "assigned_by": [assigned_by] * len(note_ids),
        },
        schema={"note_id": pl.Utf8, "topic": pl.Int64, "model_version": pl.Utf8, "assigned_by": pl.Utf8},
    )


MANIFEST = "manifest.json"
TOPIC_INFO_TABLE = "enrich.topic_info"
CLUSTERS_TABLE = "enrich.note_clusters"


def read_manifest(model_dir: str | Path) -> dict:
    """The saved model's manifest (written by :func:`update_topic_clusters`), or {} when there is none."""
    path = Path(model_dir) / MANIFEST
    return json.loads(path.read_text()) if path.exists() else {}


def fit_manifest(model_version: str, fitted_notes: int, config: TopicModelConfig, embedding_revision: str) -> dict:
    return {
        "model_version": model_version,
        "fitted_notes": fitted_notes,
        "embedding_model": config.embedding_model,
        "embedding_model_revision": embedding_revision,
        "config": config.__dict__ | {"nr_topics": str(config.nr_topics)},
    }


def reusable_fit(manifest: dict, previous: pl.DataFrame, embedding_revision: str) -> pl.DataFrame:
    """The saved fit's assignments (``previous``: its rows of note_clusters) that a new run may keep:
    none without a manifest, or when the manifest names another embedding revision (the old fit cannot
    place vectors of another model)."""
    other_model = manifest.get("embedding_model_revision") not in (None, embedding_revision)
    if not manifest or not previous.height or other_model:
        return pl.DataFrame()
    return previous


@dataclass(frozen=True)
class ClusterUpdate:
    model_version: str
    plan: AssignmentPlan
    clusters: pl.DataFrame  # enrich.note_clusters: note_id, topic, model_version, assigned_by, topic_name
    topic_info: pl.DataFrame  # enrich.topic_info: topic_info_frame's columns and model_version
    outliers_before_reduction: int  # of the fit; 0 after a transform


def update_topic_clusters(
    connect: Callable[[], AbstractContextManager[Any]],
    model_dir: str | Path,
    note_ids: Sequence[str],
    texts: Sequence[str],
    embeddings: np.ndarray,
    config: TopicModelConfig,
    embedding_revision: str,
    *,
    force_refit: bool = False,
    also_write: Sequence[KeyedWrite] = (),
    info: Callable[[str], None] = log.info,
) -> ClusterUpdate:
    """Refit or transform (the policy in this module's docstring), save a refit with its manifest in
    ``model_dir``, and replace enrich.topic_info and enrich.note_clusters (with ``also_write``) in one
    transaction. ``note_ids`` / ``texts`` / ``embeddings``: the current notes, sorted by note id (UMAP
    depends on the order); ``config.embedding_model`` names the model of the embeddings, of revision
    ``embedding_revision``. ``connect()`` opens a warehouse connection (a context manager)."""
    model_dir = Path(model_dir)
    ids, texts = list(note_ids), list(texts)
    manifest = read_manifest(model_dir)
    previous = pl.DataFrame()
    if manifest:
        with connect() as con:
            if table_exists(con, CLUSTERS_TABLE):
                previous = con.sql(
                    f"SELECT * FROM {CLUSTERS_TABLE} WHERE model_version = ?", params=[manifest["model_version"]]
                ).pl()
    previous = reusable_fit(manifest, previous, embedding_revision)
    fitted_ids = previous.filter(pl.col("assigned_by") == "fit")["note_id"].to_list() if previous.height else []
    plan = plan_assignment(ids, fitted_ids, config.refit_threshold, force_refit=force_refit or not fitted_ids)

    if plan.refit:
        fit = fit_topic_model(texts, embeddings, config, doc_ids=ids)
        version = fit.model_version
        save_topic_model(
            fit.model,
            model_dir,
            config.embedding_model,
            manifest=fit_manifest(version, len(ids), config, embedding_revision),
        )
        clusters = note_clusters_frame(ids, fit.topics, version, "fit")
        topics = fit.topic_info
        outliers = fit.n_outliers_before_reduction
        info(f"refitted BERTopic over {len(ids)} notes: {topics.height} topics, version {version}")
    else:
        version = manifest["model_version"]
        position = {n: i for i, n in enumerate(ids)}
        new_idx = [position[n] for n in plan.transform]
        model = load_topic_model(model_dir)
        new_topics = assign_topics(model, [texts[i] for i in new_idx], embeddings[new_idx]) if new_idx else []
        kept = previous.filter(pl.col("note_id").is_in(plan.keep))
        clusters = pl.concat(
            [
                kept.select("note_id", "topic", "model_version", "assigned_by"),
                note_clusters_frame(plan.transform, new_topics, version, "transform"),
            ]
        ).sort("note_id")
        with connect() as con:
            topics = con.sql(f"SELECT * FROM {TOPIC_INFO_TABLE}").pl()
        outliers = 0
        info(
            f"kept {kept.height} fitted notes, assigned {len(new_idx)} new notes with transform "
            f"({plan.share_new:.1%} new; refit above {config.refit_threshold:.0%})"
        )

    names = dict(zip(topics["topic"].to_list(), topics["name"].to_list()))
    clusters = clusters.with_columns(
        pl.col("topic").replace_strict(names, default=None, return_dtype=pl.String).alias("topic_name")
    )
    topic_info = topics.with_columns(pl.lit(version).alias("model_version"))
    with connect() as con:
        replace_partitions(
            con,
            [
                PartitionWrite(TOPIC_INFO_TABLE, topic_info.to_arrow(), {}),
                PartitionWrite(CLUSTERS_TABLE, clusters.to_arrow(), {}),
                *also_write,
            ],
        )
    return ClusterUpdate(version, plan, clusters, topic_info, int(outliers))


# --------------------------------------------------------------------------------------------------
# Evaluation


def adjusted_rand(topics: Sequence[int], planted_codes: Sequence[str | int]) -> float:
    """Adjusted Rand index of topic assignments against the planted codes. ``-1`` (outliers) is
    treated as one more cluster, so unresolved outliers count against the score."""
    from sklearn.metrics import adjusted_rand_score

    if len(topics) != len(planted_codes):
        raise ValueError("topics and planted_codes differ in length")
    return float(adjusted_rand_score([str(c) for c in planted_codes], [int(t) for t in topics]))
