"""Jobs: per collection month (ingest, label, or both) and the rollups over all months."""

import dagster as dg

from rednote_dagster.defs.partitions import collection_month

PARTITIONED_GROUPS = ("raw", "enrich")

ingest_job = dg.define_asset_job(
    "ingest_job", selection=dg.AssetSelection.groups("raw"), partitions_def=collection_month,
    description="Ingest one collection month of MediaCrawler files into the raw layer.",
)

labelling_job = dg.define_asset_job(
    "labelling_job", selection=dg.AssetSelection.groups("enrich"), partitions_def=collection_month,
    description="Label one collection month (sentiment, taxonomy, comment emotion and stance). Run after every month is ingested, so the "
    "supervised taxonomy model is trained on the same manual coding for every month.",
)

collection_month_job = dg.define_asset_job(
    "collection_month_job", selection=dg.AssetSelection.groups(*PARTITIONED_GROUPS), partitions_def=collection_month,
    description="Ingest and label one collection month (raw + enrich layers).",
)

rollups_job = dg.define_asset_job(
    "rollups_job",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups(*PARTITIONED_GROUPS),
    description="Unpartitioned assets over all collection months: dbt models, topic model, agreement, marts.",
)

month_refresh_job = dg.define_asset_job(
    "month_refresh_job",
    selection=dg.AssetSelection.groups("raw").downstream(),  # partitioned by collection month (inferred)
    description="One collection month (ingest + label) and everything downstream of it (BERTopic, κ, influence, "
    "dbt models, marts), in one run. What the monthly schedule launches.",
)
