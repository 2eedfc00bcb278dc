"""Study 2 statistics: the sentiment χ² test (high vs low influence) and Figure 5's category
engagement score (Feng et al. 2025 §6.3–6.4).

χ² test of independence, tier (high, low) × sentiment score (−2..2):

1. keep the notes that pass the sentiment confidence filter FIRST (then sample), so both
   groups are drawn from the same kind of note and the drawn Ns stay equal;
2. draw up to ``per_group`` (400) notes per group without replacement — deterministic: each
   group is sorted by note_id, then ``numpy.random.default_rng(SeedSequence([seed, g]))``
   chooses (g = 0 for high, 1 for low, so one group's size never shifts the other's draw);
   a group with fewer notes is taken whole (the available and drawn Ns are both reported);
3. the 2×5 observed table over scores −2, −1, 0, 1, 2; a score column that is 0 in both
   groups has expected count 0 and makes the statistic undefined, so it is dropped from the
   test (listed in ``dropped_scores``, kept in the table with observed 0 and expected NULL);
4. ``scipy.stats.chi2_contingency`` (its default Yates correction only acts when dof = 1,
   i.e. never for the full 2×5 table) and Cramér's V from
   ``scipy.stats.contingency.association(method="cramer")``;
5. the expected-count rule (about expected, not observed, counts): Cochran's relaxation — at
   most 20 % of cells below 5 and none below 1. When it fails a warning lists the sparse
   cells, and the permutation p-value (random tables with the observed margins, seeded) — always
   computed — is the one to quote.

Category engagement (Figure 5): for one tier (high), per phase, each taxonomy code's notes
give mean likes, collects, comments and shares per note; the codes of the phase are the rows of
the same entropy weight method as the influence score (``lib.influence.entropy_detail``), so the
score is in [0, 1] and the weakest code on every metric scores 0 (cf. the paper's
"0.00 in the Pre-Ban Phase").
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import polars as pl
from scipy import stats
from scipy.stats.contingency import association

from rednote_dagster.lib.influence import entropy_detail, rank_by_score
from rednote_dagster.lib.phases import PHASES

SCORES: tuple[int, ...] = (-2, -1, 0, 1, 2)
GROUPS: tuple[str, ...] = ("high", "low")
ENGAGEMENT_METRICS: tuple[str, ...] = ("likes", "collects", "comments", "shares")


@dataclass(frozen=True)
class ChiSquareResult:
    statistic: float | None
    p_value: float | None
    dof: int | None
    n_high: int
    n_low: int
    n_high_available: int
    n_low_available: int
    cramers_v: float | None
    min_expected: float | None
    cells_expected_below_5: int
    cells_expected_below_1: int
    cells: int
    p_value_permutation: float | None
    yates_applied: bool
    warning: str | None
    seed: int
    per_group: int
    dropped_scores: list[int] = field(default_factory=list)

    @property
    def n(self) -> int:
        return self.n_high + self.n_low

    @property
    def rule_passed(self) -> bool:
        """At most 20 % of expected counts below 5 and none below 1 (and a test was possible)."""
        return self.statistic is not None and self.warning is None

    def row(self) -> dict:
        """One row for analysis.sentiment_chi_square (dropped scores as text)."""
        out = asdict(self)
        out["dropped_scores"] = ",".join(str(s) for s in self.dropped_scores)
        return out

    def apa(self) -> str:
        """χ²(df, N = n) = x, p = …, V = …"""
        if self.statistic is None:
            return f"χ² not computed (N = {self.n}): {self.warning}"
        return apa_chi_square(self.statistic, self.dof, self.n, self.p_value, self.cramers_v)


def apa_chi_square(statistic: float, dof: int, n: int, p_value: float, cramers_v: float) -> str:
    """χ²(df, N = n) = x, p = …, V = …"""
    p = "< .001" if p_value < 0.001 else f"= {p_value:.3f}".replace("0.", ".", 1)
    return f"χ²({dof}, N = {n}) = {statistic:.2f}, p {p}, V = {cramers_v:.3f}"


def sample_per_group(
    notes: pl.DataFrame, per_group: int = 400, seed: int = 0, groups: tuple[str, ...] = GROUPS
) -> tuple[pl.DataFrame, dict[str, int]]:
    """(drawn notes, available count per group): up to ``per_group`` per tier without
    replacement, deterministic for a given seed and set of notes (input order does not matter)."""
    drawn, available = [], {}
    for g, group in enumerate(groups):
        pool = notes.filter(pl.col("tier") == group).sort("note_id")
        available[group] = pool.height
        if pool.height > per_group:
            rng = np.random.default_rng(np.random.SeedSequence([seed, g]))
            idx = np.sort(rng.choice(pool.height, size=per_group, replace=False))
            pool = pool[idx]
        drawn.append(pool)
    return pl.concat(drawn) if drawn else notes.head(0), available


def contingency(sampled: pl.DataFrame, groups: tuple[str, ...] = GROUPS) -> np.ndarray:
    """groups × SCORES observed counts."""
    table = np.zeros((len(groups), len(SCORES)), dtype=np.int64)
    for tier, score, n in sampled.group_by("tier", "score").len().iter_rows():
        if tier in groups and score in SCORES:
            table[groups.index(tier), SCORES.index(score)] = n
    return table


def expected_rule_warning(expected: np.ndarray, rows: list[str], columns: list[str]) -> str | None:
    """Text when > 20 % of expected counts are below 5 or any is below 1; None otherwise."""
    below5 = expected < 5
    share = below5.sum() / expected.size
    if share <= 0.2 and not (expected < 1).any():
        return None
    cells = ", ".join(f"{rows[i]}/{columns[j]}: {expected[i, j]:.2f}" for i, j in zip(*np.nonzero(below5)))
    return (
        f"expected-count rule failed: {below5.sum()} of {expected.size} cells ({share:.0%}) have expected "
        f"count < 5, {(expected < 1).sum()} < 1 [{cells}]; quote the permutation p-value or merge "
        "sparse categories"
    )


def chi_square_of(
    observed: np.ndarray, rows: list[str], columns: list[str], n_resamples: int = 9999, seed: int = 0
) -> dict:
    """scipy's χ² test of independence on an observed table with no empty row or column: statistic,
    p, dof, Cramér's V, expected counts, the expected-count rule and a seeded permutation p-value."""
    test = stats.chi2_contingency(observed)
    expected = np.asarray(test.expected_freq)
    return dict(
        statistic=float(test.statistic),
        p_value=float(test.pvalue),
        dof=int(test.dof),
        cramers_v=float(association(observed, method="cramer")),
        min_expected=float(expected.min()),
        cells_expected_below_5=int((expected < 5).sum()),
        cells_expected_below_1=int((expected < 1).sum()),
        cells=int(expected.size),
        p_value_permutation=permutation_p_value(observed, n_resamples, seed),
        yates_applied=int(test.dof) == 1,
        warning=expected_rule_warning(expected, rows, columns),
        expected=expected,
    )


