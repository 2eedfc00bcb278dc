"""enrich/topic_model, enrich/topic_info, enrich/note_clusters: BERTopic over the current notes.

One step, three assets: the fitted model (safetensors under $REDNOTE_DATA_DIR/models/topic_model),
its topic-info table, and one cluster per current note. A new collection month is assigned with
``transform`` against the saved model; a refit (asked for in the run config, or when more than 30 %
of current notes are unseen) re-assigns every note (policy: ``lib/topics.py``).
"""

import json
import shutil

import dagster as dg
import numpy as np
import polars as pl
from dagster_duckdb import DuckDBResource
from pydantic import Field

from rednote_dagster.defs.enrich.labelling import embedder_for, embeddings_write
from rednote_dagster.defs.enrich.topics import documents_of
from rednote_dagster.defs.resources import DUCKDB_POOL, RednoteData, TopicLabeller
from rednote_dagster.lib.labelling.documents import LATEST_CRAWL_FILTER
from rednote_dagster.lib.preview import markdown_table
from rednote_dagster.lib.topics import (
    TopicModelConfig, assign_topics, fit_topic_model, load_topic_model, note_clusters_frame, plan_assignment,
    save_topic_model,
)
from rednote_dagster.lib.warehouse import PartitionWrite, replace_partitions, table_exists

MODEL_KEY = dg.AssetKey(["enrich", "topic_model"])
INFO_KEY = dg.AssetKey(["enrich", "topic_info"])
CLUSTERS_KEY = dg.AssetKey(["enrich", "note_clusters"])


class TopicModelRun(dg.Config):
    refit: bool = False  # refit over all current notes even if few are new
    refit_threshold: float = Field(default=0.30, gt=0, le=1)  # share of unseen notes that triggers a refit
    min_cluster_size: int = Field(default=10, ge=2)  # HDBSCAN needs clusters of at least 2
    seed: int = Field(default=42, ge=0)


def _previous(duckdb: DuckDBResource, manifest: dict) -> pl.DataFrame:
    if not manifest:
        return pl.DataFrame()
    with duckdb.get_connection() as con:
        if not table_exists(con, "enrich.note_clusters"):
            return pl.DataFrame()
        return con.sql("SELECT * FROM enrich.note_clusters WHERE model_version = ?",
                       params=[manifest["model_version"]]).pl()


