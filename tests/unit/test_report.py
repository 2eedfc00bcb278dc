"""lib/report: every figure draws from its mart, missing inputs are named instead of crashing, the
paper-vs-pipeline table reads the warehouse, the HTML is offline and deterministic, exports round-trip."""

import datetime as dt
import re

import duckdb
import polars as pl
import pytest

from rednote_dagster.lib.report.build import export_tables, read_report, render_html, report_reads
from rednote_dagster.lib.report.figures import FIGURES, FIGURES_BY_TABLE
from rednote_dagster.lib.report.images import figure_png, find_browser, png_markdown
from rednote_dagster.lib.report.inputs import REPORT_INPUTS, tables_of
from rednote_dagster.lib.report.paper import paper_vs_pipeline
from rednote_dagster.lib.settings import PngPreviewSettings

PHASES = ("pre_ban", "surge", "stabilization")
CODES = (
    ("2c", "Food, Lifestyle & Fashion", "2"),
    ("4", "Marketing & E-Commerce", "4"),
    ("6", "Arts & Creativity", "6"),
)


def _table(con, name: str, df: pl.DataFrame) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {name.split('.')[0]}")
    con.register("_df", df.to_arrow())
    con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _df")
    con.unregister("_df")


def build_warehouse(con, skip: tuple[str, ...] = ()) -> None:
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(120)]
    counts = [40 if d == dt.date(2025, 1, 19) else 2 if d == dt.date(2025, 4, 4) else 10 for d in days]
    phase = [
        "pre_ban" if d < dt.date(2025, 1, 19) else "surge" if d < dt.date(2025, 4, 4) else "stabilization" for d in days
    ]
    tables = {
        "marts.daily_note_counts": pl.DataFrame({"ny_date": days, "phase": phase, "notes": counts}),
        "analysis.phase_breakpoints": pl.DataFrame(
            {
                "boundary": ["surge_start", "stabilization_start"],
                "configured_date": [dt.date(2025, 1, 19), dt.date(2025, 4, 4)],
                "detected_date": [dt.date(2025, 1, 19), dt.date(2025, 4, 4)],
                "days_off": [0, 0],
                "method": ["peak_trough"] * 2,
                "notes_on_detected": [40, 2],
            }
        ),
        "marts.engagement_by_phase_and_tier": pl.DataFrame(
            [
                {
                    "phase": p,
                    "tier": t,
                    "notes": 5,
                    "authors": 2,
                    "mean_likes": 1600.0 if t == "high" else 23.5,
                    "mean_collects": 10.0,
                    "mean_comments": 3.0,
                    "mean_shares": 1.0,
                }
                for p in PHASES
                for t in ("high", "low")
            ]
        ),
        "marts.tier_transitions": pl.DataFrame(
            [
                {"from_phase": a, "from_tier": ft, "to_phase": b, "to_tier": tt, "users": 3}
                for a, b in (("pre_ban", "surge"), ("surge", "stabilization"))
                for ft in ("high", "low", "inactive")
                for tt in ("high", "inactive")
            ]
        ),
        "marts.topic_share_by_tier": pl.DataFrame(
            [
                {"tier": t, "code": c, "code_name": n, "category": k, "category_name": n, "notes": 4, "share": 1 / 3}
                for t in ("high", "low")
                for c, n, k in CODES
            ]
        ),
        "analysis.category_engagement": pl.DataFrame(
            [
                {
                    "phase": p,
                    "code": c,
                    "code_name": n,
                    "category": k,
                    "category_name": n,
                    "notes": 3,
                    "mean_likes": 1.0,
                    "mean_collects": 1.0,
                    "mean_comments": 1.0,
                    "mean_shares": 1.0,
                    "engagement_score": [0.5, 0.6, 0.81][PHASES.index(p)] if c == "2c" else 0.1,
                    "rank": 1 if c == "2c" else 2,
                }
                for p in PHASES
                for c, n, k in CODES
            ]
        ),
        "marts.sentiment_by_topic": pl.DataFrame(
            [
                {"code": c, "code_name": n, "notes": 9, "mean_score": s, "notes_passing": 8}
                for (c, n, _), s in zip(CODES, (0.39, 0.36, None))
            ]
        ),
        "marts.sentiment_by_topic_and_tier": pl.DataFrame(
            [
                {"code": c, "code_name": n, "tier": t, "notes_passing": 4, "mean_score": 0.55 if t == "low" else 0.07}
                for c, n, _ in CODES
                for t in ("high", "low")
            ]
        ),
        "analysis.sentiment_chi_square": pl.DataFrame(
            {
                "statistic": [1.0],
                "p_value": [0.9],
                "dof": [4],
                "n_high": [400],
                "n_low": [400],
                "n_high_available": [900],
                "n_low_available": [500],
                "cramers_v": [0.05],
                "min_expected": [30.0],
                "cells_expected_below_5": [0],
                "p_value_permutation": [0.91],
                "warning": [None],
                "report": ["χ²(4, N = 800) = 1.00, p = .900, V = 0.050"],
            }
        ),
        "analysis.sentiment_chi_square_table": pl.DataFrame(
            [{"group": g, "score": s, "observed": 80, "expected": 80.0} for g in ("high", "low") for s in range(-2, 3)]
        ),
        "analysis.coding_agreement": pl.DataFrame(
            [
                {
                    "label_table": t,
                    "scheme": t.split("_")[-1],
                    "language": lang,
                    "comparison": c,
                    "level": lv,
                    "category": "all",
                    "n": 100,
                    "kappa": 0.8,
                    "percent_agreement": 0.85,
                }
                for t in ("enrich.note_topics", "enrich.note_sentiment")
                for lang in ("all", "zh", "en")
                for c in ("model_vs_consensus", "coder_a_vs_coder_b")
                for lv in ("code", "category")
            ]
        ),
        "analysis.user_influence_weights": pl.DataFrame(
            [
                {"phase": p, "indicator": i, "weight": 0.25, "entropy": 0.5, "n_active": 8, "degenerate": False}
                for p in (*PHASES, "all")
                for i in ("followers", "likes", "comments", "collects")
            ]
        ),
        "analysis.stage_timeline": pl.DataFrame(
            [
                {
                    "week": dt.date(2025, 1, 6) + dt.timedelta(weeks=w),
                    "entity": e,
                    "stage": st,
                    "n_texts": 50,
                    "n_marked": 10 if w == i * 4 else 1,
                    "share": 0.2 if w == i * 4 else 0.02,
                }
                for w in range(12)
                for e in ("note", "comment")
                for i, st in enumerate(("cat_tax", "duizhang", "li_hua"))
            ]
        ),
        "analysis.stage_peaks": pl.DataFrame(
            [
                {
                    "entity": "note",
                    "stage": st,
                    "peak_week": dt.date(2025, 1, 6) + dt.timedelta(weeks=i * 4),
                    "peak_share": 0.2,
                    "n_texts": 50,
                }
                for i, st in enumerate(("cat_tax", "duizhang", "li_hua"))
            ]
        ),
        "marts.comment_affect_by_topic_group": pl.DataFrame(
            [
                {"topic_group": g, "commenter_group": c, "emotion": e, "stance": s, "comments": 5, "share": 1 / 6}
                for g in ("political", "cultural")
                for c in ("all", "native")
                for e in ("anger", "joy")
                for s in ("pro-china", "neutral", "pro-foreign")
            ]
        ),
        "marts.collection_summary": pl.DataFrame({"collection_month": [dt.date(2025, 1, 1)], "notes": [10]}),
        "raw.notes": pl.DataFrame(
            {"note_id": ["1"], "collection_month": [dt.date(2025, 1, 1)], "crawled_at": [dt.datetime(2025, 1, 20, 8)]}
        ),
        "raw.ingest_log": pl.DataFrame(
            {
                "collection_month": [dt.date(2025, 1, 1)],
                "entity": ["note"],
                "source_file": ["a.json"],
                "source_tool": ["mediacrawler"],
                "records_read": [3],
                "accepted": [2],
                "rejected": [1],
                "duplicates": [0],
            }
        ),
        "enrich.note_sentiment": pl.DataFrame(
            {"note_id": ["1"], "backend": ["lexicon"], "model_id": ["vader+snownlp"], "model_revision": ["cutoffs-v3"]}
        ),
        "enrich.topic_info": pl.DataFrame(
            {"topic": [0], "size": [5], "name": ["0_cat_tax"], "top_words": [["cat", "tax"]], "model_version": ["abc"]}
        ),
    }
    for name, df in tables.items():
        if name not in skip:
            _table(con, name, df)


