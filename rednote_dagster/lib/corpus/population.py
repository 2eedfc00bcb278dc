"""Creators, their per-phase activity and influence tiers, and the notes placed on the timeline.

Order of planting (each step only uses what the previous ones fixed):
1. which users post in which phase, and whether they are *active* there (>= 3 notes) or not;
2. a latent influence per (user, phase): a persistent trait plus phase noise, plus a jump for a
   few Pre-Ban low users in the Surge ("risers"); the top 25 % of active users by it are `high`;
3. exact note counts per (user, phase) - high users post several times more - summing to the
   phase totals of the daily timeline;
4. notes matched to the exact daily targets, each user's notes clustered around a personal date;
5. account creation times (before the first note) and ids.
"""

from __future__ import annotations

import datetime as dt
import math
import random

from rednote_dagster.lib.apportion import largest_remainder
from rednote_dagster.lib.phases import PHASES, PhaseBoundaries

from . import names
from .ids import IdFactory
from .model import Note, User
from .params import Knobs, ScaleParams
from .timeline import HOUR_MS, ny_ms

BOUNDS = PhaseBoundaries()
# relative posting weight per New York hour (US users post mostly in the afternoon and evening)
HOUR_WEIGHTS = (
    0.9,
    0.6,
    0.4,
    0.3,
    0.2,
    0.2,
    0.3,
    0.6,
    0.9,
    1.1,
    1.2,
    1.3,
    1.4,
    1.4,
    1.4,
    1.5,
    1.6,
    1.8,
    2.0,
    2.2,
    2.4,
    2.4,
    2.1,
    1.5,
)
_HOUR_CUM = [sum(HOUR_WEIGHTS[: i + 1]) for i in range(24)]
MIGRATION_WEEK = (dt.date(2025, 1, 13), dt.date(2025, 1, 20))


def build_users(scale: ScaleParams, knobs: Knobs, rng: random.Random) -> list[User]:
    users = [User(i, rng.gauss(0.0, 1.0)) for i in range(scale.n_creators)]
    n_viral = max(1, round(scale.n_creators * knobs.viral_users_per_1000 / 1000))
    for user in sorted(users, key=lambda u: -u.z)[:n_viral]:
        user.viral = True
    for user in users:
        _fill_profile(user, rng)
    return users


def _fill_profile(user: User, rng: random.Random) -> None:
    user.nickname = names.creator_nickname(rng)
    user.gender = rng.choices(("女", "男", None), weights=(0.55, 0.35, 0.10))[0]
    user.bio = names.creator_bio(rng)
    user.location_tag = rng.choice(names.US_LOCATION_TAGS)
    user.info_tag = rng.choice(names.AGE_TAGS)
    user.ip_location = "美国" if rng.random() < 0.95 else rng.choice(("加拿大", "日本", "新加坡", "英国"))
    user.follows = int(math.exp(rng.gauss(4.2, 0.9)))


def plan_activity(users: list[User], phase_totals: dict[str, int], knobs: Knobs, rng: random.Random) -> None:
    """Steps 1-3: participation, latent influence and tiers, exact note counts per phase."""
    posts, active = _participation(users, knobs, rng)
    jumps: dict[int, float] = {}  # user idx -> influence gained from the Surge on
    for phase in PHASES:
        if phase == "surge":
            jumps = _plant_risers(users, active, knobs, rng)
        for user in users:
            user.latent[phase] = user.z + jumps.get(user.idx, 0.0) + rng.gauss(0.0, knobs.latent_phase_noise)
        _assign_tiers(users, phase, active[phase], knobs)
        _assign_counts(users, phase, posts[phase], active[phase], phase_totals[phase], knobs, rng)


def _participation(users: list[User], knobs: Knobs, rng: random.Random) -> tuple[dict, dict]:
    posts = {p: [False] * len(users) for p in PHASES}
    active = {p: [False] * len(users) for p in PHASES}
    for user in users:
        for phase in PHASES:
            if rng.random() < knobs.p_post[phase]:
                posts[phase][user.idx] = True
                active[phase][user.idx] = rng.random() < knobs.p_active_given_post[phase]
        if not any(posts[p][user.idx] for p in PHASES):
            posts["surge"][user.idx] = True  # every creator has at least one note
    for phase in PHASES:  # a phase always needs active users to rank
        if not any(active[phase]):
            idx = next(i for i, p in enumerate(posts[phase]) if p)
            active[phase][idx] = True
    return posts, active


