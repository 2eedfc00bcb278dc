"""Offline sentiment backend, five levels: VADER for English; SnowNLP with a social-media lexicon for Chinese.

The libraries and tables it reads ship with the code, so this works on any machine. It is the fallback
when the transformers model cannot be loaded, and it says so: backend "lexicon" is in every row.

English (and text of no script, e.g. only emoji). ``s`` is VADER's compound score of the whole text,
i.e. plain VADER, which reads emoji itself. Weibo / RedNote bracket stickers ([赞R], [泪] …, below)
that VADER cannot read are taken out and their values added to VADER's raw sum, doubled onto its
−4 … 4 word scale, before VADER's own normalisation x/√(x²+15).

Chinese. SnowNLP (trained on product reviews) alone hears little of social text: on human-labelled
Weibo sets it scored macro-F1 0.27–0.44 (three classes). So three readings are combined:
``P`` SnowNLP's P(positive) of the text with its stickers taken out (:mod:`.snownlp_fast`, the same
values); ``W`` the sum of the words of ``data/zh_sentiment_words.toml`` (written for this project:
~320 social-media sentiment words and slang, longest match first, clause by clause; a negator —
不 没 别 … — flips and weakens the next word by :data:`NEGATION_SCALE`, a degree word — 很 太 有点 … —
scales it); ``E`` the stickers' values from ``data/weibo_emoticons.toml`` (Weibo's classic set and
RedNote's R-suffixed stickers, each with its documented polarity; an unlisted one is read through its
name) plus the emoji VADER reads, its raw sum halved onto the level scale. With
``(a, b, c, k) =`` :data:`ZH_WEIGHTS`: ``z = a·(2P−1) + b·tanh(W) + c·tanh(E) + k`` and ``s = tanh(z/2)``.
Mixed text: each sentence is read by its own script's reading (a mixed sentence by both, the more
emphatic counts) and put on the level axis with that script's cut-offs; the text takes its most
emphatic sentence's position (a note's sentiment often sits in one sentence among neutral ones).

Levels. ``s`` is cut into −2 … 2 at per-script cut-offs (:data:`CUTOFFS`); a text exactly on a cut-off
takes the level farther from 0, as VADER's own thresholds do.

Calibration (``scripts/calibrate_lexicon.py``). The real-text sets (docs/real_text.md) have three
classes, no intensity, so they set the inner cut-offs (−1|0, 0|1) and the Chinese weights; the
bundled corpus's planted five levels set only the outer ones (−2|−1, 1|2).
- English inner cut-offs are VADER's published ±0.05: tuning them on the English train halves
  (SemEval tweets, GoEmotions) won on one set and lost on another, so English three-class labels are
  exactly plain VADER's.
- :data:`ZH_WEIGHTS`: logistic regression of positive vs negative (each set's two classes weighted
  alike) on the TRAIN halves of the three human-annotated Weibo sets (SMP2020-EWECT usual and virus,
  NLPCC 2014); the Chinese inner cut-offs maximise their mean macro-F1 (grid 0.05). The fit says that
  without a sentiment word, sticker or emoji SnowNLP alone moves a text from neutral to negative, never
  to positive (a + k < 0). Macro-F1, this / plain SnowNLP, on the train halves of SMP usual, SMP virus,
  NLPCC 2014: 0.62 / 0.39, 0.63 / 0.44, 0.82 / 0.62; of the two flagged sets it was not fitted on
  (CLUE emotion, semi-automatic labels; ChnSentiCorp hotel reviews): 0.66 / 0.56, 0.76 / 0.72. On the
  TEST halves (benchmarks/real_text.py), same order: 0.60 / 0.39, 0.63 / 0.44, 0.47 / 0.27,
  0.64 / 0.58, 0.81 / 0.70.
- Outer cut-offs: coordinate search maximising exact agreement (:func:`calibrate_cutoffs`, the inner
  ones held) on the planted sentiment of the corpus generated with ``--scale small --seed 1`` (a
  different seed from the one the pipeline is evaluated on). Only the planted labels rank intensity
  here; nothing real validates them.
Exact five-level agreement with the planted level on the bundled corpus (seed 0), notes / comments:
en 0.59 / 0.69, zh 0.40 / 0.56, mixed 0.51 / 0.63 (the reading before, fitted to that corpus:
0.75 / 0.67, 0.26 / 0.44, 0.56 / 0.56). English notes lose because their inner cut-offs are now
VADER's: the corpus's neutral English notes carry words such as "free", "easy" or "ban" that VADER's ±0.05 reads
as sentiment and the old cut-offs (−0.275, 0.45), fitted to those templates, did not.

Probabilities. A lexicon has no class probabilities. The five columns are a documented stand-in:
``s`` is mapped piecewise-linearly onto the level axis (cut-offs → half-way points between levels)
and spread with a Gaussian kernel (σ = 0.5 level), so confidence is ≈ 0.79 in the middle of a level
and ≈ 0.49 on a cut-off. They rank texts; they are not calibrated.

Speed. SnowNLP runs through :mod:`.snownlp_fast`; the lexicon scan costs less than the per-sentence
SnowNLP and VADER calls it replaced. In one process (memo cleared): bundled-corpus comments ~8,600/s
(~8,900 before: the same within noise), notes ~6,700/s (~4,900), real Weibo posts ~1,500/s (~890).
Batches of at least :data:`POOL_MIN_DOCUMENTS` texts are scored in a spawned process pool (see
:func:`pool_workers`, ``REDNOTE_LEXICON_WORKERS``); order and values unchanged.
"""

