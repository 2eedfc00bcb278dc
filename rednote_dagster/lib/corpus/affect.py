"""Comment emotion and stance (Li et al. 2025) and the stage markers of Jing & Zhang (2026).

Everything here draws from streams of its own ("affect", "note_stages", "comment_stages"), so
topics, sentiment, commenters, timing and language are exactly what they are without it; only
the text changes.

* Stance of a comment ~ its commenter's group (natives lean Pro-China, refugees split), tilted
  towards each group's own side in political threads and towards Pro-Foreign behind negative
  comments (Li et al.: Pro-Foreign users show the strongest negative emotions).
* Emotion of a comment ~ its planted sentiment level - only emotions that level can carry, so the
  sentiment stays as planted - tilted by the note's topic group and the comment's stance.
* Stage markers: a note carries a stage with probability prevalence(stage, New York date) ×
  affinity(stage, topic); the sentence naming it goes at the end of the body, and half the time
  the stage's hashtag too. A comment repeats a marker its note carries (``stage_comment_echo``)
  or brings a stage up by itself at a fraction of the day's prevalence.
"""

from __future__ import annotations

import datetime as dt
import random

from rednote_dagster.lib.phases import ny_date_of_ms
from rednote_dagster.lib.taxonomy import topic_group

from .content import tag_line
from .model import Comment, Note
from .params import Knobs
from .tables import table
from .text import TextComposer


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    labels = list(weights)
    return rng.choices(labels, weights=[weights[label] for label in labels])[0]


class AffectPlanter:
    def __init__(self, knobs: Knobs, rng: random.Random):
        self.knobs = knobs
        self.rng = rng
        missing = [
            (emotion, level)
            for level, weights in knobs.emotion_by_level.items()
            for emotion in weights
            if any(level not in bank.get(emotion, {}) for bank in table("comments")["emotion"].values())
        ]
        if missing:
            raise ValueError(
                f"no comment words for emotion / level {missing}: add them to data/comments.toml or drop them"
            )

    def stance_weights(self, group: str, code: str, sentiment: int) -> dict[str, float]:
        knobs = self.knobs
        weights = dict(knobs.stance_base[group])
        if topic_group(code) == "political":
            weights["pro-china" if group == "native" else "pro-foreign"] *= knobs.stance_political_factor
        if sentiment < 0:
            weights["pro-foreign"] *= knobs.stance_negative_foreign_factor
        return weights

    def emotion_weights(self, sentiment: int, stance: str, code: str) -> dict[str, float]:
        knobs = self.knobs
        by_topic = knobs.emotion_topic_factor[topic_group(code)]
        by_stance = knobs.emotion_stance_factor[stance]
        return {
            emotion: weight * by_topic.get(emotion, 1.0) * by_stance.get(emotion, 1.0)
            for emotion, weight in knobs.emotion_by_level[sentiment].items()
        }

    def plant(self, comment: Comment) -> None:
        code = comment.note.code
        comment.stance = _weighted(self.rng, self.stance_weights(comment.group, code, comment.sentiment))
        comment.emotion = _weighted(self.rng, self.emotion_weights(comment.sentiment, comment.stance, code))


class StageCurves:
    """Prevalence of each stage per New York date: linear between the knots of ``stage_prevalence``."""

    def __init__(self, knobs: Knobs):
        self.stages: tuple[str, ...] = tuple(knobs.stage_prevalence)
        self._knots = {
            stage: [(dt.date.fromisoformat(day), p) for day, p in knots]
            for stage, knots in knobs.stage_prevalence.items()
        }
        self._cache: dict[tuple[str, dt.date], float] = {}

    def at(self, stage: str, day: dt.date) -> float:
        key = (stage, day)
        if key not in self._cache:
            self._cache[key] = self._interpolate(self._knots[stage], day)
        return self._cache[key]

    @staticmethod
    def _interpolate(knots: list[tuple[dt.date, float]], day: dt.date) -> float:
        if day <= knots[0][0]:
            return knots[0][1]
        for (d0, p0), (d1, p1) in zip(knots, knots[1:]):
            if day <= d1:
                return p0 + (p1 - p0) * (day - d0).days / (d1 - d0).days
        return knots[-1][1]


def plant_note_stages(notes: list[Note], knobs: Knobs, curves: StageCurves, composer: TextComposer) -> None:
    """Stage sentences (and tags) in the notes' bodies; ``composer`` has its own stream."""
    rng = composer.rng
    for note in notes:
        stages = tuple(
            stage
            for stage in curves.stages
            if rng.random() < curves.at(stage, note.ny_date) * knobs.stage_topic_affinity[stage].get(note.code, 0.0)
        )
        if not stages:
            continue
        body = note.desc[: len(note.desc) - len(tag_line(note.tags))]
        for stage in stages:
            body += ("" if note.lang == "zh" else " ") + composer.note_stage(stage, note.lang)
            if rng.random() < knobs.stage_tag_prob:
                tag = rng.choice(table("notes")["hashtags"]["stage"][stage])
                if tag not in note.tags:
                    note.tags.append(tag)
        note.desc = body + tag_line(note.tags)
        note.stages = stages


class CommentStages:
    def __init__(self, knobs: Knobs, curves: StageCurves, rng: random.Random):
        self.knobs = knobs
        self.curves = curves
        self.rng = rng

    def draw(self, note: Note, created_ms: int) -> tuple[str, ...]:
        day = ny_date_of_ms(created_ms)
        knobs, curves = self.knobs, self.curves
        return tuple(
            stage
            for stage in curves.stages
            if self.rng.random()
            < (
                knobs.stage_comment_echo
                if stage in note.stages
                else knobs.stage_comment_background * curves.at(stage, day)
            )
        )
