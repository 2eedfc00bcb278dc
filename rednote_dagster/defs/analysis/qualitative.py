"""Jing & Zhang (2026) and Cheng (2025): the hashtag sampling frame for qualitative coding, and the
weekly timeline of the three stages (cat tax → 对账 → Li Hua letters). Logic in lib/sampling.py and
lib/stages.py; this module reads the current crawl, writes the tables and exports the frame as CSV and XLSX."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource
from pydantic import Field, field_validator, model_validator

from rednote_dagster.defs.report.previews import figure_preview
from rednote_dagster.defs.resources import DUCKDB_POOL, RednoteData
from rednote_dagster.lib.exports import write_for_coders
from rednote_dagster.lib.preview import markdown_table
from rednote_dagster.lib.sampling import (
    RANKINGS,
    allocate_quotas,
    attach_comments,
    normalize_hashtag,
    sample_posts,
    with_hashtags,
)
from rednote_dagster.lib.stages import DEFAULT_MARKERS, MarkerSet, check_markers, peak_weeks, weekly_stage_shares
from rednote_dagster.lib.warehouse import PartitionWrite, replace_partitions

NOTES_CURRENT = dg.AssetKey(["intermediate", "int_notes_current"])
COMMENTS_CURRENT = dg.AssetKey(["intermediate", "int_comments_current"])


class SamplingFrameConfig(dg.Config):
    # Validated when Dagster builds it, before the asset reads anything: a bad value fails the step
    # with a pydantic error naming the field and the value, not a polars error halfway through.
    # Jing & Zhang §3: the four most visible hashtags and their discussion volumes on May 1, 2025.
    hashtags: list[str] = ["猫税", "tiktokrefugees", "cattax", "tiktokrefugee"]
    volumes: list[float] = [1_454_000, 3_284_000, 46_225_000, 1_719_000]
    posts: int = Field(default=200, ge=1)
    rank_by: str = "likes"  # likes | comments | collects (RedNote's three rankings)
    comments_per_post: int = Field(default=50, ge=0)  # 0: a frame of posts without comments

    @field_validator("hashtags")
    @classmethod
    def _hashtags_named_once(cls, hashtags: list[str]) -> list[str]:
        if not hashtags:
            raise ValueError("hashtags: at least one hashtag is needed")
        seen: dict[str, str] = {}
        for tag in hashtags:
            key = normalize_hashtag(tag)
            if not key:
                raise ValueError(f"hashtags: {tag!r} is empty")
            if key in seen:  # "#CatTax" and "cattax" are one hashtag (lib/sampling.normalize_hashtag)
                raise ValueError(f"hashtags: {tag!r} repeats {seen[key]!r}")
            seen[key] = tag
        return hashtags

    @field_validator("volumes")
    @classmethod
    def _volumes_apportionable(cls, volumes: list[float]) -> list[float]:
        bad = [v for v in volumes if not v >= 0 or v == float("inf")]  # `not >=` also catches NaN
        if bad:
            raise ValueError(f"volumes: must be finite and >= 0, got {bad}")
        if volumes and sum(volumes) <= 0:
            raise ValueError(f"volumes: the total must be positive, got {volumes}")
        return volumes

    @field_validator("rank_by")
    @classmethod
    def _known_ranking(cls, rank_by: str) -> str:
        if rank_by not in RANKINGS:
            raise ValueError(f"rank_by: {rank_by!r} is not one of {sorted(RANKINGS)}")
        return rank_by

    @model_validator(mode="after")
    def _one_volume_per_hashtag(self) -> "SamplingFrameConfig":
        if len(self.hashtags) != len(self.volumes):
            raise ValueError(
                f"hashtags ({len(self.hashtags)}) and volumes ({len(self.volumes)}) must have the same length"
            )
        return self


@dg.asset(
    key=["analysis", "sampling_frame"],
    deps=[NOTES_CURRENT, COMMENTS_CURRENT],
    pool=DUCKDB_POOL,
    group_name="analysis",
    kinds={"duckdb", "polars", "csv", "excel"},
    description=(
        "Jing & Zhang's hashtag sampling frame: N posts allocated to the hashtags in proportion to their "
        "discussion volumes (largest remainder: 6 / 12 / 175 / 7 for their volumes and N = 200), the top posts "
        "of each hashtag by likes, comments or collects, and up to 50 most-liked top-level comments per post. "
        "Tables analysis.sampling_frame (+ _quotas, _comments); CSV and XLSX files under reports/sampling_frame/ "
        "for coding (formula-safe)."
    ),
)
def sampling_frame(
    context: dg.AssetExecutionContext, config: SamplingFrameConfig, duckdb: DuckDBResource, rednote: RednoteData
):
    if len(config.hashtags) != len(config.volumes):
        raise dg.Failure("hashtags and volumes must have the same length")
    quotas = allocate_quotas(dict(zip(config.hashtags, config.volumes)), config.posts)
    with duckdb.get_connection() as con:
        notes = con.sql(
            "SELECT note_id, title, description, liked_count, comment_count, collected_count "
            "FROM intermediate.int_notes_current"
        ).pl()
        comments = con.sql(
            "SELECT comment_id, note_id, parent_comment_id, content, like_count, created_at "
            "FROM intermediate.int_comments_current"
        ).pl()
    sample = sample_posts(with_hashtags(notes), quotas, config.rank_by)
    posts = sample.join(notes.select("note_id", "title", "description"), on="note_id", how="left")
    kept = attach_comments(sample, comments, per_post=config.comments_per_post)
    quotas = quotas.join(sample.group_by("hashtag").len("sampled"), on="hashtag", how="left").with_columns(
        pl.col("sampled").fill_null(0).cast(pl.Int64)
    )
    with duckdb.get_connection() as con:
        replace_partitions(
            con,
            [
                PartitionWrite("analysis.sampling_frame", posts.to_arrow(), {}),
                PartitionWrite("analysis.sampling_frame_quotas", quotas.to_arrow(), {}),
                PartitionWrite("analysis.sampling_frame_comments", kept.to_arrow(), {}),
            ],
        )
    out = rednote.paths.reports / "sampling_frame"
    # coders open these in Excel: lib/exports neutralises formula-leading text and writes atomically
    write_for_coders({"posts": posts, "comments": kept}, out)
    short = quotas.filter(pl.col("sampled") < pl.col("quota"))
    if short.height:
        context.log.warning(f"hashtags with fewer eligible posts than their quota: {short['hashtag'].to_list()}")
    return dg.MaterializeResult(
        metadata={
            "quotas": dg.MetadataValue.md(markdown_table(quotas.with_columns(pl.col("share", "exact").round(3)))),
            "posts": dg.MetadataValue.int(posts.height),
            "comments": dg.MetadataValue.int(kept.height),
            "csv": dg.MetadataValue.path(str(out)),
            "dagster/row_count": dg.MetadataValue.int(posts.height),
        }
    )


# stage_timeline groups its shares by this column, so no stage may be named like it
_STAGE_TIMELINE_BY = ("entity",)


class StageMarkersConfig(dg.Config):
    # Validated when Dagster builds it: an empty marker term would match every text and a stage
    # named like a column of the table ("week", "stage", ...) would crash polars.
    # stage name → marker terms, in stage order (lib/stages.py explains the matching rule)
    markers: dict[str, list[str]] = {m.stage: list(m.terms) for m in DEFAULT_MARKERS}
    # a week with fewer texts cannot hold a stage's peak: 2 marked notes of 5 say little about prevalence
    min_week_texts: int = Field(default=20, ge=1)

    @field_validator("markers")
    @classmethod
    def _usable_markers(cls, markers: dict[str, list[str]]) -> dict[str, list[str]]:
        if not markers:
            raise ValueError("markers: at least one stage is needed")
        try:
            check_markers([MarkerSet(stage, tuple(terms)) for stage, terms in markers.items()], by=_STAGE_TIMELINE_BY)
        except ValueError as e:
            raise ValueError(f"markers: {e}") from None
        return markers


@dg.asset(
    key=["analysis", "stage_timeline"],
    deps=[NOTES_CURRENT, COMMENTS_CURRENT],
    pool=DUCKDB_POOL,
    group_name="analysis",
    kinds={"duckdb", "polars"},
    description=(
        "Weekly share of notes and of comments carrying each stage's markers (lib/stages.py: cat tax / 猫税, "
        "对账 / price comparison, Li Hua / 李华; configurable), per New York week: n_texts, n_marked, share; "
        "entity = note | comment. analysis.stage_peaks holds each stage's peak week (weeks with at least "
        "min_week_texts texts): their order is Jing & Zhang's and Cheng's stage sequence."
    ),
)
def stage_timeline(context: dg.AssetExecutionContext, config: StageMarkersConfig, duckdb: DuckDBResource):
    markers = [MarkerSet(stage, tuple(terms)) for stage, terms in config.markers.items()]
    with duckdb.get_connection() as con:
        texts = con.sql("""
            SELECT 'note' AS entity, concat_ws(' ', title, description) AS text, published_at AS created_at
            FROM intermediate.int_notes_current
            UNION ALL
            SELECT 'comment', content, created_at FROM intermediate.int_comments_current""").pl()
    table = weekly_stage_shares(texts, by=["entity"], markers=markers)
    peaks = peak_weeks(table, min_texts=config.min_week_texts, by=["entity"]).sort("entity", "peak_week")
    with duckdb.get_connection() as con:
        replace_partitions(
            con,
            [
                PartitionWrite("analysis.stage_timeline", table.to_arrow(), {}),
                PartitionWrite("analysis.stage_peaks", peaks.to_arrow(), {}),
            ],
        )
        preview = figure_preview(con, "analysis.stage_timeline")
    order = " → ".join(peaks.filter(pl.col("entity") == "note")["stage"].to_list())
    context.log.info(f"stage order by the notes' peak weeks: {order}")
    return dg.MaterializeResult(
        metadata={
            **preview,
            "peak_week_per_stage": dg.MetadataValue.md(markdown_table(peaks)),
            "stage_order_notes": dg.MetadataValue.text(order),
            "dagster/row_count": dg.MetadataValue.int(table.height),
        }
    )
