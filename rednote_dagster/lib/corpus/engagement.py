"""Likes, saves, shares, comment totals and followers, driven by the planted latent influence.

Per (user, phase) a log-engagement *level* = tier baseline + slope * (latent - tier mean) + modest
noise; the tier baseline is what separates high from low users, so an entropy-weighted score over
followers, likes, comments and saves ranks planted high users on top. Each note draws its final
("potential") counts around its author's level. A crawl shows a growing fraction of the final count
(`shown`); per (phase, tier) the finals are rescaled until the mean *observed at the note's last
crawl* equals the planted target (Pre-Ban: high 1,600 likes, low 23.5).
"""

from __future__ import annotations

import math
import random

from rednote_dagster.lib.phases import PHASES

from .content import tier_group
from .model import Note, User
from .params import Knobs, ScaleParams
from .timeline import DAY_MS, HOUR_MS

_BASE_LEVEL = {"high": 6.6, "low": 2.7}  # rough log-likes; calibration sets the final scale


def growth(age_ms: int, tau_hours: float) -> float:
    """Share of the final count visible `age_ms` after publication.

    A fast rise (15 % at once, ~88 % after 3 days) and a slow tail: the last ~10 % trickles in
    over two months, so a June re-crawl shows more than the March crawl of the same note.
    """
    if age_ms >= 60 * DAY_MS:
        return 1.0
    age = max(0, age_ms)
    fast = 1.0 - 0.85 * math.exp(-age / (tau_hours * HOUR_MS))
    return fast * (1.0 - 0.1 * (1.0 - age / (60 * DAY_MS)))


def shown(final: int, publish_ms: int, crawl_ms: int, tau_hours: float) -> int:
    return int(final * growth(crawl_ms - publish_ms, tau_hours) + 0.5)


def plant_levels(users: list[User], knobs: Knobs, rng: random.Random) -> None:
    for phase in PHASES:
        means = {}
        for group in ("high", "low"):
            latents = [u.latent[phase] for u in users if tier_group(u.tier[phase]) == group and u.n_notes[phase]]
            means[group] = sum(latents) / len(latents) if latents else 0.0
        for user in users:
            group = tier_group(user.tier[phase])
            user.level[phase] = (
                _BASE_LEVEL[group]
                + knobs.latent_slope * (user.latent[phase] - means[group])
                + rng.gauss(0.0, knobs.user_level_sd)
                + (knobs.viral_boost if user.viral else 0.0)
            )


def plant_note_engagement(notes: list[Note], knobs: Knobs, rng: random.Random) -> None:
    for note in notes:
        likes = math.exp(note.user.level[note.phase] + rng.gauss(0.0, knobs.note_level_sd))
        note.likes = max(0, int(likes))
        note.null_interact = rng.random() < knobs.null_interact_prob
    _calibrate_likes(notes, knobs)
    for note in notes:
        note.collects = int(note.likes * knobs.collect_ratio * math.exp(rng.gauss(0.0, 0.5)) + 0.5)
        note.shares = int(note.likes * knobs.share_ratio * math.exp(rng.gauss(0.0, 0.6)) + 0.5)


def _last_seen(note: Note, knobs: Knobs) -> int:
    return shown(note.likes, note.publish_ms, max(note.crawl_times), knobs.growth_tau_hours)


def _calibrate_likes(notes: list[Note], knobs: Knobs) -> None:
    for _ in range(4):
        for phase in PHASES:
            for group in ("high", "low"):
                # the paper's "low" group excludes inactive users; inactive notes follow the low factor
                target_cell = [n for n in notes if n.phase == phase and n.tier == group]
                if not target_cell:
                    continue
                mean = sum(_last_seen(n, knobs) for n in target_cell) / len(target_cell)
                factor = knobs.like_means[phase][group] / max(mean, 1e-9)
                for n in notes:
                    if n.phase == phase and tier_group(n.tier) == group:
                        n.likes = max(0, int(n.likes * factor + 0.5))


def plant_comment_totals(notes: list[Note], scale: ScaleParams, knobs: Knobs, rng: random.Random) -> None:
    """Top-level comment totals per note, and how many get crawled (<= 50) - exactly the scale's total."""
    noise = [math.exp(rng.gauss(0.0, 0.5)) for _ in notes]
    cap = knobs.max_top_comments

    def crawled(ratio: float) -> int:
        return sum(min(cap, int(n.likes * ratio * z + 0.5)) for n, z in zip(notes, noise))

    lo, hi = 0.0, 1.0
    while crawled(hi) < scale.n_top_comments:
        hi *= 2.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if crawled(mid) < scale.n_top_comments:
            lo = mid
        else:
            hi = mid
    for note, z in zip(notes, noise):
        note.top_total = int(note.likes * hi * z + 0.5)
        note.k_top = min(cap, note.top_total)
    diff = scale.n_top_comments - sum(n.k_top for n in notes)
    while diff != 0:  # exact total: nudge random notes by one comment
        note = notes[rng.randrange(len(notes))]
        if diff > 0 and note.k_top < cap:
            note.k_top += 1
            note.top_total = max(note.top_total, note.k_top)
            diff -= 1
        elif diff < 0 and note.k_top > 0:
            note.k_top -= 1
            diff += 1


def plant_followers(users: list[User], knobs: Knobs, rng: random.Random) -> None:
    """Followers follow the user's realised like level (mean log-likes over all their notes)."""
    for user in users:
        level = sum(math.log1p(n.likes) for n in user.notes) / len(user.notes)
        user.followers = int(math.exp(knobs.followers_offset + level + rng.gauss(0.0, knobs.followers_sd)))


def followers_at(user: User, crawl_ms: int) -> int:
    """Followers grow after the account opens and plateau about two months later."""
    age_days = max(0.0, (crawl_ms - user.created_ms) / DAY_MS)
    return int(user.followers * (0.1 + 0.9 * min(1.0, age_days / 60.0) ** 0.7))


def interaction_at(user: User, crawl_ms: int, tau_hours: float) -> int:
    """获赞与收藏: likes + saves received by the user's notes published before the crawl."""
    total = 0
    for note in user.notes:
        if note.publish_ms >= crawl_ms:
            break
        total += shown(note.likes + note.collects, note.publish_ms, crawl_ms, tau_hours)
    return total
