"""χ² test of tier × sentiment (scipy parity, Cramér's V, seeded sampling after the confidence
filter, expected-count rule), Figure 5's category engagement, and the analysis assets end to end
on a small warehouse."""

import datetime as dt
import math

import dagster as dg
import duckdb
import numpy as np
import polars as pl
import pytest
from scipy import stats

from rednote_dagster.lib.influence import entropy_scores
from rednote_dagster.lib.statistics import SCORES, category_engagement, sample_per_group, sentiment_chi_square


def notes_from_table(table, passes=True, start=0):
    """One note per count: rows high, low; columns scores −2..2."""
    rows, i = [], start
    for tier, counts in zip(("high", "low"), table):
        for score, n in zip(SCORES, counts):
            for _ in range(n):
                rows.append({"note_id": f"n{i:06d}", "tier": tier, "score": score, "passes_confidence": passes})
                i += 1
    return pl.DataFrame(
        rows, schema={"note_id": pl.String, "tier": pl.String, "score": pl.Int64, "passes_confidence": pl.Boolean}
    )


TABLE = [[10, 20, 30, 25, 15], [20, 25, 30, 15, 10]]


def test_chi_square_equals_scipy_and_cramers_v_by_hand():
    result, table = sentiment_chi_square(notes_from_table(TABLE), per_group=1000, n_resamples=199)
    ref = stats.chi2_contingency(np.array(TABLE))
    assert result.statistic == pytest.approx(ref.statistic) and result.p_value == pytest.approx(ref.pvalue)
    assert result.dof == 4 and not result.yates_applied
    # V = sqrt(χ² / (N · (min(r, c) − 1))) = sqrt(χ² / 200)
    assert result.cramers_v == pytest.approx(math.sqrt(ref.statistic / 200))
    assert (result.n_high, result.n_low, result.n_high_available, result.n_low_available) == (100, 100, 100, 100)
    assert table["observed"].to_list() == TABLE[0] + TABLE[1]
    np.testing.assert_allclose(table["expected"].to_numpy(), ref.expected_freq.ravel())
    assert result.warning is None and result.rule_passed
    assert 0 < result.p_value_permutation <= 1
    assert result.apa().startswith(f"χ²(4, N = 200) = {ref.statistic:.2f}, p ")


def test_sampling_is_deterministic_and_order_free():
    notes = notes_from_table([[200, 200, 200, 200, 200], [100, 150, 300, 150, 100]])
    a, avail = sample_per_group(notes, 400, seed=7)
    b, _ = sample_per_group(notes.sample(fraction=1.0, shuffle=True, seed=3), 400, seed=7)
    c, _ = sample_per_group(notes, 400, seed=8)
    assert avail == {"high": 1000, "low": 800}
    assert a["note_id"].to_list() == b["note_id"].to_list()
    assert a["note_id"].to_list() != c["note_id"].to_list()
    assert a.group_by("tier").len().sort("tier")["len"].to_list() == [400, 400]
    assert a["note_id"].n_unique() == 800  # without replacement
    r1, _ = sentiment_chi_square(notes, seed=7, n_resamples=99)
    r2, _ = sentiment_chi_square(notes.reverse(), seed=7, n_resamples=99)
    assert r1.statistic == r2.statistic and r1.p_value_permutation == r2.p_value_permutation


def test_confidence_filter_applies_before_sampling():
    # high: 600 confident notes (scores −1..2) and 600 unconfident ones all at −2
    confident = notes_from_table([[0, 150, 150, 150, 150], [0, 150, 150, 150, 150]])
    unconfident = notes_from_table([[600, 0, 0, 0, 0], [600, 0, 0, 0, 0]], passes=False, start=10_000)
    result, table = sentiment_chi_square(pl.concat([confident, unconfident]), per_group=400, n_resamples=99)
    # filtering after sampling would draw ~200 per group; filtering first draws 400 confident ones
    assert (result.n_high, result.n_low) == (400, 400)
    assert (result.n_high_available, result.n_low_available) == (600, 600)
    assert result.dropped_scores == [-2]
    dropped = table.filter(pl.col("score") == -2)
    assert dropped["observed"].to_list() == [0, 0] and dropped["expected"].null_count() == 2
    assert result.dof == 3 and result.cells == 8


def test_expected_count_warning_on_sparse_table():
    sparse = [[1, 3, 40, 30, 26], [0, 2, 45, 30, 23]]  # −2 and −1 columns: expected 0.5 and 2.5
    result, _ = sentiment_chi_square(notes_from_table(sparse), n_resamples=199)
    assert result.cells_expected_below_5 == 4 and result.cells_expected_below_1 == 2
    assert result.min_expected == pytest.approx(0.5)
    assert not result.rule_passed and "expected-count rule failed" in result.warning
    assert "high/-2: 0.50" in result.warning
    # two cells below 5 out of 10 (exactly 20 %) and none below 1 is allowed
    ok, _ = sentiment_chi_square(notes_from_table([[4, 20, 40, 30, 26], [4, 22, 45, 30, 23]]), n_resamples=99)
    assert ok.cells_expected_below_5 == 2 and ok.warning is None