@dg.multi_asset(
    specs=[
        dg.AssetSpec(MODEL_KEY, deps=[dg.AssetKey(["raw", "notes"])], kinds={"python"},
                     description="BERTopic model over the current notes (latest crawl of each), saved with safetensors."),
        dg.AssetSpec(INFO_KEY, deps=[MODEL_KEY], kinds={"duckdb"},
                     description="One row per topic: size, name, top words, representative note."),
        dg.AssetSpec(CLUSTERS_KEY, deps=[MODEL_KEY], kinds={"duckdb"},
                     description="One row per current note: topic, model_version, assigned_by (fit | transform)."),
    ],
    pool=DUCKDB_POOL,
    group_name="topics",
)
def topic_model(context: dg.AssetExecutionContext, config: TopicModelRun, duckdb: DuckDBResource,
                rednote: RednoteData, topic_labeller: TopicLabeller):
    settings = topic_labeller.settings
    model_dir = rednote.paths.models / "topic_model"
    manifest_path = model_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}

    df, docs = documents_of(duckdb, LATEST_CRAWL_FILTER, [])  # sorted by note_id: UMAP depends on order
    ids, texts = df["note_id"].to_list(), [d.text for d in docs]
    embedder = embedder_for(duckdb, settings, rednote.paths.models)
    embeddings = embedder.encode(texts)
    context.log.info(f"{len(ids)} current notes; {embedder.encoded} embedded now, the rest from enrich.text_embeddings")

    previous = _previous(duckdb, manifest)
    if manifest.get("embedding_model_revision") not in (None, embedder.model_revision):
        previous = pl.DataFrame()  # embeddings from another model: the old fit cannot place new notes
    fitted_ids = previous.filter(pl.col("assigned_by") == "fit")["note_id"].to_list() if previous.height else []
    plan = plan_assignment(ids, fitted_ids, config.refit_threshold, force_refit=config.refit or not fitted_ids)
    cfg = TopicModelConfig(seed=config.seed, min_cluster_size=config.min_cluster_size,
                           refit_threshold=config.refit_threshold, embedding_model=embedder.model_id)

    if plan.refit:
        fit = fit_topic_model(texts, embeddings, cfg, doc_ids=ids)
        version = fit.model_version
        if model_dir.exists():
            shutil.rmtree(model_dir)
        save_topic_model(fit.model, model_dir, embedder.model_id)
        manifest = {"model_version": version, "fitted_notes": len(ids), "embedding_model": embedder.model_id,
                    "embedding_model_revision": embedder.model_revision, "config": cfg.__dict__ | {"nr_topics": str(cfg.nr_topics)}}
        manifest_path.write_text(json.dumps(manifest, indent=2, default=str))
        clusters = note_clusters_frame(ids, fit.topics, version, "fit")
        info = fit.topic_info
        outliers_before = fit.n_outliers_before_reduction
        context.log.info(f"refitted BERTopic over {len(ids)} notes: {info.height} topics, version {version}")
    else:
        version = manifest["model_version"]
        position = {n: i for i, n in enumerate(ids)}
        new_idx = [position[n] for n in plan.transform]
        model = load_topic_model(model_dir)
        new_topics = assign_topics(model, [texts[i] for i in new_idx], embeddings[new_idx]) if new_idx else []
        kept = previous.filter(pl.col("note_id").is_in(plan.keep))
        clusters = pl.concat([kept.select("note_id", "topic", "model_version", "assigned_by"),
                              note_clusters_frame(plan.transform, new_topics, version, "transform")]).sort("note_id")
        with duckdb.get_connection() as con:
            info = con.sql("SELECT * FROM enrich.topic_info").pl()
        outliers_before = 0
        context.log.info(f"kept {kept.height} fitted notes, assigned {len(new_idx)} new notes with transform "
                         f"({plan.share_new:.1%} new; refit above {config.refit_threshold:.0%})")

    names = dict(zip(info["topic"].to_list(), info["name"].to_list()))
    clusters = clusters.with_columns(pl.col("topic").replace_strict(names, default=None, return_dtype=pl.String).alias("topic_name"))
    info_table = info.with_columns(pl.lit(version).alias("model_version"))
    with duckdb.get_connection() as con:
        replace_partitions(con, [
            PartitionWrite("enrich.topic_info", info_table.to_arrow(), {}),
            PartitionWrite("enrich.note_clusters", clusters.to_arrow(), {}),
            embeddings_write(embedder),
        ])

    sizes = clusters.group_by("topic").len("notes").sort("notes", descending=True)
    yield dg.MaterializeResult(asset_key=MODEL_KEY, metadata={
        "model_version": dg.MetadataValue.text(version),
        "refitted": dg.MetadataValue.bool(plan.refit),
        "share_new_notes": dg.MetadataValue.float(round(plan.share_new, 4)),
        "embedding_model": dg.MetadataValue.text(f"{embedder.model_id}@{embedder.model_revision}"),
        "path": dg.MetadataValue.path(str(model_dir)),
        "outliers_before_reduction": dg.MetadataValue.int(int(outliers_before)),
    })
    yield dg.MaterializeResult(asset_key=INFO_KEY, metadata={
        "topics": dg.MetadataValue.int(info_table.height),
        "topic_info": dg.MetadataValue.md(markdown_table(info_table.select("topic", "size", "name", pl.col("top_words").list.join(", ")), max_rows=30)),
        "dagster/row_count": dg.MetadataValue.int(info_table.height),
    })
    yield dg.MaterializeResult(asset_key=CLUSTERS_KEY, metadata={
        "dagster/row_count": dg.MetadataValue.int(clusters.height),
        "assigned_by_transform": dg.MetadataValue.int(int((clusters["assigned_by"] == "transform").sum())),
        "largest_topics": dg.MetadataValue.md(markdown_table(sizes.head(10))),
        "mean_vector_norm": dg.MetadataValue.float(round(float(np.linalg.norm(embeddings, axis=1).mean()), 4) if len(ids) else 0.0),
    })
