"""Stage markers: which of the three interaction stages a text shows, and their weekly shares.

Jing & Zhang (2026) trace the refugee / native exchange through three stages, each with a
vernacular practice that names it:

1. ``cat_tax`` - crisis absorption through play: newcomers "pay the cat tax" (猫税) with pet
   photos, natives issue mock tax receipts (§4; concentrated mid-January to early February 2025).
2. ``duizhang`` - cross-cultural adaptation: 对账 ("reconciling accounts"), comparing everyday
   prices, rents and medical bills across the two countries (§5; Cheng 2025 §3.2).
3. ``li_hua`` - identity transformation: letters to and from "Li Hua" (李华), the fictional pen
   friend of China's English exams (§6, the later stages).

A marker set is a list of literal terms. Matching ignores case; a space inside a Latin term also
matches no space, '-' or '_' ("cat tax" finds "#CatTax", "Li Hua" finds "LiHua"); a Latin term
must not continue a Latin word on either side ("Li Hua" does not fire inside "Li Huang") but may
touch Chinese characters ("交cat tax啦"); Chinese terms match anywhere. The defaults are
deliberately narrow - "letter" alone or "prices" alone would fire on ordinary friendship and food
posts - so a text counts only when it names the practice. "checking accounts" (the issue's
gloss of 对账) can also be a bank account; it is kept because in this corpus of cross-border
money comparisons that reading is rare, and it can be dropped from the set.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from rednote_dagster.lib.phases import STUDY_TZ


@dataclass(frozen=True)
class MarkerSet:
    stage: str
    terms: tuple[str, ...]
    description: str = ""

    @property
    def pattern(self) -> str:
        """One case-insensitive regular expression for the set, valid in Python's ``re`` and in
        polars (Rust regex, which has no look-arounds, hence the consumed boundary characters)."""
        alternatives = []
        for term in self.terms:
            body = r"[\s_-]*".join(re.escape(word) for word in term.split())
            if re.search(r"[A-Za-z]", term):
                body = f"(?:^|[^A-Za-z]){body}(?:[^A-Za-z]|$)"
            alternatives.append(body)
        return "(?i)(?:" + "|".join(alternatives) + ")"


DEFAULT_MARKERS: tuple[MarkerSet, ...] = (
    MarkerSet(
        "cat_tax",
        ("cat tax", "cat taxes", "猫税", "猫猫税", "pet tax", "dog tax", "宠物税", "狗税"),
        "paying the 'cat tax': pet photos as a newcomer's entry fee, mock tax receipts",
    ),
    MarkerSet(
        "duizhang",
        (
            "对账",
            "对个账",
            "duizhang",
            "reconciling accounts",
            "reconcile accounts",
            "checking accounts",
            "price comparison",
            "comparing prices",
            "compare prices",
            "物价对比",
        ),
        "对账: comparing everyday prices, wages, rents and medical bills across countries",
    ),
    MarkerSet(
        "li_hua", ("Li Hua", "李华"), "letters to and from Li Hua, the fictional pen friend of China's English exams"
    ),
)
STAGES: tuple[str, ...] = tuple(m.stage for m in DEFAULT_MARKERS)


# Columns weekly_stage_shares builds beside the stage names: a stage named like one of them makes
# polars raise DuplicateError ("week", "stage", "n_texts", "n_marked") or reads ambiguously ("share").
# Its ``by`` columns (stage_timeline: "entity") are reserved too; see check_markers.
RESERVED_STAGE_NAMES: frozenset[str] = frozenset({"week", "stage", "n_texts", "n_marked", "share"})


def check_markers(markers: Sequence[MarkerSet], by: Sequence[str] = ()) -> None:
    """Raise ValueError, naming the stage and the bad value, unless the marker sets are usable:
    stage names non-empty, unique and not among :data:`RESERVED_STAGE_NAMES` or ``by``; every set
    has at least one term and no term is empty or blank (the empty pattern matches every text)."""
    reserved = RESERVED_STAGE_NAMES | set(by)
    seen: set[str] = set()
    for m in markers:
        if not m.stage.strip():
            raise ValueError(f"a stage name is empty: {m.stage!r}")
        if m.stage in seen:
            raise ValueError(f"stage name {m.stage!r} is listed twice")
        seen.add(m.stage)
        if m.stage in reserved:
            raise ValueError(
                f"stage name {m.stage!r} collides with a column of the stage table; reserved: {sorted(reserved)}"
            )
        if not m.terms:
            raise ValueError(f"stage {m.stage!r} has no marker terms")
        for term in m.terms:
            if not term.strip():
                raise ValueError(f"stage {m.stage!r} has an empty marker term {term!r}: it would match every text")


def stages_in(text: str | None, markers: Sequence[MarkerSet] = DEFAULT_MARKERS) -> list[str]:
    """The stages whose markers occur in ``text``, in the order of ``markers``."""
    check_markers(markers)
    return [m.stage for m in markers if re.search(m.pattern, text or "")]


def mark_stages(
    texts: pl.DataFrame, text_col: str = "text", markers: Sequence[MarkerSet] = DEFAULT_MARKERS
) -> pl.DataFrame:
    """``texts`` plus one boolean column ``stage_<name>`` per marker set (a missing text is
    unmarked)."""
    check_markers(markers)
    text = pl.col(text_col).fill_null("")
    return texts.with_columns(text.str.contains(m.pattern).alias(f"stage_{m.stage}") for m in markers)


def _ny_date(column: str, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.Date:
        return pl.col(column)
    if isinstance(dtype, pl.Datetime):
        moment = pl.col(column) if dtype.time_zone else pl.col(column).dt.replace_time_zone("UTC")
        return moment.dt.convert_time_zone(str(STUDY_TZ)).dt.date()
    raise TypeError(f"{column} must be a Date or Datetime column, not {dtype}")


def weekly_stage_shares(
    texts: pl.DataFrame,
    *,
    time_col: str = "created_at",
    text_col: str = "text",
    by: Sequence[str] = (),
    markers: Sequence[MarkerSet] = DEFAULT_MARKERS,
) -> pl.DataFrame:
    """Per week (and per ``by`` group, e.g. entity = note / comment) and stage: n_texts (texts in
    the week), n_marked (those carrying the stage's markers) and share = n_marked / n_texts.

    ``week`` is the Monday of the text's New York calendar week (the study's time zone; naive
    datetimes are read as UTC, as the warehouse stores them). Every stage has a row for every
    week that has texts, zero when none is marked, so shares can be plotted without gaps.
    Texts with no time are left out."""
    check_markers(markers, by)
    marked = mark_stages(texts, text_col, markers).with_columns(
        _ny_date(time_col, texts.schema[time_col]).dt.truncate("1w").alias("week")
    )
    keys = ["week", *by]
    counts = (
        marked.drop_nulls("week")
        .group_by(keys)
        .agg(
            pl.len().cast(pl.Int64).alias("n_texts"),
            *(pl.col(f"stage_{m.stage}").sum().cast(pl.Int64).alias(m.stage) for m in markers),
        )
    )
    return (
        counts.unpivot(
            index=[*keys, "n_texts"], on=[m.stage for m in markers], variable_name="stage", value_name="n_marked"
        )
        .with_columns((pl.col("n_marked") / pl.col("n_texts")).alias("share"))
        .select(*keys, "stage", "n_texts", "n_marked", "share")
        .sort(*keys, pl.col("stage").replace_strict({m.stage: i for i, m in enumerate(markers)}))
    )


def peak_weeks(weekly: pl.DataFrame, *, min_texts: int = 1, by: Sequence[str] = ()) -> pl.DataFrame:
    """Per stage (and ``by`` group): the week its share peaks, among weeks with at least
    ``min_texts`` texts - a thin week (5 notes, 2 of them marked) says little about prevalence -
    with that week's share; ties go to the earliest week. Input: :func:`weekly_stage_shares`."""
    keys = [*by, "stage"]
    return (
        weekly.filter(pl.col("n_texts") >= min_texts)
        .sort([*keys, "share", "week"], descending=[False] * len(keys) + [True, False])
        .group_by(keys, maintain_order=True)
        .first()
        .select(*keys, pl.col("week").alias("peak_week"), pl.col("share").alias("peak_share"), "n_texts")
    )