def permutation_p_value(observed: np.ndarray, n_resamples: int = 9999, seed: int = 0) -> float:
    """Monte Carlo permutation p-value of Pearson's χ² (no Yates): the share of tables with the
    observed margins, drawn uniformly as shuffling the observations would give
    (``scipy.stats.random_table``, Patefield's algorithm), whose statistic reaches the observed one,
    counting the observed table itself. Cost grows with the cells and resamples, not with N, so it
    stays cheap for 400,000 comments (shuffling N observations 9,999 times does not)."""
    observed = np.asarray(observed, dtype=np.int64)
    expected = stats.contingency.expected_freq(observed)

    def pearson(tables: np.ndarray) -> np.ndarray:
        return ((tables - expected) ** 2 / expected).sum(axis=(-2, -1))

    tables = stats.random_table(observed.sum(axis=1), observed.sum(axis=0), seed=seed).rvs(n_resamples)
    reached = pearson(tables) >= pearson(observed) * (1 - 1e-12)  # ties count, whatever the rounding
    return float((reached.sum() + 1) / (n_resamples + 1))


def crosstab_chi_square(
    counts: pl.DataFrame, row: str, column: str, count: str, n_resamples: int = 9999, seed: int = 0
) -> dict:
    """χ² of independence of ``row`` × ``column`` from long-form counts (one row per cell; cells
    summed when repeated). Empty rows and columns are dropped first (they have expected count 0);
    with fewer than two of either the test is not computed and ``warning`` says why. Returns the
    variables, N, the levels kept, the :func:`chi_square_of` figures and an APA-style ``report``."""
    cells = counts.group_by(row, column).agg(pl.col(count).sum()).filter(pl.col(count) > 0)
    wide = cells.pivot(on=column, index=row, values=count).fill_null(0).sort(row)
    rows = [str(v) for v in wide[row].to_list()]
    columns = sorted(c for c in wide.columns if c != row)
    observed = wide.select(columns).to_numpy().astype(np.int64)
    n = int(observed.sum())
    base = dict(variables=f"{row} × {column}", n=n, rows=", ".join(rows), columns=", ".join(columns))
    if len(rows) < 2 or len(columns) < 2:
        return base | dict(
            statistic=None,
            p_value=None,
            dof=None,
            cramers_v=None,
            min_expected=None,
            cells_expected_below_5=None,
            cells_expected_below_1=None,
            cells=observed.size,
            p_value_permutation=None,
            yates_applied=False,
            warning=f"χ² not computed: fewer than two {row if len(rows) < 2 else column} levels with counts",
            report=None,
        )
    result = chi_square_of(observed, rows, columns, n_resamples, seed)
    result.pop("expected")
    return (
        base
        | result
        | dict(report=apa_chi_square(result["statistic"], result["dof"], n, result["p_value"], result["cramers_v"]))
    )


