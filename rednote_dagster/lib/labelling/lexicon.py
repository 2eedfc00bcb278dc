"""Offline sentiment backend: VADER (English, emoji-aware) and SnowNLP (Chinese), five levels.

Both libraries ship their data, so this works on any machine. It is the fallback when the
transformers model cannot be loaded, and it says so: backend "lexicon" is in every row.

Score. ``s`` in [−1, 1] is the score of the text's most emphatic sentence (largest |score|): a
Chinese sentence scores 0.7 × SnowNLP's (2·P(positive) − 1) + 0.3 × VADER (which still reads
emoji), any other sentence VADER's compound score.
Levels. ``s`` is cut into −2 … 2 at per-script cut-offs (:data:`CUTOFFS`). They were calibrated
with :func:`calibrate_cutoffs` (coordinate search maximising exact agreement, adjacent cut-offs
at least 0.15 apart so all five levels stay reachable) on the planted sentiment of the bundled
corpus generated with ``--scale small --seed 1`` — a different seed from the one the pipeline
is evaluated on — with notes weighted to count as much as comments (notes are the unit of the
topic analyses). Exact agreement there, notes / comments: en 0.74 / 0.64, zh 0.36 / 0.44, mixed
0.55 / 0.62. SnowNLP was trained on product reviews and barely separates "negative" from
"neutral" in Chinese; prefer the transformers backend for analysis. Re-derive with
``scripts/calibrate_lexicon.py``.

Probabilities. A lexicon has no class probabilities. The five columns are a documented stand-in:
``s`` is mapped piecewise-linearly onto the level axis (cut-offs → half-way points between
levels) and spread with a Gaussian kernel (σ = 0.5 level), so confidence is ≈ 0.79 in the
middle of a level and ≈ 0.49 on a cut-off. They rank texts; they are not calibrated.

Speed. SnowNLP runs through :mod:`.snownlp_fast` (same values; ~750 → ~8000 comments/s), and
batches of at least :data:`POOL_MIN_DOCUMENTS` texts are scored in a spawned process pool (see
:func:`pool_workers`, ``REDNOTE_LEXICON_WORKERS``); order and values unchanged.
"""

import math
import multiprocessing
import os
import re
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from importlib.metadata import version

import numpy as np

from rednote_dagster.lib.labelling import snownlp_fast
from rednote_dagster.lib.labelling.base import LabelBackend, Prediction
from rednote_dagster.lib.labelling.scheme import Document, LabelScheme
from rednote_dagster.lib.labelling.text import script_of, without_markup
from rednote_dagster.lib.progress import track

# Cut-offs on s between levels −2|−1, −1|0, 0|1, 1|2 per script (see module docstring).
CUTOFFS: dict[str, tuple[float, float, float, float]] = {
    "en": (-0.775, -0.275, 0.45, 0.85),
    "zh": (-0.475, -0.25, 0.275, 0.675),
    "mixed": (-0.725, -0.4, 0.325, 0.85),
}
ZH_WEIGHT = 0.7  # SnowNLP share of a Chinese sentence's score (VADER still reads its emoji)
KERNEL_SIGMA = 0.5
_SENTENCE_END = re.compile(r"(?<=[.!?。！？\n])")
# Smaller batches are scored in this process: each spawned worker needs ~4 s to load SnowNLP's
# models, more than a pool saves below ~30-70k texts at ~8000 texts/s per process (measured).
POOL_MIN_DOCUMENTS = 50_000


def pool_workers(configured: int | None = None) -> int:
    """Worker processes for a large batch: ``configured`` if given (1 = in this process; the sentiment
    model's ``lexicon_workers``), else the CPUs available — but none with fewer than 3: on a 2-CPU host
    two workers were slower than this process alone (100k comments: 13 s in-process, 20 s pooled)."""
    if configured is not None:
        return max(1, configured)
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return cpus if cpus >= 3 else 1


_pool_backend: "LexiconSentiment | None" = None


def _pool_init(scheme: LabelScheme) -> None:
    global _pool_backend
    _pool_backend = LexiconSentiment(scheme)


def _pool_score(text: str) -> tuple[str, float]:
    return _pool_backend.score(text)


