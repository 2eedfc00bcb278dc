"""Adjudication: the items the coders disagree on, and the consensus once they are resolved.

The paper resolved the coders' disagreements by discussion. The disagreement sheet records that
discussion: one row per item the coders disagree on, with every coder's code, and a resolution column;
its import is
``manual/<scheme>_adjudication.csv`` (one row per resolved item, ``coder`` being the adjudicator). The
consensus (``lib/coding.consensus``, :func:`adjudicated_consensus` here) is the coders' agreement plus those
resolutions: what the supervised backends train on and ``analysis/coding_agreement`` measures against.
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
    """entity, item_id, code, how (agreed | adjudicated): ``lib/coding.consensus`` of the coders with the
    resolutions of the items they disagree on, as ``analysis/coding_agreement`` and the supervised backends
    take it. An unresolved disagreement is left out, as before."""
    entity_of = coding.select(KEY).unique()
    agreed = consensus(coding.select("item_id", "coder", "code"), id_col="item_id").select("item_id")
    both = consensus(coding.select("item_id", "coder", "code"), "item_id", adjudication.select("item_id", "code"))
    how = (
        pl.when(pl.col("item_id").is_in(agreed["item_id"].implode()))
        .then(pl.lit(AGREED))
        .otherwise(pl.lit(ADJUDICATED))
    )
    return both.join(entity_of, on="item_id").select(*KEY, "code", how.alias("how")).sort(KEY)
