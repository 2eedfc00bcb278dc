"""Feng et al. (2025) Figures 1–7 as plotly figures, one builder per figure.

Each figure is a `FigureSpec`: the warehouse table whose asset carries its preview, the SQL that
reads its data, and a builder from those frames to a ``go.Figure``. The HTML report and the PNG
previews in the Dagster UI both draw through the same spec, so what a user sees in either place is
the same figure. Builders are pure (frames in, figure out) and never read the warehouse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from rednote_dagster.lib.phases import PHASE_LABELS, PHASES

PHASE_COLOURS = {"pre_ban": "#4C78A8", "surge": "#E45756", "stabilization": "#54A24B"}
TIER_COLOURS = {"high": "#B279A2", "low": "#72B7B2", "inactive": "#BAB0AC"}
TIERS = ("high", "low", "inactive")
TIER_LABELS = {"high": "High influence", "low": "Low influence", "inactive": "Inactive"}
ENGAGEMENT = (
    ("mean_likes", "Likes"),
    ("mean_collects", "Collects"),
    ("mean_comments", "Comments"),
    ("mean_shares", "Shares"),
)
LAYOUT = dict(
    template="plotly_white",
    font=dict(family="Helvetica, Arial, sans-serif", size=13),
    margin=dict(l=60, r=30, t=60, b=50),
)


@dataclass(frozen=True)
class FigureSpec:
    """One report figure: its data (``queries``: frame name → SQL) and how to draw it."""

    number: str
    title: str
    caption: str
    table: str  # schema.table of the asset whose materialization shows this figure's preview
    queries: dict[str, str]
    build: Callable[..., go.Figure]
    optional: frozenset[str] = field(default_factory=frozenset)  # frames the figure can do without
    also_previews: tuple[str, ...] = ()  # further tables whose assets show this figure

    @property
    def slug(self) -> str:
        return f"figure-{self.number}"


def _phase_name(phase: str) -> str:
    return PHASE_LABELS.get(phase, phase)


def _ordered(df: pl.DataFrame, column: str, order: tuple[str, ...]) -> pl.DataFrame:
    rank = {value: i for i, value in enumerate(order)}
    return df.sort(pl.col(column).replace_strict(rank, default=len(order), return_dtype=pl.Int64))


def _finish(fig: go.Figure, title: str, **layout) -> go.Figure:
    fig.update_layout(title=dict(text=title, x=0.01), **{**LAYOUT, **layout})
    return fig


# -- Figure 1 ---------------------------------------------------------------------------------------
def daily_notes_figure(daily: pl.DataFrame, breakpoints: pl.DataFrame | None = None) -> go.Figure:
    """Notes per New York day with the phases shaded and the detected boundaries marked."""
    fig = go.Figure(
        go.Scatter(
            x=daily["ny_date"].to_list(),
            y=daily["notes"].to_list(),
            mode="lines",
            name="notes per day",
            line=dict(color="#333333", width=1.5),
            hovertemplate="%{x|%Y-%m-%d}: %{y} notes<extra></extra>",
        )
    )
    spans = daily.group_by("phase").agg(pl.col("ny_date").min().alias("start"), pl.col("ny_date").max().alias("end"))
    for phase, start, end in _ordered(spans, "phase", PHASES).iter_rows():
        fig.add_vrect(
            x0=start,
            x1=end,
            fillcolor=PHASE_COLOURS.get(phase, "#dddddd"),
            opacity=0.12,
            line_width=0,
            annotation_text=_phase_name(phase),
            annotation_position="top left",
        )
    if breakpoints is not None and breakpoints.height:
        detected = breakpoints.filter(pl.col("method") == "peak_trough").sort("boundary", descending=True)
        for boundary, day, notes in detected.select("boundary", "detected_date", "notes_on_detected").iter_rows():
            if day is None:
                continue
            label = "peak" if boundary == "surge_start" else "trough"
            fig.add_trace(
                go.Scatter(
                    x=[day],
                    y=[notes],
                    mode="markers+text",
                    text=[f"{label} {day:%b %d}: {notes}"],
                    textposition="middle right",
                    marker=dict(size=10, symbol="diamond", color="#000000"),
                    name=f"detected {label}",
                    hovertemplate="%{x|%Y-%m-%d}: %{y}<extra>detected " + label + "</extra>",
                )
            )
    top = max(daily["notes"].max() or 1, 1)
    return _finish(
        fig,
        "Figure 1. Notes per day (New York time) and migration phases",
        xaxis_title="publication date",
        yaxis=dict(title="notes", range=[0, top * 1.25]),
        showlegend=False,
    )


# -- Figure 2 ---------------------------------------------------------------------------------------
def engagement_figure(engagement: pl.DataFrame) -> go.Figure:
    """Mean likes / collects / comments / shares per note, by phase and influence tier (log axis)."""
    fig = make_subplots(rows=1, cols=len(ENGAGEMENT), subplot_titles=[name for _, name in ENGAGEMENT])
    data = _ordered(engagement.filter(pl.col("tier").is_in(["high", "low"])), "phase", PHASES)
    for col, (metric, _) in enumerate(ENGAGEMENT, start=1):
        for tier in ("high", "low"):
            part = data.filter(pl.col("tier") == tier)
            fig.add_trace(
                go.Bar(
                    x=[_phase_name(p) for p in part["phase"]],
                    y=part[metric].to_list(),
                    name=TIER_LABELS[tier],
                    marker_color=TIER_COLOURS[tier],
                    legendgroup=tier,
                    showlegend=col == 1,
                    customdata=part["notes"].to_list(),
                    hovertemplate="%{x}: %{y:,.1f} per note (%{customdata} notes)<extra>"
                    + TIER_LABELS[tier]
                    + "</extra>",
                ),
                row=1,
                col=col,
            )
        fig.update_yaxes(type="log", row=1, col=col)
    return _finish(
        fig,
        "Figure 2. Engagement per note, high vs low influence, by phase",
        barmode="group",
        legend=dict(orientation="h", y=-0.15),
    )


# -- Figure 3 ---------------------------------------------------------------------------------------
def transitions_figure(transitions: pl.DataFrame) -> go.Figure:
    """Sankey of users moving between tiers from one phase to the next."""
    nodes = [(phase, tier) for phase in PHASES for tier in TIERS]
    index = {node: i for i, node in enumerate(nodes)}
    flows = transitions.filter(pl.col("users") > 0).sort("from_phase", "from_tier", "to_tier")
    source = [index[(p, t)] for p, t in flows.select("from_phase", "from_tier").iter_rows()]
    target = [index[(p, t)] for p, t in flows.select("to_phase", "to_tier").iter_rows()]
    fig = go.Figure(
        go.Sankey(
            arrangement="fixed",
            node=dict(
                label=[f"{_phase_name(p)}: {TIER_LABELS[t]}" for p, t in nodes],
                color=[TIER_COLOURS[t] for _, t in nodes],
                pad=18,
                thickness=16,
                x=[0.01 + 0.49 * PHASES.index(p) for p, _ in nodes],
                y=[0.1 + 0.4 * TIERS.index(t) for _, t in nodes],
            ),
            link=dict(
                source=source,
                target=target,
                value=flows["users"].to_list(),
                color=[_rgba(TIER_COLOURS[t], 0.35) for t in flows["from_tier"]],
            ),
        )
    )
    return _finish(fig, "Figure 3. Users moving between influence tiers across phases")


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _tier_bars_by_code(data: pl.DataFrame, value: str, notes: str, value_format: str) -> go.Figure:
    """Horizontal bars per topic code, one trace per tier (high, low): Figures 4 and 7."""
    fig = go.Figure()
    for tier in ("high", "low"):
        part = data.filter(pl.col("tier") == tier)
        fig.add_trace(
            go.Bar(
                y=[f"{c} {n}" for c, n in part.select("code", "code_name").iter_rows()],
                x=part[value].to_list(),
                orientation="h",
                name=TIER_LABELS[tier],
                marker_color=TIER_COLOURS[tier],
                customdata=part[notes].to_list(),
                hovertemplate=(
                    f"%{{y}}: %{{x:{value_format}}} (%{{customdata}} notes)<extra>{TIER_LABELS[tier]}</extra>"
                ),
            )
        )
    return fig


# -- Figure 4 ---------------------------------------------------------------------------------------
def topic_share_figure(shares: pl.DataFrame) -> go.Figure:
    """Share of each topic code in high- vs low-influence users' notes."""
    data = shares.filter(pl.col("tier").is_in(["high", "low"])).sort("code", descending=True)
    fig = _tier_bars_by_code(data, "share", "notes", ".1%")
    return _finish(
        fig,
        "Figure 4. Topic proportion by influence level",
        barmode="group",
        xaxis=dict(tickformat=".0%", title="share of the tier's coded notes"),
        height=620,
        legend=dict(orientation="h", y=-0.1),
        margin=dict(l=280, r=30, t=60, b=60),
    )