@pytest.fixture
def con():
    with duckdb.connect() as con:
        build_warehouse(con)
        yield con


def test_every_figure_draws_from_its_tables(con):
    report = read_report(con, synthetic=True, code_version="test")
    assert report.drawn == len(FIGURES), [(f.spec.number, f.missing) for f in report.figures]
    for rendered in report.figures:
        assert len(rendered.figure.data) > 0, rendered.spec.number
    sankey = next(f.figure for f in report.figures if f.spec.number == "3").data[0]
    assert sankey.type == "sankey" and len(sankey.node.label) == 9 and sum(sankey.link.value) == 36
    fig1 = next(f.figure for f in report.figures if f.spec.number == "1")
    assert len(fig1.layout.shapes) == 3  # one shaded band per phase
    assert {t.name for t in fig1.data} >= {"detected peak", "detected trough"}
    assert FIGURES_BY_TABLE["analysis.phase_breakpoints"].number == "1"


def test_a_missing_table_is_named_not_fatal():
    with duckdb.connect() as con:
        build_warehouse(con, skip=("marts.tier_transitions", "analysis.phase_breakpoints"))
        report = read_report(con, synthetic=False, code_version="test")
        html = render_html(report, "now")
    by_number = {f.spec.number: f for f in report.figures}
    assert by_number["3"].figure is None and "marts.tier_transitions" in by_number["3"].missing
    assert by_number["1"].figure is not None  # the breakpoints are optional for Figure 1
    assert "Figure 3 (User trajectories across phases)\nnot drawn" in html
    assert 'id="synthetic-banner"' not in html
    paper = dict(zip(report.paper["quantity"], report.paper["pipeline"]))
    assert paper["Peak of notes per day"].startswith("not computed (analysis.phase_breakpoints missing)")


