"""What each note is about and how it feels: planted topic, sentiment, language, media, text.

Topics and sentiments are dealt from exact quotas per cell (largest remainder, then shuffled), not
sampled independently, so that the realised shares and means match the planted parameters even at
the small scale: topic mix per (phase, tier) and sentiment per (topic, tier group).
"""

from __future__ import annotations

import math
import random

from rednote_dagster.lib.apportion import largest_remainder
from rednote_dagster.lib.taxonomy import TOPIC_CODES

from .model import Note
from .params import KEYWORDS, Knobs
from .text import TextComposer
from .timeline import HOUR_MS

LEVELS = (-2, -1, 0, 1, 2)
_KEYWORD_WEIGHTS = (0.25, 0.40, 0.20, 0.15)  # tt refugee, TikTok Refugee, Tiktok ban, American Refugee


def tier_group(tier: str) -> str:
    """Users with < 3 notes in a phase (inactive) write like low-influence users."""
    return "high" if tier == "high" else "low"


def tilted(base: tuple[float, ...], mean: float) -> list[float]:
    """P(-2..2) proportional to base * exp(beta * level), with beta solved so the mean is `mean`."""

    def probs(beta: float) -> list[float]:
        w = [b * math.exp(beta * s) for b, s in zip(base, LEVELS)]
        total = sum(w)
        return [x / total for x in w]

    lo, hi = -10.0, 10.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if sum(p * s for p, s in zip(probs(mid), LEVELS)) < mean:
            lo = mid
        else:
            hi = mid
    return probs((lo + hi) / 2)


def deal(n: int, labels: tuple, probs: list[float], rng: random.Random) -> list:
    """Exactly-proportioned labels for n items, shuffled."""
    counts = largest_remainder(n, probs)
    dealt = [label for label, c in zip(labels, counts) for _ in range(c)]
    rng.shuffle(dealt)
    return dealt


def _cells(notes: list[Note], key) -> dict:
    cells: dict = {}
    for note in notes:
        cells.setdefault(key(note), []).append(note)
    return cells


def topic_mix(phase: str, tier: str, knobs: Knobs) -> list[float]:
    base = knobs.topic_mix[tier_group(tier)]
    factor = knobs.phase_topic_factor.get(phase, {})
    weights = [base[c] * factor.get(c, 1.0) for c in TOPIC_CODES]
    total = sum(weights)
    return [w / total for w in weights]


def plant_topics(notes: list[Note], knobs: Knobs, rng: random.Random) -> None:
    for (phase, tier), cell in _cells(notes, lambda n: (n.phase, n.tier)).items():
        for note, code in zip(cell, deal(len(cell), TOPIC_CODES, topic_mix(phase, tier, knobs), rng)):
            note.code = code


def level_counts(n: int, mean: float, base: tuple[float, ...]) -> list[int]:
    """Counts per level (-2..2) for n notes: shaped like the tilted distribution, and summing to
    within half a point of n * mean, so even a 15-note cell has the planted mean (to ±0.5/n)."""
    probs = tilted(base, mean)
    counts = largest_remainder(n, probs)
    target = n * mean
    while True:
        total = sum(c * s for c, s in zip(counts, LEVELS))
        if abs(total - target) <= 0.5 or n == 0:
            return counts
        step = 1 if total < target else -1
        # move one note one level up (or down) from the level most over its expected count
        movable = [i for i in range(5) if counts[i] > 0 and 0 <= i + step < 5]
        i = max(movable, key=lambda j: (counts[j] - n * probs[j], -j * step))
        counts[i] -= 1
        counts[i + step] += 1


def plant_sentiment(notes: list[Note], knobs: Knobs, rng: random.Random) -> None:
    cells = _cells(notes, lambda n: (n.code, tier_group(n.tier)))
    for (code, group), cell in sorted(cells.items()):
        counts = level_counts(len(cell), knobs.sentiment_means[code][group], knobs.sentiment_base)
        dealt = [level for level, c in zip(LEVELS, counts) for _ in range(c)]
        rng.shuffle(dealt)
        for note, level in zip(cell, dealt):
            note.sentiment = level


def plant_surface(notes: list[Note], knobs: Knobs, rng: random.Random, composer: TextComposer) -> None:
    """Language, media type, search keywords, hashtags, title/desc text and edit time."""
    langs = tuple(knobs.note_lang)
    lang_w = [knobs.note_lang[k] for k in langs]
    for note in notes:
        note.lang = rng.choices(langs, weights=lang_w)[0]
        note.type = "video" if rng.random() < knobs.video_share else "normal"
        note.n_images = (
            1 if note.type == "video" else rng.choices(range(1, 10), weights=(30, 15, 15, 10, 8, 6, 5, 4, 7))[0]
        )
        note.keywords = _keywords(note.code, knobs, rng)
        head, body = composer.note_body(note.code, note.sentiment, note.lang)
        note.tags = composer.hashtags(note.code, note.keywords)
        note.desc = body + tag_line(note.tags)
        note.title = head[:64] if rng.random() < knobs.title_share else ""
        note.last_update_ms = _last_update(note.publish_ms, knobs, rng)


def tag_line(tags: list[str]) -> str:
    """The hashtag line MediaCrawler shows at the end of a description ("" without tags)."""
    return "\n" + " ".join(f"#{t}[话题]#" for t in tags) if tags else ""


def _keywords(code: str, knobs: Knobs, rng: random.Random) -> list[str]:
    weights = list(_KEYWORD_WEIGHTS)
    if code == "1a":
        weights[2] *= 3.0  # ban posts are found by the "Tiktok ban" search more often
    chosen = [rng.choices(KEYWORDS, weights=weights)[0]]
    for p in (knobs.extra_keyword_prob, knobs.third_keyword_prob):
        if rng.random() < p:
            extra = rng.choice([k for k in KEYWORDS if k not in chosen])
            chosen.append(extra)
    return [k for k in KEYWORDS if k in chosen]  # search order, so files are deterministic


def _last_update(publish_ms: int, knobs: Knobs, rng: random.Random) -> int:
    if rng.random() < knobs.zero_last_update_prob:
        return 0  # MediaCrawler default when the API omits it
    if rng.random() < 0.7:
        return publish_ms + rng.randint(1, 900) * 1000
    return publish_ms + rng.randint(1, 48) * HOUR_MS