def test_chi_square_not_computed_without_a_group():
    result, table = sentiment_chi_square(notes_from_table([[5, 5, 5, 5, 5], [0, 0, 0, 0, 0]]))
    assert result.statistic is None and not result.rule_passed and "no notes" in result.warning
    assert table.height == 10 and table["expected"].null_count() == 10


def labelled(rows):
    return pl.DataFrame(
        rows,
        schema={
            "phase": pl.String,
            "tier": pl.String,
            "code": pl.String,
            "code_name": pl.String,
            "liked_count": pl.Int64,
            "collected_count": pl.Int64,
            "comment_count": pl.Int64,
            "share_count": pl.Int64,
        },
        orient="row",
    )


def test_category_engagement_uses_the_entropy_weights_on_means():
    rows = [
        ("surge", "high", "1", "Self", 10, 1, 1, 0),
        ("surge", "high", "1", "Self", 30, 3, 1, 2),  # means 20, 2, 1, 1
        ("surge", "high", "2", "Food", 100, 5, 3, 1),
        ("surge", "high", "3", "Arts", 0, 0, 0, 0),
        ("surge", "low", "3", "Arts", 10**6, 10**6, 10**6, 10**6),  # other tier: ignored
        ("surge", "high", None, None, 10**6, 0, 0, 0),  # uncategorised: ignored
        ("pre_ban", "high", "3", "Arts", 5, 5, 5, 5),
    ]
    table = category_engagement(labelled(rows))
    surge = table.filter(pl.col("phase") == "surge").sort("code")
    # rows: codes 1, 2, 3; columns likes, collects, comments, shares (means per note)
    expected = entropy_scores([[20, 2, 1, 1], [100, 5, 3, 1], [0, 0, 0, 0]])
    np.testing.assert_allclose(surge["engagement_score"].to_numpy(), expected)
    assert surge["notes"].to_list() == [2, 1, 1]
    assert surge.sort("rank")["code_name"].to_list() == ["Food", "Self", "Arts"]
    pre = table.filter(pl.col("phase") == "pre_ban")
    assert pre.height == 1 and pre["engagement_score"][0] == 0.0  # a lone code: degenerate, score 0
    assert table["phase"].to_list()[0] == "pre_ban"  # phase order, not alphabetical


# -- the assets on a small warehouse ----------------------------------------------------------------
def build_warehouse(path):
    rng = np.random.default_rng(0)
    authors = [f"a{i:02d}" for i in range(40)]
    activity, notes, k = [], [], 0
    for phase, start in (
        ("pre_ban", dt.date(2025, 1, 5)),
        ("surge", dt.date(2025, 2, 1)),
        ("stabilization", dt.date(2025, 5, 1)),
    ):
        for i, author in enumerate(authors):
            n = int(rng.integers(0, 8))
            for _ in range(n):
                notes.append(
                    {
                        "note_id": f"n{k:05d}",
                        "author_key": author,
                        "ny_date": start,
                        "phase": phase,
                        "code": "1a",
                        "code_name": "x",
                        "category": str(1 + k % 7),
                        "category_name": f"c{1 + k % 7}",
                        "score": int(rng.integers(-2, 3)),
                        "label": "x",
                        "passes_confidence": bool(rng.random() < 0.8),
                        "liked_count": int(rng.integers(0, 100)) * (1 + i),
                        "collected_count": int(rng.integers(0, 20)),
                        "comment_count": int(rng.integers(0, 10)),
                        "share_count": int(rng.integers(0, 5)),
                    }
                )
                k += 1
    notes = pl.DataFrame(notes)
    for phase_expr in (pl.col("phase"), pl.lit("all")):
        activity.append(
            notes.group_by("author_key", phase_expr.alias("phase")).agg(
                pl.len().cast(pl.Int64).alias("notes"),
                pl.col("liked_count").sum().alias("likes"),
                pl.col("collected_count").sum().alias("collects"),
                pl.col("comment_count").sum().alias("comments"),
                pl.col("share_count").sum().alias("shares"),
            )
        )
    activity = pl.concat(activity).with_columns(
        pl.when(pl.col("author_key") == "a00")
        .then(None)
        .otherwise(pl.col("author_key").str.slice(1).cast(pl.Int64) * 10)
        .alias("followers")
    )
    daily = pl.DataFrame({"ny_date": [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(150)]}).with_columns(
        pl.Series("notes", [5 + i if i < 18 else 500 if i == 18 else (3 if i == 93 else 40) for i in range(150)]),
        pl.lit("x").alias("phase"),
    )
    with duckdb.connect(str(path)) as con:
        for schema in ("intermediate", "marts"):
            con.execute(f"CREATE SCHEMA {schema}")
        con.register("a", activity.to_arrow())
        con.execute("CREATE TABLE intermediate.int_author_phase_activity AS SELECT * FROM a")
        con.register("b", notes.to_arrow())
        con.execute("CREATE TABLE intermediate.int_notes_raw AS SELECT * FROM b")
        con.register("c", daily.to_arrow())
        con.execute("CREATE TABLE marts.daily_note_counts AS SELECT * FROM c")
    return activity


