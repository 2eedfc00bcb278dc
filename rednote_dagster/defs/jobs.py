"""Jobs: per collection month (ingest, label, or both) and the rollups over all months. Each names its
assets; tests/test_jobs.py pins every job's asset set."""

import dagster as dg

from rednote_dagster.defs.partitions import collection_month

# The assets partitioned by collection month, by key; everything else is a rollup over all months. (Keys,
# not the asset objects: importing the asset modules here would define them before the command line's
# console captures their warnings.)
MONTH_INGEST = dg.AssetSelection.assets(*(["raw", table] for table in ("notes", "comments", "creators")))
MONTH_LABELS = dg.AssetSelection.assets(
    *(
        ["enrich", table]
        for table in ("note_sentiment", "comment_sentiment", "note_topics", "comment_emotion", "comment_stance")
    )
)
MONTH = MONTH_INGEST | MONTH_LABELS

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=MONTH_INGEST,
    partitions_def=collection_month,
    description="Ingest one collection month of MediaCrawler files into the raw layer.",
)

labelling_job = dg.define_asset_job(
    "labelling_job",
    selection=MONTH_LABELS,
    partitions_def=collection_month,
    description=(
        "Label one collection month (sentiment, taxonomy, comment emotion and stance). Run after every month "
        "is ingested, so the supervised taxonomy model is trained on the same manual coding for every month."
    ),
)

collection_month_job = dg.define_asset_job(
    "collection_month_job",
    selection=MONTH,
    partitions_def=collection_month,
    description="Ingest and label one collection month (raw + enrich layers).",
)

rollups_job = dg.define_asset_job(
    "rollups_job",
    selection=dg.AssetSelection.all() - MONTH,
    description="Unpartitioned assets over all collection months: dbt models, topic model, agreement, marts.",
)

month_refresh_job = dg.define_asset_job(
    "month_refresh_job",
    selection=MONTH_INGEST.downstream(),  # partitioned by collection month (inferred)
    description="One collection month (ingest + label) and everything downstream of it (BERTopic, κ, influence, "
    "dbt models, marts), in one run. What the monthly schedule launches.",
)
