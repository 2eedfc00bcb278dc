"""Largest-remainder (Hamilton) apportionment: integers proportional to weights that sum exactly.

Standard library only, so the corpus generator (which plants exact quotas with it) and the
sampling frame (``lib/sampling.py``, hashtag quotas) share one implementation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """Integers proportional to ``weights`` that sum exactly to ``total``: every weight first gets
    the floor of its exact share, then the seats still free go one each to the largest fractional
    remainders. Ties are broken by position (the earlier weight wins)."""
    if total == 0 or not weights:
        return [0] * len(weights)
    scale = total / sum(weights)
    exact = [w * scale for w in weights]
    counts = [math.floor(x) for x in exact]
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts
