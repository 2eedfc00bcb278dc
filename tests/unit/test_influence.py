"""Entropy weight method (Feng et al. §6.1) against hand-computed values, degenerate inputs, and
the high / low / inactive tiers per phase."""

import math

import numpy as np
import polars as pl
import pytest

from rednote_dagster.lib.influence import (
    entropy_detail,
    entropy_scores,
    entropy_weights,
    high_count,
    influence_tiers,
    tier_counts,
)


def test_ewm_three_users_by_hand():
    # indicator 1: [0, 5, 10] -> min-max [0, 0.5, 1]; sum 1.5 -> p = [0, 1/3, 2/3]
    #   e1 = -(1/ln 3)(0 + 1/3 ln 1/3 + 2/3 ln 2/3) = (0.3662041 + 0.2703101) / 1.0986123 = 0.5793802
    #   d1 = 0.4206198
    # indicator 2: [2, 4, 2] -> [0, 1, 0] -> p = [0, 1, 0] -> e2 = 0 (0 ln 0 = 0, 1 ln 1 = 0), d2 = 1
    # indicator 3: [7, 7, 7] constant -> normalized 0, weight 0
    # w = [0.4206198, 1, 0] / 1.4206198 = [0.2960819, 0.7039181, 0]
    # S = [0, 0.5 * 0.2960819 + 0.7039181, 0.2960819] = [0, 0.8519590, 0.2960819]
    m = [[0, 2, 7], [5, 4, 7], [10, 2, 7]]
    weights, normalized = entropy_weights(m)
    np.testing.assert_allclose(weights, [0.2960819, 0.7039181, 0.0], atol=1e-6)
    np.testing.assert_allclose(normalized, [[0, 0, 0], [0.5, 1, 0], [1, 0, 0]])
    np.testing.assert_allclose(entropy_scores(m), [0.0, 0.8519590, 0.2960819], atol=1e-6)
    detail = entropy_detail(m)
    assert detail.entropy[0] == pytest.approx(0.5793802, abs=1e-6)
    assert detail.entropy[1] == pytest.approx(0.0, abs=1e-12)
    assert math.isnan(detail.entropy[2]) and detail.constant.tolist() == [False, False, True]


def test_ewm_four_users_by_hand():
    # x: [1, 2, 3, 5] -> [0, .25, .5, 1], sum 1.75 -> p = [0, 1/7, 2/7, 4/7]
    #   e = (1/7 ln 7 + 2/7 ln 3.5 + 4/7 ln 1.75) / ln 4
    #     = (0.2779872 + 0.3579323 + 0.3197805) / 1.3862944 = 0.6893917, d = 0.3106083
    # y: [10, 10, 0, 10] -> [1, 1, 0, 1] -> p = [1/3, 1/3, 0, 1/3] -> e = ln 3 / ln 4 = 0.7924813, d = 0.2075187
    # w = [0.3106083, 0.2075187] / 0.5181270 = [0.5994829, 0.4005171]
    # S = [0.4005171, 0.25 w_x + w_y = 0.5503879, 0.5 w_x = 0.2997414, 1]
    m = np.array([[1, 10], [2, 10], [3, 0], [5, 10]])
    weights, _ = entropy_weights(m)
    np.testing.assert_allclose(weights, [0.5994829, 0.4005171], atol=1e-6)
    np.testing.assert_allclose(entropy_scores(m), [0.4005171, 0.5503879, 0.2997414, 1.0], atol=1e-6)
    # the literal arithmetic with math.log, independent of numpy
    e = -(1 / math.log(4)) * sum(p * math.log(p) for p in (1 / 7, 2 / 7, 4 / 7))
    assert entropy_detail(m).entropy[0] == pytest.approx(e, rel=1e-12)


def test_ewm_is_scale_invariant_and_weights_sum_to_one():
    rng = np.random.default_rng(1)
    m = rng.lognormal(size=(50, 4))
    w, _ = entropy_weights(m)
    assert w.sum() == pytest.approx(1.0) and (w > 0).all()
    w2, _ = entropy_weights(m * [1, 10, 1000, 0.01] + [0, 5, 0, 3])  # min-max removes scale and shift
    np.testing.assert_allclose(w, w2, rtol=1e-9)


@pytest.mark.parametrize("m", [[[3, 4, 5]], [[1, 2], [1, 2], [1, 2]]])
def test_ewm_all_constant_gives_equal_weights_and_zero_scores(m):
    detail = entropy_detail(m)
    assert detail.degenerate
    np.testing.assert_allclose(detail.weights, np.full(len(m[0]), 1 / len(m[0])))
    assert (detail.scores == 0).all()


def test_ewm_empty_and_bad_inputs():
    w, normalized = entropy_weights(np.zeros((0, 4)))
    np.testing.assert_allclose(w, [0.25] * 4)
    assert normalized.shape == (0, 4)
    with pytest.raises(ValueError):
        entropy_weights([[1.0, float("nan")], [2.0, 3.0]])
    with pytest.raises(ValueError):
        entropy_weights([1, 2, 3])


