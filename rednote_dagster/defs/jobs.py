"""Jobs: one per collection month (everything partitioned), one for the rollups over all months."""

import dagster as dg

from rednote_dagster.defs.partitions import collection_month

collection_month_job = dg.define_asset_job(
    "collection_month_job",
    selection=dg.AssetSelection.groups("raw"),
    partitions_def=collection_month,
    description="Ingest (and later label) one collection month of crawls.",
)

rollups_job = dg.define_asset_job(
    "rollups_job",
    selection=dg.AssetSelection.groups("raw").downstream(include_self=False),
    description="Unpartitioned models over all collection months: dbt staging, current views, marts.",
)