# -- Figure 5 ---------------------------------------------------------------------------------------
def category_engagement_figure(scores: pl.DataFrame, top: int = 5) -> go.Figure:
    """High-influence users' top topic codes per phase by entropy-weighted engagement score."""
    phases = [p for p in PHASES if p in set(scores["phase"].to_list())]
    fig = make_subplots(
        rows=max(len(phases), 1),
        cols=1,
        subplot_titles=[_phase_name(p) for p in phases],
        shared_xaxes=True,
        vertical_spacing=0.08,
    )
    for row, phase in enumerate(phases, start=1):
        part = scores.filter((pl.col("phase") == phase) & (pl.col("rank") <= top)).sort("rank", descending=True)
        fig.add_trace(
            go.Bar(
                y=[f"{c} {n}" for c, n in part.select("code", "code_name").iter_rows()],
                x=part["engagement_score"].to_list(),
                orientation="h",
                showlegend=False,
                marker_color=PHASE_COLOURS[phase],
                text=[f"{v:.2f}" for v in part["engagement_score"]],
                textposition="outside",
                customdata=part["notes"].to_list(),
                hovertemplate="%{y}: %{x:.2f} (%{customdata} notes)<extra></extra>",
            ),
            row=row,
            col=1,
        )
    fig.update_xaxes(range=[0, 1.1])
    return _finish(
        fig,
        f"Figure 5. Top {top} topics of high-influence users by engagement entropy score",
        height=200 + 170 * len(phases),
        margin=dict(l=280, r=30, t=80, b=40),
    )