def sentiment_chi_square(
    notes: pl.DataFrame, per_group: int = 400, seed: int = 0, n_resamples: int = 9999
) -> tuple[ChiSquareResult, pl.DataFrame]:
    """χ² of tier (high, low) × sentiment score on a confidence-filtered, seeded sample of
    ``per_group`` notes per tier (module docstring). ``notes`` needs note_id, tier, score,
    passes_confidence. Returns the result and the table (group, score, observed, expected)."""
    missing = {"note_id", "tier", "score", "passes_confidence"} - set(notes.columns)
    if missing:
        raise ValueError(f"notes lack columns {sorted(missing)}")
    eligible = notes.select(
        pl.col("note_id").cast(pl.String),
        pl.col("tier").cast(pl.String),
        pl.col("score").cast(pl.Int64),
        pl.col("passes_confidence").cast(pl.Boolean),
    ).filter(
        pl.col("passes_confidence").fill_null(False)
        & pl.col("score").is_in(list(SCORES))
        & pl.col("tier").is_in(list(GROUPS))
    )
    sampled, available = sample_per_group(eligible, per_group, seed)
    observed = contingency(sampled)
    n_drawn = observed.sum(axis=1)
    keep = observed.sum(axis=0) > 0
    columns = [s for s, k in zip(SCORES, keep) if k]
    dropped = [s for s, k in zip(SCORES, keep) if not k]
    base = dict(
        n_high=int(n_drawn[0]),
        n_low=int(n_drawn[1]),
        n_high_available=available["high"],
        n_low_available=available["low"],
        seed=seed,
        per_group=per_group,
        dropped_scores=dropped,
    )

    if (n_drawn == 0).any() or len(columns) < 2:
        reason = (
            "a group has no notes after the confidence filter"
            if (n_drawn == 0).any()
            else "fewer than two sentiment scores occur"
        )
        result = ChiSquareResult(
            None,
            None,
            None,
            cramers_v=None,
            min_expected=None,
            cells_expected_below_5=0,
            cells_expected_below_1=0,
            cells=0,
            p_value_permutation=None,
            yates_applied=False,
            warning=f"χ² not computed: {reason}",
            **base,
        )
        expected_full = np.full(observed.shape, np.nan)
    else:
        obs = observed[:, keep]
        core = chi_square_of(obs, list(GROUPS), [f"{c:+d}" for c in columns], n_resamples, seed)
        expected = core.pop("expected")
        result = ChiSquareResult(**core, **base)
        expected_full = np.full(observed.shape, np.nan)
        expected_full[:, keep] = expected

    table = pl.DataFrame(
        {
            "group": [g for g in GROUPS for _ in SCORES],
            "score": [s for _ in GROUPS for s in SCORES],
            "observed": observed.ravel().tolist(),
            "expected": [None if math.isnan(v) else float(v) for v in expected_full.ravel()],
        },
        schema={"group": pl.String, "score": pl.Int64, "observed": pl.Int64, "expected": pl.Float64},
    )
    return result, table


