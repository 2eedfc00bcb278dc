"""Phase boundaries detected from the daily note curve (Feng et al. 2025, §5, Figure 1).

The paper defines the boundaries by hand from the curve: the surge opens on the peak day
(Jan 19, 2106 posts, "the highest single-day count") and stabilization on "the lowest post
volume … following the peak" (Apr 4, 64 posts). ``detect_breakpoints`` recomputes both:

* peak_trough (the paper's definition, and the one the checks use):
  surge_start = argmax of daily notes (earliest day on ties);
  stabilization_start = minimum over the *observed* days after the peak (earliest on ties).
  "Observed" = days with at least one note: a day absent from the curve (or 0, when the curve
  is zero-filled) is more likely a crawl gap than the real trough, and the paper's trough is a
  day with posts (64). Pass ``ignore_zero_days=False`` to let zero days count.
* changepoint_l2 (an alternative, reported for comparison only): the two changepoints of a
  three-segment piecewise-constant fit to log1p(daily notes) minimising the squared error,
  found exhaustively over the observed days in date order. It describes level shifts, not the
  peak/trough events, so it can legitimately be days or weeks away from the configured dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import polars as pl

from rednote_dagster.lib.phases import PhaseBoundaries

BOUNDARIES: tuple[str, ...] = ("surge_start", "stabilization_start")
BREAKPOINT_SCHEMA = {
    "boundary": pl.String,
    "configured_date": pl.Date,
    "detected_date": pl.Date,
    "days_off": pl.Int64,
    "method": pl.String,
    "notes_on_detected": pl.Int64,
}


def daily_counts(daily) -> dict[dt.date, int]:
    """{date: notes} from a mapping or a frame with (ny_date, notes) columns (other columns, such
    as phase in marts.daily_note_counts, are ignored; repeated dates are summed)."""
    if isinstance(daily, pl.DataFrame):
        summed = daily.group_by("ny_date").agg(pl.col("notes").sum())
        return {d: int(n) for d, n in summed.iter_rows() if d is not None and n is not None}
    if isinstance(daily, Mapping):
        return {d: int(n) for d, n in daily.items()}
    raise TypeError(f"expected a mapping of date -> count or a polars frame, got {type(daily).__name__}")


def peak_and_trough(daily, ignore_zero_days: bool = True) -> tuple[dt.date, dt.date | None]:
    """(peak day, post-peak trough day): argmax / argmin, earliest on ties; trough is None when
    the peak is the last observed day."""
    counts = daily_counts(daily)
    if ignore_zero_days:
        counts = {d: n for d, n in counts.items() if n > 0}
    if not counts:
        raise ValueError("no observed days")
    peak = min(counts, key=lambda d: (-counts[d], d))
    after = {d: n for d, n in counts.items() if d > peak}
    trough = min(after, key=lambda d: (after[d], d)) if after else None
    return peak, trough


def _segment_cost(prefix: np.ndarray, prefix_sq: np.ndarray, i: int, j: int) -> float:
    """Squared error of values[i:j] around their mean, from prefix sums."""
    n = j - i
    s = prefix[j] - prefix[i]
    return float(prefix_sq[j] - prefix_sq[i] - s * s / n)


def changepoints_l2(daily, segments: int = 3, ignore_zero_days: bool = True) -> list[dt.date]:
    """Starts of segments 2..k of the least-squares piecewise-constant fit to log1p(notes),
    exhaustive search (O(n²) for k = 3; a season of days is instant). Earliest split on ties."""
    if segments != 3:
        raise ValueError("only the three-phase split is implemented")
    counts = daily_counts(daily)
    if ignore_zero_days:
        counts = {d: n for d, n in counts.items() if n > 0}
    days = sorted(counts)
    if len(days) < segments:
        raise ValueError(f"need at least {segments} observed days, got {len(days)}")
    y = np.log1p(np.array([counts[d] for d in days], dtype=np.float64))
    prefix = np.concatenate([[0.0], np.cumsum(y)])
    prefix_sq = np.concatenate([[0.0], np.cumsum(y * y)])
    n = len(y)
    best, best_ab = np.inf, (1, 2)
    for a in range(1, n - 1):
        left = _segment_cost(prefix, prefix_sq, 0, a)
        for b in range(a + 1, n):
            cost = left + _segment_cost(prefix, prefix_sq, a, b) + _segment_cost(prefix, prefix_sq, b, n)
            if cost < best - 1e-12:
                best, best_ab = cost, (a, b)
    return [days[best_ab[0]], days[best_ab[1]]]


def detect_breakpoints(
    daily, boundaries: PhaseBoundaries | None = None, ignore_zero_days: bool = True, changepoint: bool = True
) -> pl.DataFrame:
    """boundary, configured_date, detected_date, days_off (detected − configured), method,
    notes_on_detected — one row per boundary and method ('peak_trough' first)."""
    boundaries = boundaries or PhaseBoundaries()
    counts = daily_counts(daily)
    configured = {"surge_start": boundaries.surge_start, "stabilization_start": boundaries.stabilization_start}
    detected = {"peak_trough": dict(zip(BOUNDARIES, peak_and_trough(counts, ignore_zero_days)))}
    if changepoint:
        try:
            detected["changepoint_l2"] = dict(
                zip(BOUNDARIES, changepoints_l2(counts, ignore_zero_days=ignore_zero_days))
            )
        except ValueError:
            detected["changepoint_l2"] = dict.fromkeys(BOUNDARIES)
    rows = []
    for method, found in detected.items():
        for boundary in BOUNDARIES:
            day = found[boundary]
            rows.append(
                {
                    "boundary": boundary,
                    "configured_date": configured[boundary],
                    "detected_date": day,
                    "days_off": (day - configured[boundary]).days if day is not None else None,
                    "method": method,
                    "notes_on_detected": counts.get(day) if day is not None else None,
                }
            )
    return pl.DataFrame(rows, schema=BREAKPOINT_SCHEMA)
