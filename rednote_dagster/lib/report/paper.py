"""Feng, Dong & Lei (2025)'s published values beside the pipeline's own, as data.

Each `PaperValue` holds the paper's figure as the paper words it, where the paper says it, and the
SQL that reads the pipeline's counterpart from the warehouse (one row, one text column). The report
shows them side by side; on the bundled corpus the pipeline's column is labelled synthetic, since
that corpus is planted to the paper's shape at a smaller scale, not its data.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from rednote_dagster.lib.report.inputs import missing_inputs


@dataclass(frozen=True)
class PaperValue:
    quantity: str
    paper: str
    source: str
    sql: str  # the tables it reads are checked against lib/report/inputs.py


def _breakpoint(boundary: str) -> str:
    return (
        f"SELECT strftime(detected_date, '%b %-d, %Y') || ': ' || notes_on_detected || ' notes' "
        f"FROM analysis.phase_breakpoints WHERE boundary = '{boundary}' AND method = 'peak_trough'"
    )


def _sentiment(codes: tuple[str, ...], tier: str | None = None) -> str:
    table = "marts.sentiment_by_topic_and_tier" if tier else "marts.sentiment_by_topic"
    where = f" AND tier = '{tier}'" if tier else ""
    listed = ", ".join(f"'{c}'" for c in codes)
    return (
        f"SELECT string_agg(code_name || ' ' || coalesce(printf('%.2f', mean_score), 'n/a'), '; ' "
        f"ORDER BY array_position([{listed}], code)) FROM {table} WHERE code IN ({listed}){where}"
    )


def _fig5(code: str) -> str:
    return (
        "SELECT string_agg(CASE phase WHEN 'pre_ban' THEN 'Pre-Ban' WHEN 'surge' THEN 'Surge' ELSE 'Stabilization' END "
        "|| ' ' || printf('%.2f', engagement_score), ' → ' "
        "ORDER BY array_position(['pre_ban', 'surge', 'stabilization'], phase)) "
        f"FROM analysis.category_engagement WHERE code = '{code}'"
    )


PAPER_VALUES: tuple[PaperValue, ...] = (
    PaperValue("Peak of notes per day", "2,106 notes on Jan 19, 2025", "§5, Figure 1", _breakpoint("surge_start")),
    PaperValue("Post-peak trough", "64 notes on Apr 4, 2025", "§5, Figure 1", _breakpoint("stabilization_start")),
    PaperValue(
        "Pre-Ban likes per note, high vs low influence",
        "over 1,600 vs 23.5",
        "§6.1, Figure 2",
        "SELECT printf('%,.1f', max(mean_likes) FILTER (tier = 'high')) || ' vs ' || "
        "printf('%,.1f', max(mean_likes) FILTER (tier = 'low')) "
        "FROM marts.engagement_by_phase_and_tier WHERE phase = 'pre_ban'",
    ),
    PaperValue(
        "Highest mean sentiment by topic",
        "Friendship & Community 0.47; Food / Fashion / Lifestyle 0.39; Marketing & E-Commerce 0.36",
        "§6.4, Figure 6",
        _sentiment(("5c", "2c", "4")),
    ),
    PaperValue(
        "Lowest mean sentiment by topic",
        "Political & Social Movements, Digital Nationalism & "
        "Globalization and TikTok Ban / Censorship are the lowest (values not given)",
        "§6.4, Figure 6",
        "SELECT string_agg(code_name || ' ' || printf('%.2f', mean_score), '; ' ORDER BY mean_score) FROM "
        "(SELECT * FROM marts.sentiment_by_topic WHERE mean_score IS NOT NULL ORDER BY mean_score LIMIT 3)",
    ),
    PaperValue(
        "Arts & Creativity sentiment, low vs high influence",
        "above 0.55 vs 0.07",
        "§6.4, Figure 7",
        "SELECT coalesce(printf('%.2f', max(mean_score) FILTER (tier = 'low')), 'n/a') || ' vs ' || "
        "coalesce(printf('%.2f', max(mean_score) FILTER (tier = 'high')), 'n/a') "
        "FROM marts.sentiment_by_topic_and_tier WHERE code = '6'",
    ),
    PaperValue(
        "High-influence sentiment on ideological topics",
        "Digital Nationalism & Globalization about −0.18; Free Speech & Digital Rights about −0.1",
        "§6.4, Figure 7",
        _sentiment(("3c", "3b"), tier="high"),
    ),
    PaperValue(
        "Food / Fashion / Lifestyle engagement score, high influence",
        "0.50 (Pre-Ban) → 0.81 (Stabilization)",
        "§6.3, Figure 5",
        _fig5("2c"),
    ),
    PaperValue(
        "Marketing & E-Commerce engagement score, high influence",
        "0.00 (Pre-Ban) → 0.51 (Stabilization)",
        "§6.3, Figure 5",
        _fig5("4"),
    ),
    PaperValue(
        "Self-Expression / Personal Stories engagement score",
        "peaks in the Surge (0.67), 0.50 in Stabilization",
        "§6.3, Figure 5",
        _fig5("5b"),
    ),
    PaperValue(
        "Topic coding agreement, model vs manual (Cohen's κ)",
        "0.82 (10 % of LLM-labelled posts re-validated)",
        "§4.2",
        "SELECT printf('%.2f', kappa) || ' (N = ' || n || ', held-out notes vs the coders'' consensus)' "
        "FROM analysis.coding_agreement WHERE label_table = 'enrich.note_topics' AND language = 'all' "
        "AND comparison = 'model_vs_consensus' AND level = 'code' AND category = 'all'",
    ),
    PaperValue(
        "Sentiment distribution, high vs low influence (χ², 400 notes per group after the 0.3 confidence filter)",
        "test reported as conducted; statistic not given",
        "§4.1",
        "SELECT report FROM analysis.sentiment_chi_square",
    ),
)


PAPER_VALUES += (
    PaperValue(
        "Sampling quotas for #猫税, #tiktokrefugees, #cattax, #tiktokrefugee (N = 200)",
        "6 / 12 / 175 / 7",
        "Jing & Zhang 2026, §3",
        "SELECT string_agg(quota::VARCHAR, ' / ') FROM analysis.sampling_frame_quotas",
    ),
    PaperValue(
        "Order of the stages",
        "cat tax play → 对账 everyday comparison → Li Hua letters",
        "Jing & Zhang 2026; Cheng 2025",
        "SELECT string_agg(stage, ' → ' ORDER BY peak_week) FROM analysis.stage_peaks WHERE entity = 'note'",
    ),
)


def paper_vs_pipeline(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """One row per published value: quantity, the paper's value and source, and ours (or why not)."""
    rows = []
    for value in PAPER_VALUES:
        missing = missing_inputs(con, value.sql)
        if missing:
            ours = f"not computed ({', '.join(missing)} missing)"
        else:
            found = con.execute(value.sql).fetchall()
            ours = found[0][0] if found and found[0][0] is not None else "no data"
        rows.append({"quantity": value.quantity, "paper": value.paper, "source": value.source, "pipeline": ours})
    return pl.DataFrame(
        rows, schema={"quantity": pl.String, "paper": pl.String, "source": pl.String, "pipeline": pl.String}
    )