ENGAGEMENT_SCHEMA = {
    "phase": pl.String,
    "code": pl.String,
    "code_name": pl.String,
    "category": pl.String,
    "category_name": pl.String,
    "notes": pl.Int64,
    "mean_likes": pl.Float64,
    "mean_collects": pl.Float64,
    "mean_comments": pl.Float64,
    "mean_shares": pl.Float64,
    "engagement_score": pl.Float64,
    "rank": pl.Int64,
}


def category_engagement(notes_labelled: pl.DataFrame, tier: str = "high") -> pl.DataFrame:
    """Figure 5: per phase, the taxonomy codes of ``tier`` users' notes scored by the entropy weight
    method over mean likes / collects / comments / shares per note (rank 1 = most engaging; ties by
    code). Scored per code because the paper's Figure 5 names codes ("Food / Fashion / Lifestyle",
    "Marketing & E-Commerce"); the category is carried for grouping. Notes without a code are left
    out; missing counts count as 0."""
    need = {"phase", "tier", "code", "liked_count", "collected_count", "comment_count", "share_count"}
    missing = need - set(notes_labelled.columns)
    if missing:
        raise ValueError(f"notes_labelled lacks columns {sorted(missing)}")

    def first_of(column: str) -> pl.Expr:
        value = pl.col(column) if column in notes_labelled.columns else pl.lit(None, pl.String)
        return value.drop_nulls().first().cast(pl.String).alias(column)

    means = (
        notes_labelled.filter((pl.col("tier") == tier) & pl.col("code").is_not_null())
        .with_columns(pl.col("liked_count", "collected_count", "comment_count", "share_count").fill_null(0))
        .group_by("phase", pl.col("code").cast(pl.String))
        .agg(
            first_of("code_name"),
            first_of("category"),
            first_of("category_name"),
            pl.len().cast(pl.Int64).alias("notes"),
            pl.col("liked_count").mean().alias("mean_likes"),
            pl.col("collected_count").mean().alias("mean_collects"),
            pl.col("comment_count").mean().alias("mean_comments"),
            pl.col("share_count").mean().alias("mean_shares"),
        )
    )
    frames = []
    for phase in sorted(means["phase"].unique().to_list(), key=_phase_key):
        part = means.filter(pl.col("phase") == phase).sort("code")
        detail = entropy_detail(
            part.select([f"mean_{m}" for m in ENGAGEMENT_METRICS])
            .to_numpy()
            .reshape(part.height, len(ENGAGEMENT_METRICS))
        )
        frames.append(
            part.with_columns(
                pl.Series("engagement_score", detail.scores, dtype=pl.Float64),
                pl.Series("rank", rank_by_score(part["code"].to_list(), detail.scores), dtype=pl.Int64),
            )
        )
    if not frames:
        return pl.DataFrame(schema=ENGAGEMENT_SCHEMA)
    return pl.concat([f.select(list(ENGAGEMENT_SCHEMA)).cast(ENGAGEMENT_SCHEMA) for f in frames]).sort(
        pl.col("phase").map_elements(_phase_key, return_dtype=pl.Int64), "rank"
    )


def _phase_key(phase: str) -> int:
    order = (*PHASES, "all")
    return order.index(phase) if phase in order else len(order)