def test_paper_vs_pipeline_reads_the_warehouse(con):
    paper = dict(zip(*paper_vs_pipeline(con).select("quantity", "pipeline").to_dict(as_series=False).values()))
    assert paper["Peak of notes per day"] == "Jan 19, 2025: 40 notes"
    assert paper["Post-peak trough"] == "Apr 4, 2025: 2 notes"
    assert paper["Pre-Ban likes per note, high vs low influence"] == "1,600.0 vs 23.5"
    assert paper["Arts & Creativity sentiment, low vs high influence"] == "0.55 vs 0.07"
    assert (
        paper["Food / Fashion / Lifestyle engagement score, high influence"]
        == "Pre-Ban 0.50 → Surge 0.60 → Stabilization 0.81"
    )
    assert paper["Highest mean sentiment by topic"].startswith(
        "Food, Lifestyle & Fashion 0.39; Marketing & E-Commerce 0.36"
    )
    assert paper["Topic coding agreement, model vs manual (Cohen's κ)"].startswith("0.80 (N = 100")


def test_html_is_offline_and_deterministic(con):
    report = read_report(con, synthetic=True, code_version="test")
    first, again, later = (
        render_html(report, "2026-01-01"),
        render_html(read_report(con, synthetic=True, code_version="test"), "2026-01-01"),
        render_html(report, "2027-01-01"),
    )
    assert first == again
    assert first != later and first.replace("2026-01-01", "2027-01-01") == later
    assert "<script src=" not in first and "cdn.plot.ly" not in first.split("</script>", 1)[1]
    assert re.search(r"Figures: 12 of 12 drawn", first)
    assert 'id="synthetic-banner"' in first and "0_cat_tax" in first


def test_exports_round_trip(con, tmp_path):
    written = export_tables(con, tmp_path)
    assert {p.name for p in written} >= {
        "daily_note_counts.csv",
        "daily_note_counts.parquet",
        "coding_agreement.parquet",
    }
    original = con.sql("SELECT * FROM marts.engagement_by_phase_and_tier").pl()
    assert pl.read_parquet(tmp_path / "marts" / "engagement_by_phase_and_tier.parquet").equals(original)
    assert pl.read_csv(tmp_path / "marts" / "engagement_by_phase_and_tier.csv").height == original.height
    assert not (tmp_path / "raw").exists()  # only marts and analysis are exported


def test_tables_of_finds_the_tables_a_query_reads(monkeypatch):
    monkeypatch.setitem(REPORT_INPUTS, "marts.x", ("marts/x",))
    monkeypatch.setitem(REPORT_INPUTS, "analysis.y", ("analysis/y",))
    monkeypatch.setitem(REPORT_INPUTS, "raw.z", ("raw/z",))
    sql = "WITH w AS (SELECT 1) SELECT a FROM marts.x m JOIN analysis.y USING (k) WHERE b IN (SELECT c FROM raw.z, w)"
    assert tables_of(sql) == ["marts.x", "analysis.y", "raw.z"]  # the CTE w is not a table
    with pytest.raises(ValueError, match="raw.elsewhere, notes, which lib/report/inputs.py"):
        tables_of("SELECT * FROM raw.elsewhere JOIN notes USING (note_id)")


def test_the_report_reads_exactly_the_tables_it_declares():
    """The report asset depends on REPORT_INPUTS' assets; every query reads only (and all of) its tables."""
    assert sorted(report_reads()) == sorted(REPORT_INPUTS)
    from rednote_dagster.defs.report.study_report import study_report

    deps = {key.to_user_string() for key in study_report.asset_deps[study_report.key]}
    assert deps == {key for keys in REPORT_INPUTS.values() for key in keys}
    from rednote_dagster.definitions import defs

    graph = defs().resolve_asset_graph()  # each is an asset of the project, not a stand-in for a renamed one
    assert all(graph.get(key).is_materializable for key in study_report.asset_deps[study_report.key])


def test_png_preview_uses_the_system_browser_or_says_why_not(con, monkeypatch):
    monkeypatch.delenv("REDNOTE_PNG_PREVIEWS", raising=False)
    fig = read_report(con, synthetic=True, code_version="test").figures[0].figure
    png, why_not = figure_png(fig)
    if find_browser(PngPreviewSettings.from_env())[0] is None:
        assert png is None and why_not.startswith("PNG preview skipped")
    else:
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and why_not is None
        assert png_markdown(png, "Figure 1").startswith("![Figure 1](data:image/png;base64,iVBOR")
