"""The planted daily note volume (New York dates) and New York clock helpers.

`daily_targets` returns exact integers: they sum to the scale's note total, the peak day holds the
peak count and is the unique maximum, and the trough day holds the trough count and is the strict
minimum of every day after the peak (every other post-peak day has at least trough + 1).
"""

from __future__ import annotations

import datetime as dt
import math
import random

from rednote_dagster.lib.phases import STUDY_TZ

from .params import PEAK_DATE, TIMELINE_END, TIMELINE_START, TROUGH_DATE, Knobs, ScaleParams

DAY_MS = 86_400_000
HOUR_MS = 3_600_000


def ny_ms(day: dt.date, seconds_into_day: int = 0) -> int:
    """Epoch ms of a New York wall-clock time (seconds after local midnight; DST-aware)."""
    hours, rest = divmod(seconds_into_day, 3600)
    local = dt.datetime(day.year, day.month, day.day, hours, rest // 60, rest % 60, tzinfo=STUDY_TZ)
    return int(local.timestamp()) * 1000


def parse_ny(text: str) -> int:
    """'2025-03-25T21:00' (New York wall clock) -> epoch ms."""
    local = dt.datetime.fromisoformat(text).replace(tzinfo=STUDY_TZ)
    return int(local.timestamp()) * 1000


def all_days() -> list[dt.date]:
    n = (TIMELINE_END - TIMELINE_START).days + 1
    return [TIMELINE_START + dt.timedelta(days=i) for i in range(n)]


def _shape(day: dt.date, knobs: Knobs) -> float:
    """Relative volume before fitting: logistic pre-ban rise, exponential surge decay, flat tail."""
    weekend = 1.0 + (knobs.weekend_boost if day.weekday() >= 5 else 0.0)
    weekend *= 1.0 - knobs.trough_dip * math.exp(-abs((day - TROUGH_DATE).days) / knobs.trough_dip_days)
    if day < PEAK_DATE:
        i = (day - TIMELINE_START).days
        rise = 1.0 / (1.0 + math.exp(-(i - knobs.preban_mid_day) / knobs.preban_width))
        return (knobs.preban_base + knobs.preban_rise * rise) * weekend
    if day < TROUGH_DATE:
        t = (day - PEAK_DATE).days
        return (knobs.surge_floor + knobs.surge_amp * math.exp(-t / knobs.surge_tau_days)) * weekend
    t = (day - TROUGH_DATE).days / max(1, (TIMELINE_END - TROUGH_DATE).days)
    return (knobs.tail_level - knobs.tail_decline * t) * weekend


def _bounds(day: dt.date, scale: ScaleParams) -> tuple[int, int]:
    lower = 1 if day < PEAK_DATE else scale.trough_count + 1
    return lower, scale.peak_count - 1


def _fit(weights: list[float], lower: list[int], upper: list[int], total: int) -> list[int]:
    """Integers within [lower, upper], summing to `total`, proportional to `weights` where unclamped."""
    if not sum(lower) <= total <= sum(upper):
        raise ValueError(f"cannot fit {total} notes into the day bounds")

    def filled(factor: float) -> float:
        return sum(min(hi, max(lo, factor * w)) for w, lo, hi in zip(weights, lower, upper))

    lo_f, hi_f = 0.0, 1.0
    while filled(hi_f) < total:
        hi_f *= 2.0
    for _ in range(200):
        mid = (lo_f + hi_f) / 2.0
        if filled(mid) < total:
            lo_f = mid
        else:
            hi_f = mid
    exact = [min(hi, max(lo, hi_f * w)) for w, lo, hi in zip(weights, lower, upper)]
    counts = [max(lo, min(hi, math.floor(x))) for x, lo, hi in zip(exact, lower, upper)]
    remainder = total - sum(counts)
    # largest remainders first; index breaks ties so the result is deterministic
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - math.floor(exact[i])), i))
    step = 1 if remainder > 0 else -1
    while remainder != 0:
        moved = False
        for i in order:
            if remainder == 0:
                break
            if lower[i] <= counts[i] + step <= upper[i]:
                counts[i] += step
                remainder -= step
                moved = True
        if not moved:
            raise ValueError("day bounds leave no room to fit the total")
    return counts


def daily_targets(scale: ScaleParams, knobs: Knobs, rng: random.Random) -> list[tuple[dt.date, int]]:
    """Exact planted note count per New York date, 2025-01-01 .. 2025-06-27."""
    days = all_days()
    free = [d for d in days if d not in (PEAK_DATE, TROUGH_DATE)]
    weights = [_shape(d, knobs) * math.exp(rng.gauss(0.0, knobs.day_noise_sd)) for d in free]
    bounds = [_bounds(d, scale) for d in free]
    remaining = scale.n_notes - scale.peak_count - scale.trough_count
    fitted = _fit(weights, [b[0] for b in bounds], [b[1] for b in bounds], remaining)
    counts = dict(zip(free, fitted))
    counts[PEAK_DATE] = scale.peak_count
    counts[TROUGH_DATE] = scale.trough_count
    return [(d, counts[d]) for d in days]
