"""Entropy-weighted influence score and the high / low / inactive tiers (Feng et al. 2025, §6.1).

The entropy weight method (EWM), exactly as §6.1 states it, for a
matrix of n rows (users, or categories for Figure 5) by m benefit-type indicators:

1. min-max per indicator:   x'_ij = (x_ij − min_j) / (max_j − min_j)
2. proportions:             p_ij  = x'_ij / Σ_i x'_ij
3. entropy:                 e_j   = −k Σ_i p_ij ln p_ij,  k = 1 / ln n,  with p ln p = 0 at p = 0
                            (the 0·ln 0 convention, not the "+0.0001 shift" some implementations use)
4. divergence:              d_j   = 1 − e_j
5. weights:                 w_j   = d_j / Σ_j d_j
6. score:                   S_i   = Σ_j w_j x'_ij   (in [0, 1])

Degenerate inputs, handled explicitly rather than by NaN propagation:

* a constant indicator (max_j = min_j; includes every indicator when n = 1) carries no
  information: its normalized column is 0 and its weight is 0 (d_j := 0);
* every indicator constant (always the case for n < 2): equal weights 1/m, every score 0
  (nothing separates the rows; ties are then broken by the caller's deterministic order);
* n = 0: equal weights and an empty (0, m) normalized matrix;
* NaN or infinite inputs are an error — callers decide what a missing value means.

A non-constant indicator always has e_j < 1 (min-max puts at least one row at 0, so p is never
uniform), hence d_j > 0, so the weights are well defined whenever one indicator varies.

Tiers (§6.2, Figure 3), per phase and for phase 'all':

* inactive: fewer than ``min_notes`` (3) notes in the phase; no score;
* the EWM is computed among the *active* users of that phase only (n = active users in the
  phase, not all users ever seen: the paper leaves this open; users who did not post cannot
  be ranked on that phase's engagement);
* indicators are followers, likes, comments, collects ("saves") — likes/comments/collects are
  *sums* over the author's notes in the phase, not means per note (the paper leaves this open;
  sums measure reach in the phase, which is what the tier is meant to capture); followers is the
  author's profile snapshot (the crawl does not time-stamp it), the same in every phase, and a
  missing profile (NULL followers) counts as 0 for the score — the output keeps the NULL;
* high: the top ceil(25 %) of active users by score; low: the rest. Ties are broken
  deterministically: score descending, then author_key ascending.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from rednote_dagster.lib.phases import PHASES

INFLUENCE_INDICATORS: tuple[str, ...] = ("followers", "likes", "comments", "collects")
ALL_PHASES = "all"
TIERS: tuple[str, ...] = ("high", "low", "inactive")


@dataclass(frozen=True)
class EntropyDetail:
    """Everything the EWM computed, for reporting; ``entropy_weights`` returns only (weights, normalized)."""

    weights: np.ndarray  # (m,)
    normalized: np.ndarray  # (n, m) min-max values x'_ij
    entropy: np.ndarray  # (m,) e_j; NaN for a constant indicator
    divergence: np.ndarray  # (m,) d_j; 0 for a constant indicator
    constant: np.ndarray  # (m,) bool
    scores: np.ndarray  # (n,) S_i

    @property
    def degenerate(self) -> bool:
        """True when no indicator varies (equal weights, all scores 0)."""
        return bool(self.constant.all())


def entropy_detail(matrix) -> EntropyDetail:
    """The full EWM (module docstring) on an (n, m) array-like of benefit-type indicators."""
    x = np.asarray(matrix, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"expected an (n, m) matrix, got shape {x.shape}")
    n, m = x.shape
    if m == 0:
        raise ValueError("need at least one indicator")
    if not np.isfinite(x).all():
        raise ValueError("indicators contain NaN or infinite values; fill or drop them first")
    if n == 0:
        empty = np.zeros((0, m))
        return EntropyDetail(
            np.full(m, 1.0 / m), empty, np.full(m, np.nan), np.zeros(m), np.ones(m, dtype=bool), np.zeros(0)
        )

    lo, hi = x.min(axis=0), x.max(axis=0)
    span = hi - lo
    constant = span == 0  # n == 1 makes every indicator constant
    normalized = np.zeros_like(x)
    varying = ~constant
    normalized[:, varying] = (x[:, varying] - lo[varying]) / span[varying]

    entropy = np.full(m, np.nan)
    divergence = np.zeros(m)
    if varying.any():  # n >= 2 here
        k = 1.0 / math.log(n)
        cols = normalized[:, varying]
        p = cols / cols.sum(axis=0)  # column sums > 0: each varying column has a 1
        with np.errstate(divide="ignore", invalid="ignore"):
            plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
        e = -k * plogp.sum(axis=0)
        entropy[varying] = e
        divergence[varying] = np.clip(1.0 - e, 0.0, None)

    total = divergence.sum()
    weights = divergence / total if total > 0 else np.full(m, 1.0 / m)
    return EntropyDetail(weights, normalized, entropy, divergence, constant, normalized @ weights)


def entropy_weights(matrix) -> tuple[np.ndarray, np.ndarray]:
    """(weights w_j, normalized x'_ij) of the entropy weight method; score = normalized @ weights."""
    detail = entropy_detail(matrix)
    return detail.weights, detail.normalized


def entropy_scores(matrix) -> np.ndarray:
    """S_i = Σ_j w_j x'_ij."""
    return entropy_detail(matrix).scores


def rank_by_score(keys: list[str], scores: np.ndarray) -> np.ndarray:
    """1-based ranks: score descending, ties by key ascending (deterministic)."""
    order = sorted(range(len(keys)), key=lambda i: (-float(scores[i]), keys[i]))
    ranks = np.empty(len(keys), dtype=np.int64)
    ranks[order] = np.arange(1, len(keys) + 1)
    return ranks


def high_count(n_active: int, high_share: float) -> int:
    """ceil(high_share · n), robust to float noise (0.3 · 10 is 3, not 4)."""
    return min(n_active, math.ceil(round(high_share * n_active, 9)))


@dataclass(frozen=True)
class InfluenceResult:
    users: pl.DataFrame  # author_key, phase, notes, followers, likes, comments, collects, influence_score, rank, tier
    weights: pl.DataFrame  # phase, indicator, weight, entropy, divergence, n_active, degenerate


USER_SCHEMA = {
    "author_key": pl.String,
    "phase": pl.String,
    "notes": pl.Int64,
    "followers": pl.Int64,
    "likes": pl.Int64,
    "comments": pl.Int64,
    "collects": pl.Int64,
    "influence_score": pl.Float64,
    "rank": pl.Int64,
    "tier": pl.String,
}
WEIGHT_SCHEMA = {
    "phase": pl.String,
    "indicator": pl.String,
    "weight": pl.Float64,
    "entropy": pl.Float64,
    "divergence": pl.Float64,
    "n_active": pl.Int64,
    "degenerate": pl.Boolean,
}


def _phase_order(phases) -> list[str]:
    known = [p for p in (*PHASES, ALL_PHASES) if p in phases]
    return known + sorted(p for p in phases if p not in known)


def complete_phases(activity: pl.DataFrame) -> pl.DataFrame:
    """Every author × every phase (the three study phases and any other phase present, e.g. 'all'):
    an author with no note in a phase gets notes 0 and zero engagement there, so the tier table
    says 'inactive' for them instead of leaving them out (Figure 3 needs the full grid)."""
    phases = _phase_order(set(activity["phase"].unique().to_list()) | set(PHASES))
    followers = activity.group_by("author_key").agg(pl.col("followers").drop_nulls().max())
    grid = followers.join(pl.DataFrame({"phase": phases}), how="cross")
    counted = activity.select("author_key", "phase", "notes", "likes", "comments", "collects")
    return grid.join(counted, on=["author_key", "phase"], how="left").with_columns(
        pl.col("notes", "likes", "comments", "collects").fill_null(0)
    )


def influence_tiers(
    activity: pl.DataFrame, min_notes: int = 3, high_share: float = 0.25, complete: bool = True
) -> InfluenceResult:
    """Tiers per phase from author-phase activity (author_key, phase, notes, followers, likes,
    comments, collects; see module docstring for every choice). ``complete`` adds the authors
    without notes in a phase as inactive rows (``complete_phases``)."""
    if not 0 < high_share <= 1:
        raise ValueError(f"high_share must be in (0, 1], got {high_share}")
    need = {"author_key", "phase", "notes", "followers", *INFLUENCE_INDICATORS}
    missing = need - set(activity.columns)
    if missing:
        raise ValueError(f"activity lacks columns {sorted(missing)}")
    cast = dict.fromkeys(("notes", "followers", "likes", "comments", "collects"), pl.Int64)
    data = activity.select(
        pl.col("author_key").cast(pl.String),
        pl.col("phase").cast(pl.String),
        *[pl.col(c).cast(t) for c, t in cast.items()],
    )
    dupes = data.group_by("author_key", "phase").len().filter(pl.col("len") > 1)
    if dupes.height:
        raise ValueError(f"{dupes.height} duplicate (author_key, phase) rows, e.g. {dupes.row(0)}")
    if complete and data.height:
        data = complete_phases(data)
    data = data.with_columns(pl.col("likes", "comments", "collects").fill_null(0))

    user_frames, weight_rows = [], []
    for phase in _phase_order(set(data["phase"].unique().to_list())):
        part = data.filter(pl.col("phase") == phase)
        active = part.filter(pl.col("notes") >= min_notes).sort("author_key")
        inactive = part.filter(pl.col("notes") < min_notes)
        matrix = active.select(pl.col("followers").fill_null(0), "likes", "comments", "collects").to_numpy()
        detail = entropy_detail(matrix.reshape(active.height, len(INFLUENCE_INDICATORS)))
        keys = active["author_key"].to_list()
        ranks = rank_by_score(keys, detail.scores)
        n_high = high_count(active.height, high_share)
        user_frames.append(
            active.with_columns(
                pl.Series("influence_score", detail.scores, dtype=pl.Float64),
                pl.Series("rank", ranks, dtype=pl.Int64),
                pl.Series("tier", np.where(ranks <= n_high, "high", "low"), dtype=pl.String),
            )
        )
        user_frames.append(
            inactive.with_columns(
                pl.lit(None, pl.Float64).alias("influence_score"),
                pl.lit(None, pl.Int64).alias("rank"),
                pl.lit("inactive").alias("tier"),
            )
        )
        for j, indicator in enumerate(INFLUENCE_INDICATORS):
            weight_rows.append(
                {
                    "phase": phase,
                    "indicator": indicator,
                    "weight": float(detail.weights[j]),
                    "entropy": None if math.isnan(detail.entropy[j]) else float(detail.entropy[j]),
                    "divergence": float(detail.divergence[j]),
                    "n_active": active.height,
                    "degenerate": detail.degenerate,
                }
            )

    users = (
        pl.concat([f.select(list(USER_SCHEMA)).cast(USER_SCHEMA) for f in user_frames])
        if user_frames
        else pl.DataFrame(schema=USER_SCHEMA)
    )
    order = {p: i for i, p in enumerate(_phase_order(set(users["phase"].to_list())))}
    users = (
        users.with_columns(pl.col("phase").replace_strict(order, return_dtype=pl.Int64).alias("_o"))
        .sort("_o", pl.col("rank").is_null(), "rank", "author_key")
        .drop("_o")
    )
    return InfluenceResult(users, pl.DataFrame(weight_rows, schema=WEIGHT_SCHEMA))


def tier_counts(users: pl.DataFrame) -> pl.DataFrame:
    """phase × (high, low, inactive) counts, wide."""
    counts = users.group_by("phase", "tier").len()
    wide = counts.pivot(on="tier", index="phase", values="len")
    for t in TIERS:
        if t not in wide.columns:
            wide = wide.with_columns(pl.lit(0, pl.UInt32).alias(t))
    order = {p: i for i, p in enumerate(_phase_order(set(wide["phase"].to_list())))}
    return wide.select("phase", *TIERS).fill_null(0).sort(pl.col("phase").replace_strict(order, return_dtype=pl.Int64))