import math
import multiprocessing
import os
import re
import tomllib
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from importlib.metadata import version
from importlib.resources import files

import numpy as np

from rednote_dagster.lib.labelling import snownlp_fast
from rednote_dagster.lib.labelling.base import LabelBackend, Prediction
from rednote_dagster.lib.labelling.scheme import Document, LabelScheme
from rednote_dagster.lib.labelling.text import script_of, without_markup
from rednote_dagster.lib.progress import track

# Cut-offs on s between levels −2|−1, −1|0, 0|1, 1|2 per reading (see module docstring).
CUTOFFS: dict[str, tuple[float, float, float, float]] = {
    "en": (-0.775, -0.05, 0.05, 0.85),
    "zh": (-0.9, -0.4, 0.0, 0.85),
}
# (a, b, c, k) of z = a·(2P−1) + b·tanh(W) + c·tanh(E) + k (see module docstring)
ZH_WEIGHTS: tuple[float, float, float, float] = (0.564, 2.086, 1.642, -0.664)
NEGATION_SCALE = 0.75  # a negated word counts −0.75 × its value (VADER's N_SCALAR is 0.74)
NEGATION_REACH = 3  # characters after a negator or degree word within which it still applies
STICKER_TO_VADER = 2.0  # level scale (−2 … 2) → VADER's word scale (−4 … 4)
VADER_ALPHA = 15  # VADER's normalisation constant: compound = x / √(x² + 15)
KERNEL_SIGMA = 0.5
_SENTENCE_END = re.compile(r"(?<=[.!?。！？\n])")
_STICKER = re.compile(r"\[([^\[\]\s]{1,12})\]")
_RUN = re.compile(r"(.)\1{2,}")  # 哈哈哈哈 → 哈哈
_CLAUSE = re.compile(r"[，,。.！!？?；;：:、…～~\s]+")
_LATIN = re.compile(r"[a-z]")
# Smaller batches are scored in this process: each spawned worker needs ~4 s to load SnowNLP's
# models, more than a pool saves below ~30-70k texts at ~8000 texts/s per process (measured).
POOL_MIN_DOCUMENTS = 50_000