# -- Figures 6 and 7 --------------------------------------------------------------------------------
def sentiment_by_topic_figure(sentiment: pl.DataFrame) -> go.Figure:
    """Unweighted mean sentiment (−2..2) per topic code, highest first."""
    data = sentiment.filter(pl.col("mean_score").is_not_null()).sort("mean_score")
    fig = go.Figure(
        go.Bar(
            y=[f"{c} {n}" for c, n in data.select("code", "code_name").iter_rows()],
            x=data["mean_score"].to_list(),
            orientation="h",
            marker_color=["#54A24B" if v >= 0 else "#E45756" for v in data["mean_score"]],
            text=[f"{v:.2f}" for v in data["mean_score"]],
            textposition="outside",
            customdata=data["notes_passing"].to_list(),
            hovertemplate="%{y}: %{x:.2f} (%{customdata} notes)<extra></extra>",
        )
    )
    return _finish(
        fig,
        "Figure 6. Mean sentiment by topic",
        xaxis_title="mean sentiment score (−2 … 2)",
        height=560,
        margin=dict(l=280, r=40, t=60, b=50),
    )


def sentiment_by_topic_influence_figure(sentiment: pl.DataFrame) -> go.Figure:
    """Mean sentiment per topic code, high vs low influence."""
    data = sentiment.filter(pl.col("tier").is_in(["high", "low"]) & pl.col("mean_score").is_not_null()).sort(
        "code", descending=True
    )
    fig = _tier_bars_by_code(data, "mean_score", "notes_passing", ".2f")
    return _finish(
        fig,
        "Figure 7. Sentiment of high vs low influence users' notes by topic",
        barmode="group",
        xaxis_title="mean sentiment score (−2 … 2)",
        height=620,
        legend=dict(orientation="h", y=-0.1),
        margin=dict(l=280, r=30, t=60, b=60),
    )


