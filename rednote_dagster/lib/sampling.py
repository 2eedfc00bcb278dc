"""The hashtag sampling frame of Jing & Zhang (2026, §3), as pure functions over polars frames.

Their procedure: take the hashtags with the most visibility (#猫税, #tiktokrefugees, #cattax,
#tiktokrefugee), allocate the 200 posts of the frame to them in proportion to their discussion
volumes, retrieve each hashtag's posts with RedNote's rankings ("most likes", "most comments",
"most bookmarked"), and keep up to 50 comments per post.

* Quotas (:func:`allocate_quotas`) are largest-remainder (Hamilton) apportionment: each hashtag
  gets the floor of its exact share and the posts left over go to the largest remainders.
  Their example (volumes 1.454M, 3.284M, 46.225M, 1.719M; N = 200; exact shares 5.52, 12.47,
  175.49, 6.53) gives exactly their 6 / 12 / 175 / 7. Sainte-Laguë and plain rounding happen to
  give the same here, but rounding need not sum to N; D'Hondt gives 5 / 12 / 177 / 6 and Adams
  6 / 13 / 174 / 7, so neither is what they used.
* Posts (:func:`sample_posts`): per hashtag, the top ``quota`` posts by the chosen ranking
  (ties: note_id). Hashtags are filled in the order given; a post already taken for an earlier
  hashtag is not taken twice - the later hashtag takes its next-ranked post instead ("when
  duplicate posts appeared under multiple hashtags, supplementary materials were incorporated").
* Comments (:func:`attach_comments`): their "up to 50 analytically significant comments" was a
  reading judgement; a reproducible stand-in is the 50 most-liked top-level comments (ties:
  earliest, then comment_id) - what RedNote's comment section shows first - or all of them when
  a post has fewer. Replies are left out by default because they answer a comment, not the post.

Inputs carry one row per note / comment (e.g. the latest crawl of each); column names follow
``raw.notes`` and ``raw.comments``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import polars as pl

from rednote_dagster.lib.apportion import largest_remainder

# RedNote's three rankings -> the raw.notes column each one orders by.
RANKINGS: dict[str, str] = {"likes": "liked_count", "comments": "comment_count", "collects": "collected_count"}

# MediaCrawler writes a note's topics into its description as "#TikTokRefugee[话题]#".
_TOPIC_TAG = r"#([^#\[\]\n]+?)\[话题\]#"


def normalize_hashtag(tag: str) -> str:
    """How hashtags are compared: without the leading '#' and surrounding space, case-folded
    ("#CatTax" and "cattax" are one hashtag; "#猫税" stays "猫税")."""
    return tag.strip().lstrip("#").strip().casefold()


def hashtags_of(text: str | None) -> list[str]:
    """The normalized topic hashtags of a description, in order of appearance, each once."""
    return list(dict.fromkeys(normalize_hashtag(t) for t in re.findall(_TOPIC_TAG, text or "")))


def with_hashtags(notes: pl.DataFrame, text_col: str = "description") -> pl.DataFrame:
    """``notes`` plus a ``hashtags`` list column: :func:`hashtags_of` of ``text_col``."""
    return notes.with_columns(
        pl.col(text_col).map_elements(hashtags_of, return_dtype=pl.List(pl.String), skip_nulls=False).alias("hashtags")
    )


def allocate_quotas(volumes: Mapping[str, float] | pl.DataFrame, n: int) -> pl.DataFrame:
    """hashtag, volume, share, exact (n × share) and quota (largest remainder; ties go to the
    hashtag listed first), in the order given. ``volumes``: {hashtag: discussion volume} or a
    frame with columns hashtag and volume."""
    frame = (
        pl.DataFrame({"hashtag": list(volumes), "volume": [float(v) for v in volumes.values()]})
        if isinstance(volumes, Mapping)
        else volumes.select("hashtag", pl.col("volume").cast(pl.Float64))
    )
    if frame.height == 0:
        raise ValueError("no hashtags to allocate posts to")
    if frame["volume"].is_null().any() or (frame["volume"] < 0).any() or frame["volume"].sum() <= 0:
        raise ValueError("volumes must be non-negative numbers with a positive total")
    if frame["hashtag"].map_elements(normalize_hashtag, return_dtype=pl.String).is_duplicated().any():
        raise ValueError("a hashtag is listed twice")
    if n < 0:
        raise ValueError("the number of posts must be >= 0")
    quotas = largest_remainder(n, frame["volume"].to_list())
    share = pl.col("volume") / pl.col("volume").sum()
    return frame.with_columns(
        share.alias("share"), (share * n).alias("exact"), pl.Series("quota", quotas, dtype=pl.Int64)
    )


def rank_column(rank_by: str) -> str:
    if rank_by not in RANKINGS:
        raise ValueError(f"rank_by must be one of {sorted(RANKINGS)}, not {rank_by!r}")
    return RANKINGS[rank_by]


def sample_posts(notes: pl.DataFrame, quotas: pl.DataFrame, rank_by: str = "likes") -> pl.DataFrame:
    """The sampling frame: hashtag, rank_in_hashtag (1 = top), note_id, ranked_value.

    ``notes`` needs note_id, a ``hashtags`` list column (see :func:`with_hashtags`) and the
    ranking's count column; ``quotas`` is :func:`allocate_quotas`' output. A hashtag with fewer
    eligible posts than its quota contributes what it has (compare with the quota to see the
    shortfall)."""
    column = rank_column(rank_by)
    ranked = (
        notes.select("note_id", pl.col("hashtags"), pl.col(column).alias("ranked_value"))
        .explode("hashtags")
        .rename({"hashtags": "hashtag"})
        .drop_nulls("hashtag")
        .with_columns(pl.col("hashtag").map_elements(normalize_hashtag, return_dtype=pl.String))
        .unique(["note_id", "hashtag"])
        .sort(["ranked_value", "note_id"], descending=[True, False], nulls_last=True)
    )
    taken: set[str] = set()
    parts = []
    for hashtag, quota in quotas.select("hashtag", "quota").iter_rows():
        candidates = ranked.filter(
            (pl.col("hashtag") == normalize_hashtag(hashtag)) & ~pl.col("note_id").is_in(list(taken))
        )
        chosen = candidates.head(quota).with_columns(pl.lit(hashtag).alias("hashtag"))
        taken.update(chosen["note_id"].to_list())
        parts.append(chosen.with_row_index("rank_in_hashtag", offset=1))
    return pl.concat(parts).select("hashtag", pl.col("rank_in_hashtag").cast(pl.Int64), "note_id", "ranked_value")


def attach_comments(
    sample: pl.DataFrame, comments: pl.DataFrame, per_post: int = 50, top_level_only: bool = True
) -> pl.DataFrame:
    """The comments kept for each sampled post: its ``per_post`` most-liked comments (ties:
    earliest created_at, then comment_id), with ``comment_rank`` (1 = most liked). ``comments``
    needs note_id, comment_id, like_count, created_at and, when ``top_level_only``,
    parent_comment_id (NULL or empty for top-level comments)."""
    pool = comments.filter(pl.col("note_id").is_in(sample["note_id"].implode()))
    if top_level_only:
        pool = pool.filter(pl.col("parent_comment_id").cast(pl.String).fill_null("").is_in(["", "0"]))
    ranked = (
        pool.sort(
            ["note_id", "like_count", "created_at", "comment_id"],
            descending=[False, True, False, False],
            nulls_last=True,
        )
        .with_columns((pl.int_range(pl.len()).over("note_id") + 1).cast(pl.Int64).alias("comment_rank"))
        .filter(pl.col("comment_rank") <= per_post)
    )
    return sample.select("hashtag", "rank_in_hashtag", "note_id").join(ranked, on="note_id", how="inner")