def test_analysis_assets_materialize(data_root):
    from rednote_dagster.defs.analysis.influence import user_influence
    from rednote_dagster.defs.analysis.statistics import category_engagement as engagement_asset
    from rednote_dagster.defs.analysis.statistics import sentiment_chi_square as chi_asset
    from rednote_dagster.defs.analysis.timeline import phase_breakpoints
    from rednote_dagster.defs.resources import build_resources
    from rednote_dagster.lib.settings import DataPaths

    paths = DataPaths(data_root)
    build_warehouse(paths.warehouse)
    resources = build_resources(paths)
    assert dg.materialize([user_influence], resources=resources).success
    # the dbt view joins the tiers back onto the notes; emulate it here
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute("""CREATE TABLE intermediate.int_notes_labelled AS
            SELECT n.*, u.tier FROM intermediate.int_notes_raw n
            JOIN analysis.user_influence u USING (author_key, phase)""")
    result = dg.materialize([chi_asset, engagement_asset, phase_breakpoints], resources=resources)
    assert result.success
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks["detected_matches_configured"].passed  # Jan 19 peak, Apr 4 trough in the fixture

    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        tiers = con.sql("SELECT phase, tier, count(*) FROM analysis.user_influence GROUP BY ALL").fetchall()
        chi = con.sql("SELECT n_high, n_low, dof, statistic, report FROM analysis.sentiment_chi_square").fetchall()
        cells = con.sql("SELECT count(*), sum(observed) FROM analysis.sentiment_chi_square_table").fetchall()
        weights = con.sql("SELECT phase, sum(weight) FROM analysis.user_influence_weights GROUP BY phase").fetchall()
        breaks = con.sql(
            "SELECT boundary, detected_date FROM analysis.phase_breakpoints WHERE method = 'peak_trough' "
            "ORDER BY boundary"
        ).fetchall()
        engagement = con.sql("SELECT count(DISTINCT phase), min(rank) FROM analysis.category_engagement").fetchall()
    counts = {(p, t): n for p, t, n in tiers}
    for phase in ("pre_ban", "surge", "stabilization", "all"):
        active = counts.get((phase, "high"), 0) + counts.get((phase, "low"), 0)
        assert counts.get((phase, "high"), 0) == math.ceil(active / 4)
    n_high, n_low, dof, statistic, report = chi[0]
    assert dof == 4 and statistic > 0 and report.startswith("χ²(4, N = ")
    assert cells == [(10, n_high + n_low)]
    assert all(s == pytest.approx(1.0) for _, s in weights)
    assert breaks == [("stabilization_start", dt.date(2025, 4, 4)), ("surge_start", dt.date(2025, 1, 19))]
    assert engagement == [(3, 1)]
    # idempotent: a second run replaces the tables instead of appending
    assert dg.materialize([user_influence], resources=resources).success
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM analysis.user_influence").fetchall() == [(sum(counts.values()),)]


def test_crosstab_chi_square_drops_empty_levels_and_matches_scipy():
    from rednote_dagster.lib.statistics import crosstab_chi_square

    counts = pl.DataFrame(
        {
            "topic_group": ["political", "political", "cultural", "cultural", "appearance", "appearance", "other"],
            "emotion": ["anger", "pride", "anger", "joy", "joy", "anger", "joy"],
            "comments": [40, 30, 10, 50, 25, 5, 0],  # 'other' has no comments: dropped, not an expected-0 row
        }
    )
    result = crosstab_chi_square(counts, "topic_group", "emotion", "comments", n_resamples=999)
    observed = [[5, 25, 0], [10, 50, 0], [40, 0, 30]]  # rows appearance, cultural, political; anger, joy, pride
    reference = stats.chi2_contingency(observed)
    assert result["rows"] == "appearance, cultural, political" and result["columns"] == "anger, joy, pride"
    assert result["n"] == 160 and result["dof"] == 4
    assert result["statistic"] == pytest.approx(reference.statistic)
    assert result["p_value"] == pytest.approx(reference.pvalue)
    assert result["report"].startswith("χ²(4, N = 160) = ")
    assert 0 <= result["p_value_permutation"] <= 1

    one_level = crosstab_chi_square(
        counts.filter(pl.col("topic_group") == "political"), "topic_group", "emotion", "comments"
    )
    assert one_level["statistic"] is None and "fewer than two topic_group levels" in one_level["warning"]


def test_permutation_p_value_agrees_with_scipys_shuffling():
    from rednote_dagster.lib.statistics import permutation_p_value

    for observed in ([[12, 5, 3], [7, 9, 4]], [[30, 28, 2], [25, 33, 4]]):  # dependent, then near independence
        shuffled = stats.chi2_contingency(
            np.array(observed), correction=False, method=stats.PermutationMethod(n_resamples=4999, rng=1)
        ).pvalue
        assert permutation_p_value(np.array(observed), 4999, seed=1) == pytest.approx(shuffled, abs=0.03)
    # 290,000 observations: no simulated table reaches the observed statistic
    assert permutation_p_value(np.array([[120_000, 30_000], [80_000, 60_000]]), 9999) == pytest.approx(1 / 10_000)