# -- Jing & Zhang, Cheng, Li et al. ---------------------------------------------------------------------
STAGE_NAMES = {"cat_tax": "cat tax / 猫税", "duizhang": "对账 (comparing accounts)", "li_hua": "Li Hua / 李华 letters"}


def stage_timeline_figure(stages: pl.DataFrame) -> go.Figure:
    """Weekly share of notes and comments carrying each stage's markers."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=["notes", "comments"], shared_yaxes=True)
    colours = ("#F58518", "#4C78A8", "#54A24B", "#B279A2")
    for col, entity in enumerate(("note", "comment"), start=1):
        part = stages.filter(pl.col("entity") == entity)
        for i, stage in enumerate(dict.fromkeys(part["stage"].to_list())):
            line = part.filter(pl.col("stage") == stage).sort("week")
            fig.add_trace(
                go.Scatter(
                    x=line["week"].to_list(),
                    y=line["share"].to_list(),
                    mode="lines+markers",
                    name=STAGE_NAMES.get(stage, stage),
                    legendgroup=stage,
                    showlegend=col == 1,
                    line=dict(color=colours[i % len(colours)]),
                    customdata=line["n_marked"].to_list(),
                    hovertemplate="week of %{x|%b %d}: %{y:.1%} (%{customdata})<extra>" + stage + "</extra>",
                ),
                row=1,
                col=col,
            )
    fig.update_yaxes(tickformat=".0%")
    return _finish(
        fig,
        "Figure 8. Stages of the exchange: weekly share of texts with each stage's markers",
        legend=dict(orientation="h", y=-0.15),
    )


def comment_affect_figure(cells: pl.DataFrame) -> go.Figure:
    """Emotion shares per topic group (all commenters), split by stance."""
    data = cells.filter(pl.col("commenter_group") == "all")
    groups = [g for g in ("political", "appearance", "cultural", "other") if g in set(data["topic_group"].to_list())]
    fig = make_subplots(rows=1, cols=max(len(groups), 1), subplot_titles=groups, shared_yaxes=True)
    colours = {"pro-china": "#E45756", "neutral": "#BAB0AC", "pro-foreign": "#4C78A8"}
    for col, group in enumerate(groups, start=1):
        part = data.filter(pl.col("topic_group") == group)
        for stance, colour in colours.items():
            bars = part.filter(pl.col("stance") == stance).sort("emotion")
            fig.add_trace(
                go.Bar(
                    x=bars["emotion"].to_list(),
                    y=bars["share"].to_list(),
                    name=stance,
                    marker_color=colour,
                    legendgroup=stance,
                    showlegend=col == 1,
                    customdata=bars["comments"].to_list(),
                    hovertemplate="%{x}: %{y:.1%} (%{customdata} comments)<extra>" + stance + "</extra>",
                ),
                row=1,
                col=col,
            )
    fig.update_yaxes(tickformat=".0%")
    return _finish(
        fig,
        "Figure 9. Comment emotion and stance by topic group (Li et al.)",
        barmode="stack",
        height=460,
        legend=dict(orientation="h", y=-0.25),
    )


# -- supplementary figures: one per analysis asset the paper draws no figure for ----------------------
def chi_square_figure(counts: pl.DataFrame) -> go.Figure:
    """Observed sentiment scores per tier in the χ² sample, with the counts independence expects."""
    fig = go.Figure()
    for tier in ("high", "low"):
        part = counts.filter(pl.col("group") == tier).sort("score")
        fig.add_trace(
            go.Bar(
                x=part["score"].to_list(),
                y=part["observed"].to_list(),
                name=f"{TIER_LABELS[tier]} observed",
                marker_color=TIER_COLOURS[tier],
                offsetgroup=tier,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=part["score"].to_list(),
                y=part["expected"].to_list(),
                mode="markers",
                name=f"{TIER_LABELS[tier]} expected",
                offsetgroup=tier,
                marker=dict(symbol="line-ew-open", size=30, color="#333333", line=dict(width=2)),
            )
        )
    return _finish(
        fig,
        "Figure S1. Sentiment scores in the χ² sample, observed vs expected",
        barmode="group",
        scattermode="group",
        xaxis=dict(title="sentiment score", tickmode="array", tickvals=[-2, -1, 0, 1, 2]),
        yaxis_title="notes",
        legend=dict(orientation="h", y=-0.2),
    )


def coding_agreement_figure(agreement: pl.DataFrame) -> go.Figure:
    """Cohen's κ of each comparison at code and category level."""
    data = agreement.filter(pl.col("category") == "all").sort("comparison")
    fig = go.Figure()
    for level, colour in (("code", "#4C78A8"), ("category", "#F58518")):
        part = data.filter(pl.col("level") == level)
        fig.add_trace(
            go.Bar(
                x=part["comparison"].to_list(),
                y=part["kappa"].to_list(),
                name=f"{level} level",
                marker_color=colour,
                text=[f"{v:.2f}" for v in part["kappa"]],
                textposition="outside",
                customdata=part["n"].to_list(),
                hovertemplate="%{x}: κ %{y:.3f} (N %{customdata})<extra></extra>",
            )
        )
    fig.add_hline(y=0.6, line_dash="dot", annotation_text="gate κ 0.6", annotation_position="bottom right")
    return _finish(
        fig,
        "Figure S2. Topic coding agreement (Cohen's κ)",
        barmode="group",
        yaxis=dict(title="κ", range=[0, 1.1]),
        legend=dict(orientation="h", y=-0.2),
    )


