"""Comment threads: who comments, when, in which language, with what feeling.

Each note gets exactly `k_top` top-level comments (its crawled share, <= 50), all created before
the note's last crawl so every planted comment is seen at least once. About 10 % of top-level
comments get 1-3 replies (some replying to a reply); the note's author writes many of them.
RedNote natives comment mostly in Chinese from a Chinese province, refugees mostly in English.
Comment sentiment is tilted towards the note's sentiment (natives lean welcoming). Emotion,
stance and stage markers come from `affect.py`, on streams of their own.
"""

from __future__ import annotations

import datetime as dt
import math
import random

from . import names
from .affect import AffectPlanter, CommentStages
from .content import LEVELS, tilted
from .ids import IdFactory, avatar_url
from .model import Comment, Commenter, Note, User
from .params import Knobs, ScaleParams
from .text import TextComposer
from .timeline import HOUR_MS, ny_ms

_LANGS = {"native": (("zh", "mixed", "en"), (0.86, 0.09, 0.05)), "foreign": (("en", "mixed", "zh"), (0.90, 0.05, 0.05))}


class CommenterPool:
    def __init__(self, scale: ScaleParams, rng: random.Random, ids: IdFactory):
        self.rng = rng
        lo, hi = ny_ms(dt.date(2016, 1, 1)), ny_ms(dt.date(2024, 12, 31))
        self.native = [
            self._make(
                ids,
                rng.randint(lo, hi),
                names.native_nickname(rng),
                "native",
                rng.choice(names.CN_PROVINCES) if rng.random() < 0.95 else None,
            )
            for _ in range(scale.native_commenters)
        ]
        flo, fhi = ny_ms(dt.date(2024, 12, 1)), ny_ms(dt.date(2025, 1, 22))
        self.foreign = sorted(
            (
                self._make(
                    ids,
                    rng.randint(flo, fhi),
                    names.foreign_nickname(rng),
                    "foreign",
                    rng.choice(names.FOREIGN_LOCATIONS) if rng.random() < 0.92 else None,
                )
                for _ in range(scale.foreign_commenters)
            ),
            key=lambda c: c.created_ms,
        )
        self._authors: dict[int, Commenter] = {}

    @staticmethod
    def _make(ids: IdFactory, created_ms: int, nickname: str, group: str, ip: str | None) -> Commenter:
        user_id = ids.make(created_ms)
        return Commenter(user_id, created_ms, nickname, avatar_url(user_id), group, ip)

    def pick(self, group: str, at_ms: int) -> Commenter:
        """A commenter of `group` whose account existed at `at_ms`; active users comment more (skew)."""
        pool = self.native if group == "native" else self.foreign
        for _ in range(4):
            candidate = pool[int(len(pool) * self.rng.random() ** 2)]
            if candidate.created_ms < at_ms:
                return candidate
        return self.native[int(len(self.native) * self.rng.random() ** 2)]

    def author(self, user: User) -> Commenter:
        if user.idx not in self._authors:
            self._authors[user.idx] = Commenter(
                user.user_id, user.created_ms, user.nickname, avatar_url(user.user_id), "foreign", user.ip_location
            )
        return self._authors[user.idx]


class CommentPlanter:
    def __init__(
        self,
        knobs: Knobs,
        rng: random.Random,
        ids: IdFactory,
        pool: CommenterPool,
        composer: TextComposer,
        affect: AffectPlanter,
        stages: CommentStages,
    ):
        self.knobs = knobs
        self.rng = rng
        self.ids = ids
        self.pool = pool
        self.composer = composer
        self.affect = affect
        self.stages = stages
        base = knobs.sentiment_base
        # natives lean welcoming; comments echo the note's feeling
        self._probs = {s: tilted(base, max(-1.6, min(1.6, 0.35 + 0.45 * s))) for s in LEVELS}

    def plant(self, notes: list[Note]) -> None:
        for note in notes:
            self._thread(note)

    def _thread(self, note: Note) -> None:
        rng, knobs = self.rng, self.knobs
        last_crawl = max(note.crawl_times)
        window = last_crawl - note.publish_ms - 1000
        offsets = sorted(self._offset(window) for _ in range(note.k_top))
        # the API reports comment times in whole seconds
        roots = [self._comment(note, None, (note.publish_ms + off) // 1000 * 1000) for off in offsets]
        for root in roots:
            thread = [root]
            if rng.random() < knobs.sub_comment_root_share:
                for _ in range(rng.choices((1, 2, 3), weights=(0.6, 0.3, 0.1))[0]):
                    parent = root if rng.random() >= knobs.sub_reply_to_reply else rng.choice(thread)
                    created = (parent.create_ms + 1000 + int(rng.expovariate(1.0 / (6 * HOUR_MS)))) // 1000 * 1000
                    if created >= last_crawl:
                        continue
                    reply = self._comment(note, parent, created)
                    thread.append(reply)
                    root.replies.append(created)
            root.replies.sort()
            note.comments.extend([root] + sorted(thread[1:], key=lambda c: c.create_ms))

    def _offset(self, window: int) -> int:
        """Most comments arrive within hours of publication; a tail spreads over the whole window."""
        rng = self.rng
        if rng.random() < 0.15:
            return rng.randrange(max(1, window))
        tau = 10 * HOUR_MS
        u = rng.random() * (1.0 - math.exp(-window / tau))
        return min(window - 1, int(-tau * math.log(1.0 - u)))

    def _comment(self, note: Note, parent: Comment | None, created: int) -> Comment:
        rng = self.rng
        if parent is not None and rng.random() < self.knobs.author_reply_share:
            commenter = self.pool.author(note.user)
        else:
            group = "native" if rng.random() < self.knobs.native_commenter_share else "foreign"
            commenter = self.pool.pick(group, created)
        comment = Comment(note, parent, created, commenter)
        comment.comment_id = self.ids.make(created)
        anchor = note.sentiment if parent is None else parent.sentiment
        comment.sentiment = rng.choices(LEVELS, weights=self._probs[anchor])[0]
        langs, weights = _LANGS[commenter.group]
        comment.lang = rng.choices(langs, weights=weights)[0]
        self.affect.plant(comment)
        stages = self.stages.draw(note, created)
        comment.content, comment.stages = self.composer.comment(
            note.code, comment.sentiment, comment.lang, comment.emotion, comment.stance, stages
        )
        scale = 0.4 * math.log1p(note.likes) - (1.2 if parent is None else 2.0)
        comment.like_final = max(0, int(math.exp(rng.gauss(scale, 1.2))) - 1)
        comment.has_picture = rng.random() < 0.02
        return comment
