"""Stage markers (Jing & Zhang 2026): matching rules and the weekly shares."""

import datetime as dt
import re

import polars as pl
import pytest

from rednote_dagster.lib.stages import (
    DEFAULT_MARKERS,
    RESERVED_STAGE_NAMES,
    STAGES,
    MarkerSet,
    mark_stages,
    peak_weeks,
    stages_in,
    weekly_stage_shares,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Here is my cat tax 🐱", ["cat_tax"]),
        ("#CatTax[话题]# #猫税[话题]#", ["cat_tax"]),
        ("交cat tax啦", ["cat_tax"]),  # a Latin term may touch Chinese characters
        ("my CAT-TAX and a dog tax", ["cat_tax"]),
        ("cat taxi", []),
        ("category tax", []),
        ("来对账：这边鸡蛋一块钱一个", ["duizhang"]),
        ("price comparison: milk is $4 here", ["duizhang"]),
        ("Dear Li Hua, this is my letter", ["li_hua"]),
        ("李华终于收到回信了", ["li_hua"]),
        ("#LiHua[话题]#", ["li_hua"]),
        ("Li Huang wrote me a letter", []),  # neither the name nor a bare "letter" counts
        ("cat tax paid. 对账 time. Li Hua says hi", ["cat_tax", "duizhang", "li_hua"]),
        ("", []),
        (None, []),
    ],
)
def test_stages_in(text, expected):
    assert stages_in(text) == expected


def test_marker_sets_are_configurable_and_validated():
    pets = (MarkerSet("pets", ("dog", "狗")),)
    assert stages_in("my dog", pets) == ["pets"] and stages_in("hotdogs", pets) == []
    with pytest.raises(ValueError):
        stages_in("x", (MarkerSet("a", ("x",)), MarkerSet("a", ("y",))))
    with pytest.raises(ValueError):
        stages_in("x", (MarkerSet("a", ()),))


@pytest.mark.parametrize(
    "markers, message",
    [
        ((MarkerSet("pets", ("dog", "")),), "stage 'pets' has an empty marker term ''"),
        ((MarkerSet("pets", ("dog", "  ")),), "stage 'pets' has an empty marker term '  '"),
        ((MarkerSet(" ", ("dog",)),), "a stage name is empty"),
        ((MarkerSet("week", ("dog",)),), "stage name 'week' collides"),
        ((MarkerSet("stage", ("dog",)),), "stage name 'stage' collides"),
        ((MarkerSet("entity", ("dog",)),), "stage name 'entity' collides"),  # a `by` column
    ],
)
def test_unusable_marker_sets_fail_clearly_instead_of_matching_everything_or_crashing(markers, message):
    texts = pl.DataFrame({"entity": ["note"], "text": ["my dog"], "created_at": [dt.datetime(2025, 1, 15)]})
    with pytest.raises(ValueError, match=re.escape(message)):
        weekly_stage_shares(texts, by=["entity"], markers=markers)


def test_every_reserved_name_really_collides_or_confuses():
    # the reserved set is what weekly_stage_shares builds: each name is one of its columns
    texts = pl.DataFrame({"text": ["my dog"], "created_at": [dt.datetime(2025, 1, 15)]})
    assert set(weekly_stage_shares(texts).columns) >= RESERVED_STAGE_NAMES


def test_polars_matching_agrees_with_python_matching():
    texts = ["cat tax", "交cat tax啦", "cat taxi", "对个账", "Li Hua", "LiHua!", "xLi Hua", None]
    marked = mark_stages(pl.DataFrame({"text": texts}))
    for row, text in zip(marked.iter_rows(named=True), texts):
        assert [s for s in STAGES if row[f"stage_{s}"]] == stages_in(text), text


def test_weekly_shares_use_new_york_weeks_and_fill_zeros():
    texts = pl.DataFrame(
        {
            # 03:00 UTC on Monday Jan 20 is still Sunday Jan 19 in New York: the week of Jan 13
            "created_at": [
                dt.datetime(2025, 1, 20, 3),
                dt.datetime(2025, 1, 20, 6),
                dt.datetime(2025, 1, 21, 12),
                dt.datetime(2025, 1, 28, 12),
                None,
            ],
            "text": ["paying my cat tax", "李华", "cat tax and 对账", None, "cat tax"],
            "entity": ["note", "comment", "comment", "note", "note"],
        }
    )
    shares = weekly_stage_shares(texts)
    assert shares.columns == ["week", "stage", "n_texts", "n_marked", "share"]
    assert shares.height == 3 * len(STAGES)
    by_key = {(w, s): (n, m, sh) for w, s, n, m, sh in shares.iter_rows()}
    assert by_key[(dt.date(2025, 1, 13), "cat_tax")] == (1, 1, 1.0)
    assert by_key[(dt.date(2025, 1, 20), "cat_tax")] == (2, 1, 0.5)
    assert by_key[(dt.date(2025, 1, 20), "li_hua")] == (2, 1, 0.5)
    assert by_key[(dt.date(2025, 1, 27), "duizhang")] == (1, 0, 0.0)  # a missing text is unmarked
    per_entity = weekly_stage_shares(texts, by=["entity"])
    assert per_entity.columns == ["week", "entity", "stage", "n_texts", "n_marked", "share"]
    assert per_entity.filter((pl.col("entity") == "comment") & (pl.col("stage") == "duizhang"))["n_marked"].sum() == 1


def test_weekly_shares_take_dates_and_zoned_datetimes():
    dated = pl.DataFrame({"created_at": [dt.date(2025, 2, 5)], "text": ["对账"]})
    assert weekly_stage_shares(dated).filter(pl.col("stage") == "duizhang").row(0) == (
        dt.date(2025, 2, 3),
        "duizhang",
        1,
        1,
        1.0,
    )
    zoned = pl.DataFrame({"created_at": [dt.datetime(2025, 2, 3, 2)], "text": ["x"]}).with_columns(
        pl.col("created_at").dt.replace_time_zone("UTC")
    )
    assert weekly_stage_shares(zoned)["week"].unique().to_list() == [dt.date(2025, 1, 27)]
    with pytest.raises(TypeError):
        weekly_stage_shares(pl.DataFrame({"created_at": ["2025-02-03"], "text": ["x"]}))


def test_default_stage_order_follows_the_paper():
    assert STAGES == ("cat_tax", "duizhang", "li_hua") == tuple(m.stage for m in DEFAULT_MARKERS)


def test_peak_weeks_skip_thin_weeks_and_take_the_earliest_tie():
    weekly = pl.DataFrame(
        {
            "week": [dt.date(2025, 1, 6), dt.date(2025, 1, 13), dt.date(2025, 1, 20), dt.date(2025, 1, 27)] * 2,
            "stage": ["cat_tax"] * 4 + ["li_hua"] * 4,
            "n_texts": [5, 100, 100, 100] * 2,
            "n_marked": [4, 30, 10, 30, 0, 0, 5, 20],
        }
    ).with_columns((pl.col("n_marked") / pl.col("n_texts")).alias("share"))
    peaks = peak_weeks(weekly, min_texts=20)
    assert peaks.columns == ["stage", "peak_week", "peak_share", "n_texts"]
    assert peaks.rows() == [("cat_tax", dt.date(2025, 1, 13), 0.3, 100), ("li_hua", dt.date(2025, 1, 27), 0.2, 100)]
    assert peak_weeks(weekly).filter(pl.col("stage") == "cat_tax")["peak_week"].item() == dt.date(2025, 1, 6)