def _plant_risers(
    users: list[User], active: dict[str, list[bool]], knobs: Knobs, rng: random.Random
) -> dict[int, float]:
    """Some Pre-Ban low users gain influence in the Surge (and keep it): Feng et al. Fig. 3."""
    jumps = {}
    for user in users:
        stays = active["pre_ban"][user.idx] and active["surge"][user.idx]
        if stays and user.tier["pre_ban"] == "low" and rng.random() < knobs.riser_prob:
            jumps[user.idx] = rng.uniform(*knobs.riser_jump)
    return jumps


def _assign_tiers(users: list[User], phase: str, active: list[bool], knobs: Knobs) -> None:
    ranked = sorted((u for u in users if active[u.idx]), key=lambda u: (-u.latent[phase], u.idx))
    n_high = int(len(ranked) * knobs.high_share + 0.5)
    for user in users:
        user.tier[phase] = "inactive"
    for rank, user in enumerate(ranked):
        user.tier[phase] = "high" if rank < n_high else "low"


def _assign_counts(users, phase, posts, active, total, knobs: Knobs, rng: random.Random) -> None:
    casual = [u for u in users if posts[u.idx] and not active[u.idx]]
    actives = [u for u in users if active[u.idx]]
    casual_counts = {u.idx: rng.choice((1, 2)) for u in casual}
    spare = total - sum(casual_counts.values()) - knobs.active_min_notes * len(actives)
    for u in reversed(casual):  # a tiny phase cannot afford every casual poster
        if spare >= 0:
            break
        spare += casual_counts.pop(u.idx)
    if spare < 0:
        raise ValueError(f"{phase}: {total} notes cannot give {len(actives)} active users 3 notes each")
    mean_latent = sum(u.latent[phase] for u in actives) / len(actives)
    weights = [
        math.exp(
            math.log(knobs.high_activity_ratio) * (u.tier[phase] == "high")
            + 0.25 * (u.latent[phase] - mean_latent)
            + rng.gauss(0.0, knobs.activity_sd)
        )
        for u in actives
    ]
    extra = largest_remainder(spare, weights)
    for user in users:
        user.n_notes[phase] = casual_counts.get(user.idx, 0)
    for user, n in zip(actives, extra):
        user.n_notes[phase] = knobs.active_min_notes + n


def place_notes(users: list[User], targets: list[tuple[dt.date, int]], rng: random.Random) -> list[Note]:
    """Step 4: one Note per planted slot, on exactly the targeted New York days."""
    notes: list[Note] = []
    for phase in PHASES:
        day_slots = [d for d, n in targets if BOUNDS.phase_of(d) == phase for _ in range(n)]
        keyed = []
        for user in users:
            n = user.n_notes[phase]
            if n == 0:
                continue
            center, spread = rng.random(), rng.uniform(0.05, 0.3)
            keyed.extend((center + spread * rng.gauss(0.0, 1.0), user.idx) for _ in range(n))
        keyed.sort()
        if len(keyed) != len(day_slots):
            raise AssertionError(f"{phase}: {len(keyed)} slots for {len(day_slots)} notes")
        for (_, uidx), day in zip(keyed, day_slots):
            notes.append(Note(users[uidx], ny_ms(day, _second_of_day(rng)), day, phase))
    notes.sort(key=lambda n: (n.publish_ms, n.user.idx))
    for note in notes:
        note.tier = note.user.tier[note.phase]
        note.user.notes.append(note)
    return notes


def _second_of_day(rng: random.Random) -> int:
    hour = rng.choices(range(24), cum_weights=_HOUR_CUM)[0]
    return hour * 3600 + rng.randrange(3600)


def assign_ids(users: list[User], notes: list[Note], knobs: Knobs, rng: random.Random, ids: IdFactory) -> None:
    """Step 5: accounts are created before their first note, mostly in the migration week."""
    lo = ny_ms(MIGRATION_WEEK[0])
    hi = ny_ms(MIGRATION_WEEK[1], 86_399)
    early_lo, early_hi = ny_ms(dt.date(2023, 6, 1)), ny_ms(dt.date(2024, 12, 31))
    for user in users:
        user.first_note_ms = user.notes[0].publish_ms
        latest = user.first_note_ms - rng.randint(1, 72) * HOUR_MS
        early = rng.random() < knobs.early_account_share
        created = rng.randint(early_lo, early_hi) if early else rng.randint(lo, hi)
        user.created_ms = min(created, latest) // 1000 * 1000 + rng.randrange(1000)
        user.user_id = ids.make(user.created_ms)
    for idx, note in enumerate(notes):
        note.idx = idx
        note.note_id = ids.make(note.publish_ms)
