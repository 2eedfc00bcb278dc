"""Adjudication: the items the coders disagree on, and the consensus once they are resolved.

``lib/coding.consensus`` keeps an item only where its coders agree ("the paper resolved them by discussion,
which a file cannot record"). The disagreement sheet records that discussion: one row per item the coders
disagree on, with every coder's code, and a resolution column; its import is
``manual/<scheme>_adjudication.csv`` (one row per resolved item, ``coder`` being the adjudicator), and
:func:`adjudicated_consensus` is the coders' agreement plus those resolutions.
"""

from __future__ import annotations

import polars as pl

from rednote_dagster.lib.coding import consensus
from rednote_dagster.lib.coding_workflow.sample import KEY

AGREED, ADJUDICATED = "agreed", "adjudicated"


def disagreements(coding: pl.DataFrame) -> pl.DataFrame:
    """entity, item_id and one column per coder (their code; empty where they did not code the item), for the
    items that two or more coders coded differently. ``coding``: entity, item_id, coder, code."""
    spread = coding.group_by(KEY).agg(pl.col("code").n_unique().alias("codes"))
    keys = spread.filter(pl.col("codes") > 1).select(KEY)
    if not keys.height:
        return pl.DataFrame(schema={"entity": pl.String, "item_id": pl.String})
    return coding.join(keys, on=KEY).pivot("coder", index=KEY, values="code", sort_columns=True).sort(KEY)


def unresolved(coding: pl.DataFrame, adjudication: pl.DataFrame) -> pl.DataFrame:
    """:func:`disagreements` without the items ``adjudication`` (entity, item_id, …) has resolved."""
    return disagreements(coding).join(adjudication.select(KEY), on=KEY, how="anti")


def adjudicated_consensus(coding: pl.DataFrame, adjudication: pl.DataFrame) -> pl.DataFrame:
    """entity, item_id, code, how (agreed | adjudicated): ``lib/coding.consensus`` of the coders, plus the
    resolution of each item they disagree on that has one. An unresolved disagreement is left out, as before."""
    entity_of = coding.select(KEY).unique()
    agreed = (
        consensus(coding.select("item_id", "coder", "code"), id_col="item_id")
        .join(entity_of, on="item_id")
        .select(*KEY, "code", pl.lit(AGREED).alias("how"))
    )
    resolved = (
        adjudication.join(disagreements(coding).select(KEY), on=KEY)
        .unique(KEY, keep="last", maintain_order=True)
        .select(*KEY, "code", pl.lit(ADJUDICATED).alias("how"))
    )
    return pl.concat([agreed, resolved]).sort(KEY)
