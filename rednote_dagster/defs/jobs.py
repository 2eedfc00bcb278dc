"""Jobs: one per collection month (everything partitioned), one for the rollups over all months."""

import dagster as dg

from rednote_dagster.defs.partitions import collection_month

collection_month_job = dg.define_asset_job(
    "collection_month_job",
    selection=dg.AssetSelection.groups("raw", "enrich"),
    partitions_def=collection_month,
    description="Ingest and label one collection month of crawls (raw + enrich layers).",
)

rollups_job = dg.define_asset_job(
    "rollups_job",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("raw", "enrich"),
    description="Unpartitioned models over all collection months: dbt staging, current views, marts.",
)