def level_position(s: float, cutoffs: Sequence[float]) -> float:
    """Map s ∈ [−1, 1] onto the level axis [−2.5, 2.5]: cut-off i lands on −1.5 + i."""
    xs = [-1.0, *cutoffs, 1.0]
    ys = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]
    return float(np.interp(s, xs, ys))


def soft_levels(position: float, sigma: float = KERNEL_SIGMA) -> list[float]:
    weights = [math.exp(-((position - k) ** 2) / (2 * sigma**2)) for k in range(-2, 3)]
    total = sum(weights)
    return [w / total for w in weights]


def calibrate_cutoffs(scores: Sequence[float], levels: Sequence[int], min_gap: float = 0.15, rounds: int = 5):
    """Cut-offs on scores in [−1, 1] that maximise exact agreement with levels −2 … 2."""
    s, y = np.asarray(scores, float), np.asarray(levels, int)
    grid = np.linspace(-1, 1, 81)
    cuts = np.array([-0.6, -0.2, 0.3, 0.7])
    best = (np.digitize(s, cuts) - 2 == y).mean()
    for _ in range(rounds):
        for i in range(4):
            for q in grid:
                trial = cuts.copy()
                trial[i] = q
                if np.any(np.diff(trial) < min_gap - 1e-12):
                    continue
                acc = (np.digitize(s, trial) - 2 == y).mean()
                if acc > best:
                    best, cuts = acc, trial
    return tuple(float(c) for c in cuts), float(best)


class LexiconSentiment(LabelBackend):
    name = "lexicon"

    def __init__(self, scheme: LabelScheme, workers: int | None = None):
        super().__init__(scheme)
        self.workers = workers  # processes for a large batch (pool_workers); labels do not depend on it
        if scheme.codes != ("-2", "-1", "0", "1", "2"):
            raise ValueError(f"the lexicon backend labels five sentiment levels, not scheme {scheme.name!r}")
        import snownlp  # noqa: F401  (loads its models now, not at the first Chinese sentence)
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._vader = SentimentIntensityAnalyzer()
        self._snownlp = snownlp_fast.sentiments  # = snownlp.SnowNLP(sentence).sentiments
        self.model_id = "vaderSentiment+snownlp"
        self.model_revision = f"vader-{version('vaderSentiment')}+snownlp-{version('snownlp')}+cutoffs-v3"

    def score(self, text: str) -> tuple[str, float]:
        """(script of the whole text, s). s is the score of the most emphatic sentence: a note's
        sentiment usually sits in one sentence among neutral ones, and in mixed notes that
        sentence may be Chinese or English, each read by the library made for it."""
        text = without_markup(text)
        best = 0.0
        for sentence in [s for s in _SENTENCE_END.split(text) if s.strip()] or [text]:
            vader = self._vader.polarity_scores(sentence)["compound"]
            if script_of(sentence) == "zh":
                value = ZH_WEIGHT * (2 * self._snownlp(sentence) - 1) + (1 - ZH_WEIGHT) * vader
            else:
                value = vader
            if abs(value) > abs(best):
                best = value
        return script_of(text), best

    def _scores(self, texts: list[str]) -> list[tuple[str, float]]:
        workers = min(pool_workers(self.workers), len(texts))
        desc = f"lexicon {self.scheme.name}"
        if len(texts) < POOL_MIN_DOCUMENTS or workers <= 1:
            return [self.score(text) for text in track(texts, len(texts), desc)]
        # spawn, not fork: the parent may hold torch / OpenMP threads
        with ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"), initializer=_pool_init, initargs=(self.scheme,)
        ) as pool:
            scored = pool.map(_pool_score, texts, chunksize=max(1, min(500, len(texts) // (workers * 8))))
            return list(track(scored, len(texts), desc))

    def _predict(self, documents: list[Document]) -> list[Prediction]:
        out = []
        for script, s in self._scores([document.text for document in documents]):
            probabilities = soft_levels(level_position(s, CUTOFFS.get(script, CUTOFFS["en"])))
            best = max(range(5), key=probabilities.__getitem__)
            out.append(
                Prediction(code=self.scheme.codes[best], confidence=probabilities[best], probabilities=probabilities)
            )
        return out
