"""The coding sample: reproducible, stratified, and growing instead of redrawn.

* **Strata**: entity (note / comment) × collection month (the first in which the item was crawled, so an item
  stays in its stratum when it is crawled again) × phase (of its own New York date) × language of its text
  (``script_of``, the languages ``lib/coding`` reports κ by). Allocation is proportional: the sample size is
  apportioned over the strata by largest remainder (``lib/apportion.py``), as the sampling frame's quotas are.
* **Seeded, order-free**: within a stratum items are drawn in the order of ``sha256(seed:entity:id)``, so the
  same warehouse, size and seed give the same sample whatever order the rows come in, and a larger size
  draws a superset of a smaller one.
* **Growing**: items already coded, or drawn before (``keep``), stay in the sample and count towards its size
  and their strata; only the shortfall is drawn, spread over the strata in proportion to how far each is
  below its quota. So coded work is never thrown away, and a sample never shrinks: the size is
  ``max(target, kept)``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import polars as pl

from rednote_dagster.lib.apportion import largest_remainder

STRATA: tuple[str, ...] = ("entity", "first_month", "phase", "language")
KEY: list[str] = ["entity", "item_id"]
# why an item is in the sample
CODED, PREVIOUS, DRAWN = "coded", "previous", "drawn"
SAMPLE_SCHEMA = {
    "entity": pl.String,
    "item_id": pl.String,
    "first_month": pl.Date,
    "phase": pl.String,
    "language": pl.String,
    "reason": pl.String,
    "in_warehouse": pl.Boolean,
}


@dataclass(frozen=True)
class SampleSize:
    """A share of the items (Feng et al.: 0.2 of the posts) or a count; exactly one."""

    share: float | None = None
    count: int | None = None

    def __post_init__(self) -> None:
        if (self.share is None) == (self.count is None):
            raise ValueError("give a sample size as a share or as a count, not both or neither")
        if self.share is not None and not 0 < self.share <= 1:
            raise ValueError(f"a sample share is in (0, 1], not {self.share}")
        if self.count is not None and self.count < 0:
            raise ValueError(f"a sample count is >= 0, not {self.count}")

    def of(self, population: int) -> int:
        if self.share is not None:
            return round(self.share * population)
        return min(self.count, population)

    def __str__(self) -> str:
        return f"{self.share:.0%} of the items" if self.share is not None else f"{self.count:,} items"


def draw_order(seed: int, entity: str, item_id: str) -> str:
    """The item's place in the seeded draw (smallest first)."""
    return hashlib.sha256(f"{seed}:{entity}:{item_id}".encode()).hexdigest()


def draw_sample(items: pl.DataFrame, size: SampleSize, seed: int, keep: pl.DataFrame | None = None) -> pl.DataFrame:
    """The sample (:data:`SAMPLE_SCHEMA`, sorted by entity and id).

    ``items``: one row per codable item with ``entity``, ``item_id`` and the :data:`STRATA` columns.
    ``keep``: entity, item_id, reason (:data:`CODED` / :data:`PREVIOUS`) of items that must stay; one that is
    not in ``items`` (no longer in the warehouse) stays too, with empty strata and ``in_warehouse`` false."""
    if keep is None:
        keep = pl.DataFrame(schema={"entity": pl.String, "item_id": pl.String})
    reason = pl.col("reason") if "reason" in keep.columns else pl.lit(PREVIOUS).alias("reason")
    keep = keep.select(*KEY, reason.cast(pl.String)).unique(KEY, keep="first", maintain_order=True)
    population = items.select(*KEY, *STRATA[1:]).unique(KEY).join(keep, on=KEY, how="left")
    strata = (
        population.group_by(STRATA)
        .agg(pl.len().alias("size"), pl.col("reason").is_not_null().sum().alias("kept"))
        .sort(STRATA, nulls_last=True)
    )
    target = size.of(population.height)
    kept = int(strata["kept"].sum()) if strata.height else 0
    quotas = largest_remainder(target, strata["size"].to_list())
    deficits = [max(0, q - k) for q, k in zip(quotas, strata["kept"].to_list())]
    # sum(deficits) >= target - kept always (sum of quotas = target), so the shortfall fits under the quotas
    shortfall = max(0, target - kept)
    strata = strata.with_columns(pl.Series("draw", largest_remainder(shortfall, deficits), dtype=pl.Int64))

    candidates = population.filter(pl.col("reason").is_null()).with_columns(
        pl.struct(KEY)
        .map_elements(lambda r: draw_order(seed, r["entity"], r["item_id"]), return_dtype=pl.String)
        .alias("order")
    )
    drawn = (
        candidates.join(strata.select(*STRATA, "draw"), on=list(STRATA), how="inner", nulls_equal=True)
        .filter(pl.col("order").rank("ordinal").over(list(STRATA)) <= pl.col("draw"))
        .with_columns(pl.lit(DRAWN).alias("reason"))
    )
    in_warehouse = population.filter(pl.col("reason").is_not_null())
    gone = keep.join(population.select(KEY), on=KEY, how="anti")
    return (
        pl.concat(
            [
                in_warehouse.with_columns(pl.lit(True).alias("in_warehouse")),
                drawn.with_columns(pl.lit(True).alias("in_warehouse")),
                gone.with_columns(pl.lit(False).alias("in_warehouse")),
            ],
            how="diagonal_relaxed",
        )
        .select((pl.col(c).cast(t) for c, t in SAMPLE_SCHEMA.items()))
        .sort(KEY)
    )


def strata_summary(items: pl.DataFrame, sample: pl.DataFrame) -> pl.DataFrame:
    """Per stratum: items, sampled, and the sample's share of the stratum (to see the allocation)."""
    return (
        items.group_by(STRATA)
        .agg(pl.len().alias("items"))
        .join(sample.group_by(STRATA).agg(pl.len().alias("sampled")), on=list(STRATA), how="left", nulls_equal=True)
        .with_columns(pl.col("sampled").fill_null(0))
        .with_columns((pl.col("sampled") / pl.col("items")).round(3).alias("share"))
        .sort(STRATA, nulls_last=True)
    )