class SocialLexicon:
    """The Chinese word table and the sticker table of ``data/`` (see their headers)."""

    def __init__(self):
        data = files(__package__) / "data"
        words = tomllib.loads((data / "zh_sentiment_words.toml").read_text(encoding="utf-8"))
        self.stickers: dict[str, float] = {
            k: float(v)
            for k, v in tomllib.loads((data / "weibo_emoticons.toml").read_text(encoding="utf-8"))["emoticons"].items()
        }
        # one table, longest match first: ("word", value) | ("degree", factor) | ("negator", 0)
        self.entries: dict[str, tuple[str, float]] = {w.lower(): ("word", float(v)) for w, v in words["words"].items()}
        for w, v in words["degree"].items():
            self.entries.setdefault(w, ("degree", float(v)))
        for w in words["negators"]:
            self.entries.setdefault(w, ("negator", 0.0))
        self.longest = max(map(len, self.entries))
        self.first = frozenset(w[0] for w in self.entries)

    def _match(self, clause: str, i: int) -> tuple[str, float, int] | None:
        """The longest entry starting at clause[i] (a Latin entry only as a whole word): kind, value, length."""
        if clause[i] not in self.first:
            return None
        n = len(clause)
        for length in range(min(self.longest, n - i), 0, -1):
            entry = self.entries.get(clause[i : i + length])
            if entry is None:
                continue
            if _LATIN.match(clause[i]) and (
                (i > 0 and _LATIN.match(clause[i - 1])) or (i + length < n and _LATIN.match(clause[i + length]))
            ):
                continue
            return entry[0], entry[1], length
        return None

    def words(self, text: str) -> tuple[float, int]:
        """(W, number of sentiment words read) of a Chinese text."""
        total, hits = 0.0, 0
        for clause in _CLAUSE.split(_RUN.sub(r"\1\1", text.lower())):
            negated, degree, since = False, 1.0, 0
            i = 0
            while i < len(clause):
                match = self._match(clause, i)
                if match is None:
                    i += 1
                    since += 1
                    if since > NEGATION_REACH:
                        negated, degree = False, 1.0
                    continue
                kind, value, length = match
                i += length
                if kind == "negator":
                    negated, since = not negated, 0
                elif kind == "degree":
                    degree, since = degree * value, 0
                else:
                    if value:
                        total += value * degree * (-NEGATION_SCALE if negated else 1.0)
                        hits += 1
                    negated, degree, since = False, 1.0, 0
        return total, hits

    def sticker_value(self, name: str) -> float | None:
        """A sticker's level value: listed, listed without its R/H suffix, or read through its name."""
        for key in (name, name.lower()):
            if key in self.stickers:
                return self.stickers[key]
        bare = name[:-1] if name[-1:] in ("R", "H") else name
        if bare in self.stickers:
            return self.stickers[bare]
        total, hits = self.words(bare)
        return max(-2.0, min(2.0, total)) if hits else None

    def split_stickers(self, text: str) -> tuple[list[float], str]:
        """(the values of the stickers found, the text with those stickers replaced by a space)."""
        values: list[float] = []

        def take(match: re.Match) -> str:
            value = self.sticker_value(match.group(1))
            if value is None:
                return match.group(0)
            values.append(value)
            return " "

        rest = _STICKER.sub(take, text) if "[" in text else text
        return values, rest


def script_without_stickers(text: str) -> str:
    """script_of the text, bracket stickers left out: [哭惹R] in an English comment is not Chinese."""
    return script_of(_STICKER.sub(" ", text) if "[" in text else text)


def vader_raw(compound: float) -> float:
    """VADER's raw valence sum behind a compound score (the inverse of x / √(x² + 15))."""
    c = max(-0.9999, min(0.9999, compound))
    return c * math.sqrt(VADER_ALPHA / (1 - c * c))


def vader_compound(raw: float) -> float:
    return raw / math.sqrt(raw * raw + VADER_ALPHA)


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


def _pool_position(text: str) -> float:
    return _pool_backend.position(text)


def level_position(s: float, cutoffs: Sequence[float]) -> float:
    """Map s ∈ [−1, 1] onto the level axis [−2.5, 2.5]: cut-off i lands on −1.5 + i."""
    xs = [-1.0, *cutoffs, 1.0]
    ys = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]
    return float(np.interp(s, xs, ys))


def level_of(position: float) -> int:
    """The level (−2 … 2) of a position on the level axis; on a cut-off, the level farther from 0."""
    return -2 + sum(position > q or (position == q and q > 0) for q in (-1.5, -0.5, 0.5, 1.5))


def soft_levels(position: float, sigma: float = KERNEL_SIGMA) -> list[float]:
    weights = [math.exp(-((position - k) ** 2) / (2 * sigma**2)) for k in range(-2, 3)]
    total = sum(weights)
    return [w / total for w in weights]


def levels_at(scores: Sequence[float], cutoffs: Sequence[float]) -> np.ndarray:
    """level_of(level_position(s, cutoffs)) for many s at once: on a cut-off, the level farther from 0."""
    s = np.asarray(scores, float)
    c = cutoffs
    return (s > c[0]).astype(int) + (s > c[1]) + (s >= c[2]) + (s >= c[3]) - 2


def calibrate_cutoffs(
    scores: Sequence[float],
    levels: Sequence[int],
    min_gap: float = 0.15,
    rounds: int = 5,
    fixed: dict[int, float] | None = None,
):
    """Cut-offs on scores in [−1, 1] that maximise exact agreement with levels −2 … 2. ``fixed``: cut-off
    index → value held, not searched; a searched one keeps ``min_gap`` from its neighbours."""
    s, y = np.asarray(scores, float), np.asarray(levels, int)
    fixed = fixed or {}
    grid = np.linspace(-1, 1, 81)
    cuts = np.array([fixed.get(i, c) for i, c in enumerate((-0.6, -0.2, 0.3, 0.7))])
    best = (levels_at(s, cuts) == y).mean()
    for _ in range(rounds):
        for i in (i for i in range(4) if i not in fixed):
            for q in grid:
                trial = cuts.copy()
                trial[i] = q
                if any(
                    abs(trial[j] - q) < min_gap - 1e-12 or (trial[j] - q) * (j - i) < 0
                    for j in (i - 1, i + 1)
                    if 0 <= j < 4
                ):
                    continue
                acc = (levels_at(s, trial) == y).mean()
                if acc > best:
                    best, cuts = acc, trial
    return tuple(float(c) for c in cuts), float(best)


@cache
def social_lexicon() -> SocialLexicon:
    return SocialLexicon()


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
        self.lexicon = social_lexicon()
        self.model_id = "vaderSentiment+snownlp+social-lexicon"
        self.model_revision = f"vader-{version('vaderSentiment')}+snownlp-{version('snownlp')}+lexicon-v4"

    def en_score(self, text: str) -> float:
        """s of the English reading: VADER's compound, stickers added to its raw sum."""
        values, rest = self.lexicon.split_stickers(text)
        compound = self._vader.polarity_scores(rest)["compound"]
        if not values:
            return compound
        return vader_compound(vader_raw(compound) + STICKER_TO_VADER * sum(values))

    def zh_features(self, text: str) -> tuple[float, float, float]:
        """(2P − 1, tanh W, tanh E) of the Chinese reading (module docstring)."""
        values, rest = self.lexicon.split_stickers(text)
        words, _ = self.lexicon.words(rest)
        emoji = vader_raw(self._vader.polarity_scores(rest)["compound"]) / STICKER_TO_VADER
        return 2 * self._snownlp(rest) - 1, math.tanh(words), math.tanh(sum(values) + emoji)

    def zh_score(self, text: str) -> float:
        a, b, c, k = ZH_WEIGHTS
        snow, words, marks = self.zh_features(text)
        return math.tanh((a * snow + b * words + c * marks + k) / 2)

    def _sentence_position(self, sentence: str) -> float:
        script = script_without_stickers(sentence)
        readings = {"zh": ("zh",), "mixed": ("zh", "en")}.get(script, ("en",))
        positions = [
            level_position(self.zh_score(sentence) if r == "zh" else self.en_score(sentence), CUTOFFS[r])
            for r in readings
        ]
        return max(positions, key=abs)

    def position(self, text: str) -> float:
        """The text's place on the level axis [−2.5, 2.5] (cut-offs at −1.5 … 1.5)."""
        text = without_markup(text)
        if script_without_stickers(text) != "mixed":
            return self._sentence_position(text)
        best = 0.0
        for sentence in [s for s in _SENTENCE_END.split(text) if s.strip()] or [text]:
            position = self._sentence_position(sentence)
            if abs(position) > abs(best):
                best = position
        return best

    def score(self, text: str) -> tuple[str, float]:
        """(script of the text, its position on the level axis)."""
        return script_without_stickers(without_markup(text)), self.position(text)

    def _positions(self, texts: list[str]) -> list[float]:
        workers = min(pool_workers(self.workers), len(texts))
        desc = f"lexicon {self.scheme.name}"
        if len(texts) < POOL_MIN_DOCUMENTS or workers <= 1:
            return [self.position(text) for text in track(texts, len(texts), desc)]
        # spawn, not fork: the parent may hold torch / OpenMP threads
        with ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"), initializer=_pool_init, initargs=(self.scheme,)
        ) as pool:
            scored = pool.map(_pool_position, texts, chunksize=max(1, min(500, len(texts) // (workers * 8))))
            return list(track(scored, len(texts), desc))

    def _predict(self, documents: list[Document]) -> list[Prediction]:
        out = []
        for position in self._positions([document.text for document in documents]):
            probabilities = soft_levels(position)
            best = level_of(position) + 2
            out.append(
                Prediction(code=self.scheme.codes[best], confidence=probabilities[best], probabilities=probabilities)
            )
        return out