def influence_weights_figure(weights: pl.DataFrame) -> go.Figure:
    """Entropy weights of the four influence indicators per phase."""
    data = _ordered(weights, "phase", (*PHASES, "all"))
    fig = go.Figure()
    for indicator, colour in zip(
        ("followers", "likes", "comments", "collects"), ("#4C78A8", "#E45756", "#54A24B", "#F58518")
    ):
        part = data.filter(pl.col("indicator") == indicator)
        fig.add_trace(
            go.Bar(
                x=[_phase_name(p) if p != "all" else "Whole study" for p in part["phase"]],
                y=part["weight"].to_list(),
                name=indicator,
                marker_color=colour,
            )
        )
    return _finish(
        fig,
        "Figure S3. Influence indicator weights (entropy weight method)",
        barmode="group",
        yaxis_title="weight",
        legend=dict(orientation="h", y=-0.2),
    )


FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec(
        "1",
        "Notes per day and migration phases",
        "Current notes per New York calendar day, the configured phases shaded, and the peak and post-peak "
        "trough the pipeline detected (analysis.phase_breakpoints) marked.",
        "marts.daily_note_counts",
        {
            "daily": "SELECT ny_date, phase, notes FROM marts.daily_note_counts ORDER BY ny_date",
            "breakpoints": "SELECT * FROM analysis.phase_breakpoints ORDER BY boundary, method",
        },
        daily_notes_figure,
        optional=frozenset({"breakpoints"}),
        also_previews=("analysis.phase_breakpoints",),
    ),
    FigureSpec(
        "2",
        "Engagement by phase and influence",
        "Mean likes, collects, comments and shares per note by phase, for the authors' influence tier in that "
        "phase (log scale). Unreported counts are left out of the mean.",
        "marts.engagement_by_phase_and_tier",
        {"engagement": "SELECT * FROM marts.engagement_by_phase_and_tier ORDER BY phase, tier"},
        engagement_figure,
    ),
    FigureSpec(
        "3",
        "User trajectories across phases",
        "Users moving between high influence (top 25 %), low influence and inactive (< 3 notes in the phase) "
        "from one phase to the next.",
        "marts.tier_transitions",
        {"transitions": "SELECT * FROM marts.tier_transitions ORDER BY from_phase, from_tier, to_tier"},
        transitions_figure,
    ),
    FigureSpec(
        "4",
        "Topic proportion by influence level",
        "Each taxonomy code's share of the tier's coded notes (the author's tier in the note's phase).",
        "marts.topic_share_by_tier",
        {"shares": "SELECT * FROM marts.topic_share_by_tier ORDER BY tier, code"},
        topic_share_figure,
    ),
    FigureSpec(
        "5",
        "Top topics of high-influence users by engagement entropy",
        "Per phase, the entropy-weight-method score (0–1) of each topic code's mean likes, collects, comments "
        "and shares per note among high-influence users' notes; the five best per phase.",
        "analysis.category_engagement",
        {"scores": "SELECT * FROM analysis.category_engagement ORDER BY phase, rank"},
        category_engagement_figure,
    ),
    FigureSpec(
        "6",
        "Sentiment by topic",
        "Unweighted mean sentiment score (−2 very negative … 2 very positive) per topic code over the notes "
        "passing the confidence filter.",
        "marts.sentiment_by_topic",
        {"sentiment": "SELECT * FROM marts.sentiment_by_topic ORDER BY code"},
        sentiment_by_topic_figure,
    ),
    FigureSpec(
        "7",
        "Sentiment by topic and influence",
        "Mean sentiment per topic code for high- and low-influence users' notes.",
        "marts.sentiment_by_topic_and_tier",
        {"sentiment": "SELECT * FROM marts.sentiment_by_topic_and_tier ORDER BY code, tier"},
        sentiment_by_topic_influence_figure,
    ),
    FigureSpec(
        "8",
        "Stages of the exchange",
        "Weekly (New York weeks) share of notes and of comments that carry each stage's markers (lib/stages.py): "
        "the cat tax, 对账 everyday comparison, Li Hua letters (Jing & Zhang 2026; Cheng 2025).",
        "analysis.stage_timeline",
        {"stages": "SELECT * FROM analysis.stage_timeline ORDER BY entity, week, stage"},
        stage_timeline_figure,
    ),
    FigureSpec(
        "9",
        "Comment emotion and stance by topic group",
        "Share of each emotion x stance among the labelled comments under notes of each topic group "
        "(political / appearance / cultural / other, mapped from the taxonomy code; Li et al. 2025).",
        "marts.comment_affect_by_topic_group",
        {
            "cells": (
                "SELECT * FROM marts.comment_affect_by_topic_group "
                "ORDER BY topic_group, commenter_group, emotion, stance"
            )
        },
        comment_affect_figure,
    ),
    FigureSpec(
        "S1",
        "Sentiment in the χ² sample",
        "Observed sentiment scores of the high- and low-influence notes drawn for the χ² test, with the counts "
        "independence would give.",
        "analysis.sentiment_chi_square",
        {"counts": 'SELECT * FROM analysis.sentiment_chi_square_table ORDER BY "group", score'},
        chi_square_figure,
    ),
    FigureSpec(
        "S2",
        "Topic coding agreement",
        "Cohen's κ of the topic model against each coder and their consensus (held-out notes), and between the "
        "coders; the dotted line is the blocking gate.",
        "analysis.coding_agreement",
        {
            "agreement": "SELECT * FROM analysis.coding_agreement WHERE label_table = 'enrich.note_topics' "
            "AND language = 'all' ORDER BY comparison, level, category"
        },
        coding_agreement_figure,
    ),
    FigureSpec(
        "S3",
        "Influence indicator weights",
        "Entropy weights of followers, likes, comments and collects per phase (Feng et al. §6.1).",
        "analysis.user_influence",
        {"weights": "SELECT * FROM analysis.user_influence_weights ORDER BY phase, indicator"},
        influence_weights_figure,
    ),
)

# table → the figure its asset previews in the Dagster UI
FIGURES_BY_TABLE: dict[str, FigureSpec] = {
    table: spec for spec in FIGURES for table in (spec.table, *spec.also_previews)
}
