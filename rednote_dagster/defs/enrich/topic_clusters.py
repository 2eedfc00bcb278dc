"""enrich/topic_model, enrich/topic_info, enrich/note_clusters: topic clusters, BERTopic over the current
notes. (Feng et al.'s taxonomy codes are ``taxonomy_coding.py``.)

One step, three assets: the fitted model (safetensors under $REDNOTE_DATA_DIR/models/topic_model),
its topic-info table, and one cluster per current note. A new collection month is assigned with
``transform`` against the saved model; a refit (asked for in the run config, or when more than 30 %
of current notes are unseen) re-assigns every note (policy: ``lib/topic_clusters.py``).
"""

import dagster as dg
import numpy as np
import polars as pl
from dagster_duckdb import DuckDBResource
from pydantic import Field

from rednote_dagster.defs.resources import DUCKDB_POOL, EmbeddingModel, RednoteData
from rednote_dagster.lib.labelling.documents import LATEST_CRAWL_FILTER, note_documents
from rednote_dagster.lib.labelling.embedding_store import embeddings_upsert
from rednote_dagster.lib.preview import markdown_table
from rednote_dagster.lib.topic_clusters import TopicModelConfig, update_topic_clusters

MODEL_KEY = dg.AssetKey(["enrich", "topic_model"])
INFO_KEY = dg.AssetKey(["enrich", "topic_info"])
CLUSTERS_KEY = dg.AssetKey(["enrich", "note_clusters"])


class TopicModelRun(dg.Config):
    refit: bool = False  # refit over all current notes even if few are new
    refit_threshold: float = Field(default=0.30, gt=0, le=1)  # share of unseen notes that triggers a refit
    min_cluster_size: int = Field(default=10, ge=2)  # HDBSCAN needs clusters of at least 2
    seed: int = Field(default=42, ge=0)

    def topic_model_config(self, embedding_model: str) -> TopicModelConfig:
        return TopicModelConfig(
            seed=self.seed,
            min_cluster_size=self.min_cluster_size,
            refit_threshold=self.refit_threshold,
            embedding_model=embedding_model,
        )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            MODEL_KEY,
            deps=[dg.AssetKey(["raw", "notes"])],
            kinds={"python"},
            description="BERTopic model over the current notes (latest crawl of each), saved with safetensors.",
        ),
        dg.AssetSpec(
            INFO_KEY,
            deps=[MODEL_KEY],
            kinds={"duckdb"},
            description="One row per topic: size, name, top words, representative note.",
        ),
        dg.AssetSpec(
            CLUSTERS_KEY,
            deps=[MODEL_KEY],
            kinds={"duckdb"},
            description="One row per current note: topic, model_version, assigned_by (fit | transform).",
        ),
    ],
    pool=DUCKDB_POOL,
    group_name="topic_clusters",
)
def topic_model(
    context: dg.AssetExecutionContext,
    config: TopicModelRun,
    duckdb: DuckDBResource,
    rednote: RednoteData,
    embedding_model: EmbeddingModel,
):
    with duckdb.get_connection() as con:
        df, docs = note_documents(con, LATEST_CRAWL_FILTER, [])  # sorted by note_id: UMAP depends on order
    ids, texts = df["note_id"].to_list(), [d.text for d in docs]
    embedder = embedding_model.embedder(duckdb, rednote.paths.models)
    embeddings = embedder.encode(texts)
    context.log.info(f"{len(ids)} current notes; {embedder.encoded} embedded now, the rest from enrich.text_embeddings")
    model_dir = rednote.paths.models / "topic_model"
    update = update_topic_clusters(
        duckdb.get_connection,
        model_dir,
        ids,
        texts,
        embeddings,
        config.topic_model_config(embedder.model_id),
        embedder.model_revision,
        force_refit=config.refit,
        also_write=[embeddings_upsert(embedder)],
        info=context.log.info,
    )

    info, clusters = update.topic_info, update.clusters
    sizes = clusters.group_by("topic").len("notes").sort("notes", descending=True)
    yield dg.MaterializeResult(
        asset_key=MODEL_KEY,
        metadata={
            "model_version": dg.MetadataValue.text(update.model_version),
            "refitted": dg.MetadataValue.bool(update.plan.refit),
            "share_new_notes": dg.MetadataValue.float(round(update.plan.share_new, 4)),
            "embedding_model": dg.MetadataValue.text(f"{embedder.model_id}@{embedder.model_revision}"),
            "path": dg.MetadataValue.path(str(model_dir)),
            "outliers_before_reduction": dg.MetadataValue.int(update.outliers_before_reduction),
        },
    )
    yield dg.MaterializeResult(
        asset_key=INFO_KEY,
        metadata={
            "topics": dg.MetadataValue.int(info.height),
            "topic_info": dg.MetadataValue.md(
                markdown_table(info.select("topic", "size", "name", pl.col("top_words").list.join(", ")), max_rows=30)
            ),
            "dagster/row_count": dg.MetadataValue.int(info.height),
        },
    )
    yield dg.MaterializeResult(
        asset_key=CLUSTERS_KEY,
        metadata={
            "dagster/row_count": dg.MetadataValue.int(clusters.height),
            "assigned_by_transform": dg.MetadataValue.int(int((clusters["assigned_by"] == "transform").sum())),
            "largest_topics": dg.MetadataValue.md(markdown_table(sizes.head(10))),
            "mean_vector_norm": dg.MetadataValue.float(
                round(float(np.linalg.norm(embeddings, axis=1).mean()), 4) if len(ids) else 0.0
            ),
        },
    )
