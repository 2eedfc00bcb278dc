"""The Jing & Zhang (2026) sampling frame: hashtag quotas, ranked posts, attached comments."""

import datetime as dt

import polars as pl
import pytest

from rednote_dagster.lib.apportion import largest_remainder
from rednote_dagster.lib.sampling import (
    allocate_quotas,
    attach_comments,
    hashtags_of,
    sample_posts,
    with_hashtags,
)

# Jing & Zhang §3: discussion volumes as of May 1, 2025 and the quotas they drew for 200 posts.
PAPER_VOLUMES = {"#猫税": 1.454e6, "#tiktokrefugees": 3.284e6, "#cattax": 46.225e6, "#tiktokrefugee": 1.719e6}


def test_the_papers_quotas_are_reproduced_exactly():
    quotas = allocate_quotas(PAPER_VOLUMES, 200)
    assert quotas["hashtag"].to_list() == list(PAPER_VOLUMES)
    assert quotas["quota"].to_list() == [6, 12, 175, 7]
    assert quotas["quota"].sum() == 200
    assert quotas["exact"].round(2).to_list() == [5.52, 12.47, 175.49, 6.53]
    assert quotas["share"].sum() == pytest.approx(1.0)


def test_largest_remainder_always_sums_and_breaks_ties_by_position():
    assert largest_remainder(3, [1, 1]) == [2, 1]
    assert largest_remainder(10, [0.2, 0.2, 0.6]) == [2, 2, 6]
    assert largest_remainder(0, [5, 3]) == [0, 0]
    for n in range(0, 60, 7):
        assert sum(largest_remainder(n, [3.3, 1.1, 0.05, 7.7])) == n


def test_allocate_quotas_accepts_a_frame_and_rejects_bad_input():
    frame = pl.DataFrame({"hashtag": ["a", "b"], "volume": [1, 3]})
    assert allocate_quotas(frame, 8)["quota"].to_list() == [2, 6]
    with pytest.raises(ValueError):
        allocate_quotas({"a": 0, "b": 0}, 5)
    with pytest.raises(ValueError):
        allocate_quotas({"a": -1, "b": 3}, 5)
    with pytest.raises(ValueError):
        allocate_quotas({"#CatTax": 1, "cattax": 2}, 5)  # the same hashtag twice
    with pytest.raises(ValueError):
        allocate_quotas({}, 5)


def test_hashtags_come_from_the_topic_markup_case_folded():
    text = "my cat 🐱\n#CatTax[话题]# #猫税[话题]# #cattax[话题]# #not a topic"
    assert hashtags_of(text) == ["cattax", "猫税"]
    assert hashtags_of(None) == []
    notes = with_hashtags(pl.DataFrame({"note_id": ["a", "b"], "description": [text, None]}))
    assert notes["hashtags"].to_list() == [["cattax", "猫税"], []]


def _notes() -> pl.DataFrame:
    return with_hashtags(
        pl.DataFrame(
            {
                "note_id": ["n1", "n2", "n3", "n4", "n5", "n6"],
                "description": [
                    "#CatTax[话题]#",
                    "#cattax[话题]# #猫税[话题]#",
                    "#猫税[话题]#",
                    "#猫税[话题]#",
                    "#cattax[话题]#",
                    "#other[话题]#",
                ],
                "liked_count": [50, 90, 10, 30, None, 1000],
                "comment_count": [5, 1, 9, 2, 7, 100],
                "collected_count": [1, 2, 3, 4, 5, 6],
            }
        )
    )


def test_posts_are_the_top_ranked_per_hashtag_and_never_taken_twice():
    quotas = allocate_quotas({"猫税": 1, "#CatTax": 1}, 4)  # 2 + 2
    frame = sample_posts(_notes(), quotas, rank_by="likes")
    assert frame.columns == ["hashtag", "rank_in_hashtag", "note_id", "ranked_value"]
    # n2 (90 likes) is the top 猫税 post; #CatTax then takes its next posts instead of n2 again,
    # and n5 (no like count) ranks last
    assert frame.rows() == [
        ("猫税", 1, "n2", 90),
        ("猫税", 2, "n4", 30),
        ("#CatTax", 1, "n1", 50),
        ("#CatTax", 2, "n5", None),
    ]


def test_the_ranking_decides_which_posts_and_a_short_hashtag_gives_what_it_has():
    quotas = allocate_quotas({"猫税": 3, "cattax": 1}, 4)
    by_comments = sample_posts(_notes(), quotas, rank_by="comments")
    assert by_comments.filter(pl.col("hashtag") == "猫税")["note_id"].to_list() == ["n3", "n4", "n2"]
    assert by_comments.filter(pl.col("hashtag") == "cattax")["note_id"].to_list() == ["n5"]
    small = sample_posts(_notes(), allocate_quotas({"other": 1, "missing": 1}, 10), rank_by="collects")
    assert small["note_id"].to_list() == ["n6"]
    with pytest.raises(ValueError):
        sample_posts(_notes(), quotas, rank_by="views")


def test_up_to_fifty_most_liked_top_level_comments_per_post():
    start = dt.datetime(2025, 1, 20, tzinfo=dt.UTC)
    rows = [
        {
            "comment_id": f"c{i:03d}",
            "note_id": "n1",
            "parent_comment_id": None,
            "like_count": i % 60,
            "created_at": start + dt.timedelta(minutes=i),
        }
        for i in range(120)
    ]
    rows += [
        {
            "comment_id": "reply",
            "note_id": "n1",
            "parent_comment_id": "c001",
            "like_count": 10_000,
            "created_at": start,
        },
        {"comment_id": "few", "note_id": "n2", "parent_comment_id": None, "like_count": None, "created_at": start},
        {"comment_id": "unsampled", "note_id": "n9", "parent_comment_id": None, "like_count": 5, "created_at": start},
    ]
    comments = pl.DataFrame(rows, infer_schema_length=None)
    sample = pl.DataFrame({"hashtag": ["a", "a"], "rank_in_hashtag": [1, 2], "note_id": ["n1", "n2"]})
    kept = attach_comments(sample, comments)
    n1 = kept.filter(pl.col("note_id") == "n1").sort("comment_rank")
    assert n1.height == 50 and "reply" not in n1["comment_id"].to_list()
    assert n1["like_count"].to_list()[:2] == [59, 59]
    assert n1["comment_id"].to_list()[:2] == ["c059", "c119"]  # equal likes: the earlier first
    assert n1["like_count"].min() >= 35
    assert kept.filter(pl.col("note_id") == "n2")["comment_id"].to_list() == ["few"]
    assert "unsampled" not in kept["comment_id"].to_list()
    with_replies = attach_comments(sample, comments, per_post=1, top_level_only=False)
    assert with_replies.filter(pl.col("note_id") == "n1")["comment_id"].to_list() == ["reply"]