def test_high_count_is_ceil():
    assert [high_count(n, 0.25) for n in (0, 1, 4, 5, 8, 9)] == [0, 1, 1, 2, 2, 3]
    assert high_count(10, 0.3) == 3  # not 4 from 0.3 * 10 = 3.0000000000000004


def _activity(rows):
    return pl.DataFrame(
        rows,
        schema={
            "author_key": pl.String,
            "phase": pl.String,
            "notes": pl.Int64,
            "followers": pl.Int64,
            "likes": pl.Int64,
            "collects": pl.Int64,
            "comments": pl.Int64,
            "shares": pl.Int64,
        },
        orient="row",
    )


def test_tiers_top_quarter_inactive_and_per_phase():
    rows = []
    # surge: 9 active users u0..u8, engagement rising with i, plus u9 with only 2 notes (inactive)
    for i in range(9):
        rows.append((f"u{i}", "surge", 5, 100 * i, 10 * i, 3 * i, i, 0))
    rows.append(("u9", "surge", 2, 10_000, 10_000, 10_000, 10_000, 0))
    # pre_ban: the order is reversed and only u0..u3 are active
    for i in range(4):
        rows.append((f"u{i}", "pre_ban", 3, 100 * i, 100 - 10 * i, 50 - i, 9 - i, 0))
    result = influence_tiers(_activity(rows))
    users = result.users

    surge = users.filter(pl.col("phase") == "surge")
    assert surge.filter(pl.col("tier") == "high")["author_key"].sort().to_list() == ["u6", "u7", "u8"]  # ceil(9/4)
    assert surge.filter(pl.col("author_key") == "u9").row(0, named=True)["tier"] == "inactive"
    assert surge.filter(pl.col("author_key") == "u9")["influence_score"][0] is None
    assert surge.filter(pl.col("author_key") == "u8")["rank"][0] == 1
    assert surge.filter(pl.col("author_key") == "u8")["influence_score"][0] == pytest.approx(1.0)
    assert surge.filter(pl.col("author_key") == "u0")["influence_score"][0] == pytest.approx(0.0)

    pre = users.filter(pl.col("phase") == "pre_ban")
    # u0 leads on likes/collects/comments, u3 on followers: the EWM decides; ceil(4/4) = 1 high
    assert pre.filter(pl.col("tier") == "high").height == 1
    assert pre.filter(pl.col("tier") == "inactive")["author_key"].sort().to_list() == [f"u{i}" for i in range(4, 10)]
    # every author appears in every phase: absent ones are inactive with 0 notes
    assert users.group_by("phase").len().sort("phase")["len"].to_list() == [10, 10, 10]
    stab = users.filter(pl.col("phase") == "stabilization")
    assert set(stab["tier"]) == {"inactive"} and set(stab["notes"]) == {0}
    counts = tier_counts(users)
    assert counts.filter(pl.col("phase") == "surge").row(0, named=True) == {
        "phase": "surge",
        "high": 3,
        "low": 6,
        "inactive": 1,
    }
    w = result.weights.filter(pl.col("phase") == "surge")
    assert w["weight"].sum() == pytest.approx(1.0) and set(w["n_active"]) == {9}


def test_tiers_weights_use_only_active_users_of_the_phase():
    rows = [
        ("a", "surge", 3, 10, 1, 1, 1, 0),
        ("b", "surge", 3, 20, 5, 2, 1, 0),
        ("c", "surge", 4, 30, 2, 9, 1, 0),
        ("z", "surge", 1, 10**9, 10**9, 10**9, 10**9, 0),
    ]  # inactive giant must not move the min-max
    result = influence_tiers(_activity(rows))
    # the expected scores: the EWM over the three active users only; comments are constant -> weight 0
    expected = entropy_scores([[10, 1, 1, 1], [20, 5, 1, 2], [30, 2, 1, 9]])  # followers, likes, comments, collects
    got = result.users.filter((pl.col("phase") == "surge") & (pl.col("tier") != "inactive")).sort("author_key")
    np.testing.assert_allclose(got["influence_score"].to_numpy(), expected)
    w = dict(result.weights.filter(pl.col("phase") == "surge").select("indicator", "weight").iter_rows())
    assert w["comments"] == 0.0


def test_tiers_ties_by_author_key_and_null_followers():
    rows = [(k, "all", 5, None, 7, 7, 7, 0) for k in ("d", "b", "a", "c")]
    users = influence_tiers(_activity(rows)).users.filter(pl.col("phase") == "all")
    assert users["author_key"].to_list() == ["a", "b", "c", "d"] and users["rank"].to_list() == [1, 2, 3, 4]
    assert users.filter(pl.col("tier") == "high")["author_key"].to_list() == ["a"]
    assert users["followers"].null_count() == 4  # NULL kept in the output, scored as 0


def test_tiers_reject_duplicates_and_missing_columns():
    with pytest.raises(ValueError, match="duplicate"):
        influence_tiers(_activity([("a", "surge", 3, 1, 1, 1, 1, 0), ("a", "surge", 4, 1, 1, 1, 1, 0)]))
    with pytest.raises(ValueError, match="lacks columns"):
        influence_tiers(pl.DataFrame({"author_key": ["a"], "phase": ["surge"]}))
