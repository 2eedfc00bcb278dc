"""Read everything the study report shows from the warehouse, render it as one self-contained HTML
file, and export the marts.

The HTML inlines plotly.js once and every figure's data, so the file opens offline and can be mailed
to a co-author. Nothing in it depends on the time of rendering except the one ``generated_at``
line: plotly div ids are fixed, every query is ordered, so the same warehouse gives the same file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import plotly.graph_objects as go
import plotly.offline
import polars as pl
from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from rednote_dagster.lib.exports import atomic_path, write_csv
from rednote_dagster.lib.report.figures import FIGURES, FigureSpec
from rednote_dagster.lib.report.paper import paper_vs_pipeline
from rednote_dagster.lib.warehouse import table_exists

# Schemas whose tables are exported next to the report (the figure data and the analyses).
EXPORTED_SCHEMAS = ("marts", "analysis")
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


@dataclass
class RenderedFigure:
    spec: FigureSpec
    figure: go.Figure | None
    missing: str | None = None  # why the figure could not be drawn


@dataclass
class ReportTable:
    title: str
    note: str
    frame: pl.DataFrame | None
    missing: str | None = None


@dataclass
class StudyReport:
    synthetic: bool
    figures: list[RenderedFigure]
    tables: list[ReportTable]
    paper: pl.DataFrame
    provenance: list[ReportTable]
    code_version: str
    extra: dict = field(default_factory=dict)

    @property
    def drawn(self) -> int:
        return sum(f.figure is not None for f in self.figures)


# -- reading -------------------------------------------------------------------------------------
_READ_TABLE = re.compile(r"\b(?:FROM|JOIN)\s+([A-Za-z_]\w*\.[A-Za-z_]\w*)", re.IGNORECASE)


def tables_of(sql: str) -> list[str]:
    """schema.table names a report query reads (FROM / JOIN targets; our queries name tables that way)."""
    return _READ_TABLE.findall(sql)


def figure_frames(con: duckdb.DuckDBPyConnection, spec: FigureSpec) -> tuple[dict[str, pl.DataFrame | None], str | None]:
    """The spec's frames, None for a missing optional one; (…, reason) when a required one is missing."""
    frames: dict[str, pl.DataFrame | None] = {}
    for name, sql in spec.queries.items():
        missing = [t for t in tables_of(sql) if not table_exists(con, t)]
        if missing:
            if name in spec.optional:
                frames[name] = None
                continue
            return frames, f"{', '.join(missing)} not materialized yet"
        frames[name] = con.sql(sql).pl()
    empty = [n for n, f in frames.items() if f is not None and f.is_empty() and n not in spec.optional]
    if empty:
        return frames, f"no rows in {', '.join(empty)}"
    return frames, None


def render_figure(con: duckdb.DuckDBPyConnection, spec: FigureSpec) -> RenderedFigure:
    frames, missing = figure_frames(con, spec)
    if missing:
        return RenderedFigure(spec, None, missing)
    return RenderedFigure(spec, spec.build(**frames))


def _query_table(con, title: str, note: str, sql: str) -> ReportTable:
    missing = [t for t in tables_of(sql) if not table_exists(con, t)]
    if missing:
        return ReportTable(title, note, None, f"{', '.join(missing)} not materialized yet")
    return ReportTable(title, note, con.sql(sql).pl())


def report_tables(con: duckdb.DuckDBPyConnection) -> list[ReportTable]:
    return [
        _query_table(con, "Sentiment by influence: χ² test of independence",
                     "Notes passing the 0.3 confidence filter, then up to 400 per tier drawn with a fixed seed "
                     "(Feng et al. §4.1). Quote the permutation p-value when the expected-count rule fails.",
                     "SELECT report AS result, n_high, n_low, n_high_available, n_low_available, "
                     "round(cramers_v, 3) AS cramers_v, round(min_expected, 2) AS min_expected, "
                     "cells_expected_below_5, round(p_value_permutation, 4) AS p_permutation, "
                     "coalesce(warning, '') AS warning FROM analysis.sentiment_chi_square"),
        _query_table(con, "χ² observed and expected counts", "Sentiment score (−2 … 2) by influence tier.",
                     "SELECT \"group\" AS tier, score, observed, round(expected, 2) AS expected "
                     "FROM analysis.sentiment_chi_square_table ORDER BY tier, score"),
        _query_table(con, "Topic coding agreement (Cohen's κ)",
                     "Model vs each coder and vs their consensus on the held-out half of the manual coding, and "
                     "the coders vs each other, at code and category level.",
                     "SELECT comparison, level, n, round(kappa, 3) AS kappa, round(percent_agreement, 3) AS agreement "
                     "FROM analysis.coding_agreement WHERE category = 'all' ORDER BY comparison, level"),
        _query_table(con, "Influence weights (entropy weight method)",
                     "Weight of each engagement indicator per phase; authors with fewer than 3 notes in a phase "
                     "are inactive and not scored; the top 25 % by score are high influence.",
                     "SELECT phase, indicator, round(weight, 4) AS weight, round(entropy, 4) AS entropy, n_active, "
                     "degenerate FROM analysis.user_influence_weights "
                     "ORDER BY array_position(['pre_ban', 'surge', 'stabilization', 'all'], phase), indicator"),
        _query_table(con, "Phases: configured vs detected",
                     "Configured boundaries (dbt vars) beside the peak / post-peak trough and an L2 change-point "
                     "search on the daily curve.",
                     "SELECT boundary, configured_date, detected_date, days_off, method, notes_on_detected "
                     "FROM analysis.phase_breakpoints ORDER BY method DESC, configured_date"),
        _query_table(con, "BERTopic clusters (largest 15)",
                     "Unsupervised topics beside the taxonomy: c-TF-IDF words and the model version that "
                     "assigned them.",
                     "SELECT topic, size, name, top_words, model_version FROM enrich.topic_info "
                     "WHERE topic <> -1 ORDER BY size DESC, topic LIMIT 15"),
        _query_table(con, "Comment emotion, stance and topic group: χ² tests (Li et al.)",
                     "All labelled comments; empty rows and columns dropped. Quote the permutation p-value when "
                     "the expected-count rule fails.",
                     "SELECT variables, n, coalesce(report, warning) AS result, round(min_expected, 2) AS "
                     "min_expected, cells_expected_below_5, round(p_value_permutation, 4) AS p_permutation, "
                     "coalesce(warning, '') AS warning FROM analysis.comment_affect_chi_square"),
        _query_table(con, "Sampling frame quotas (Jing & Zhang §3)",
                     "Posts allocated to each hashtag in proportion to its discussion volume (largest remainder), "
                     "and how many the corpus could supply; the posts and their comments are CSVs under "
                     "reports/sampling_frame/.",
                     "SELECT hashtag, volume, round(share, 4) AS share, round(exact, 2) AS exact, quota, sampled "
                     "FROM analysis.sampling_frame_quotas"),
        _query_table(con, "Collection months",
                     "What each crawl month contributed; records_read = accepted + rejected + duplicate per file.",
                     "SELECT * FROM marts.collection_summary ORDER BY collection_month"),
    ]


LABEL_TABLES = ("enrich.note_sentiment", "enrich.comment_sentiment", "enrich.note_topics",
                "enrich.comment_emotion", "enrich.comment_stance")


def provenance_tables(con: duckdb.DuckDBPyConnection) -> list[ReportTable]:
    """Which backend, model and revision produced the labels, and what data went in."""
    labels = []
    for table in LABEL_TABLES:
        if not table_exists(con, table):
            continue
        cols = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
        scheme = "scheme_version" if "scheme_version" in cols else "NULL"
        prompts = "count(DISTINCT prompt_hash)" if "prompt_hash" in cols else "NULL"
        labels.append(con.sql(
            f"SELECT '{table}' AS labels, backend, model_id, model_revision, {scheme}::VARCHAR AS scheme_version, "
            f"count(*) AS rows, {prompts}::BIGINT AS distinct_prompts FROM {table} GROUP BY ALL").pl())
    model_table = ReportTable(
        "Models, revisions and backends", "One row per label table and the backend/model/revision that labelled "
        "its rows; scheme_version carries the label scheme's prompt fingerprint.",
        pl.concat(labels).sort("labels", "backend", "model_id") if labels else None,
        None if labels else "no label tables materialized yet")
    return [
        model_table,
        _query_table(con, "Partitions and crawl dates",
                     "Collection months in the warehouse, with the crawl timestamps of their notes.",
                     "SELECT collection_month, count(*) AS notes, min(crawled_at) AS first_crawl, "
                     "max(crawled_at) AS last_crawl FROM raw.notes GROUP BY collection_month ORDER BY collection_month"),
        _query_table(con, "Source files", "Files read per collection month and entity (raw.ingest_log).",
                     "SELECT collection_month, entity, count(DISTINCT source_file) AS files, sum(records_read) AS read, "
                     "sum(accepted) AS accepted, sum(rejected) AS rejected, sum(duplicates) AS duplicates "
                     "FROM raw.ingest_log GROUP BY ALL ORDER BY collection_month, entity"),
    ]


def read_report(con: duckdb.DuckDBPyConnection, *, synthetic: bool, code_version: str) -> StudyReport:
    return StudyReport(
        synthetic=synthetic,
        figures=[render_figure(con, spec) for spec in FIGURES],
        tables=report_tables(con),
        paper=paper_vs_pipeline(con),
        provenance=provenance_tables(con),
        code_version=code_version,
    )


# -- rendering -----------------------------------------------------------------------------------
def html_table(df: pl.DataFrame | None) -> str:
    if df is None:
        return ""

    def cell(value) -> str:
        if value is None:
            return "<td class='null'>–</td>"
        if isinstance(value, float):
            return f"<td class='num'>{value:,.4g}</td>"
        if isinstance(value, int) and not isinstance(value, bool):
            return f"<td class='num'>{value:,}</td>"
        if isinstance(value, list):
            value = ", ".join(map(str, value))
        if isinstance(value, dt.datetime):
            value = value.isoformat(sep=" ", timespec="seconds")
        return f"<td>{html.escape(str(value))}</td>"

    head = "".join(f"<th>{html.escape(c)}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in df.iter_rows())
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def figure_html(rendered: RenderedFigure) -> str:
    if rendered.figure is None:
        return ""
    return rendered.figure.to_html(full_html=False, include_plotlyjs=False, div_id=rendered.spec.slug,
                                   config=PLOTLY_CONFIG)


TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>RedNote migration study: Feng et al. (2025) figures reproduced</title>
<style>
 body { font-family: Helvetica, Arial, sans-serif; max-width: 1180px; margin: 2em auto; padding: 0 1em; color: #222; }
 h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: .2em; }
 .banner { background: #fff3cd; border: 1px solid #e0c36a; padding: .8em 1em; border-radius: 4px; }
 table { border-collapse: collapse; margin: .6em 0 1.2em; font-size: .88em; }
 th, td { border: 1px solid #ddd; padding: .3em .6em; text-align: left; vertical-align: top; }
 th { background: #f5f5f5; } td.num { text-align: right; font-variant-numeric: tabular-nums; } td.null { color: #999; }
 .caption { color: #555; font-size: .92em; } .missing { color: #a33; } figure { margin: 1.5em 0; }
 nav a { margin-right: .8em; } code { background: #f5f5f5; padding: 0 .2em; }
</style>
<script type="text/javascript">{{ plotly_js }}</script>
</head><body>
<h1>RedNote migration study: Feng, Dong &amp; Lei (2025) reproduced</h1>
{% if synthetic %}<p class="banner" id="synthetic-banner"><strong>Synthetic corpus.</strong> The input is the
bundled synthetic corpus, planted to the shape of the paper's findings at a smaller scale. The pipeline's numbers
below describe that corpus, not RedNote.</p>{% endif %}
<p>Generated {{ generated_at }} by rednote_dagster {{ code_version }}.
Figures: {{ drawn }} of {{ figures|length }} drawn.</p>
<nav>{% for f in figures %}<a href="#{{ f.spec.slug }}">Fig. {{ f.spec.number }}</a>{% endfor %}
<a href="#paper-vs-pipeline">Paper vs pipeline</a><a href="#tables">Tables</a><a href="#provenance">Provenance</a></nav>

<h2>Figures</h2>
{% for f in figures %}<figure id="{{ f.spec.slug }}-block" class="report-figure">
{% if f.figure is not none %}{{ f.html }}{% else %}<p class="missing">Figure {{ f.spec.number }} ({{ f.spec.title }})
not drawn: {{ f.missing }}.</p>{% endif %}
<figcaption class="caption"><strong>Figure {{ f.spec.number }}.</strong> {{ f.spec.caption }}
Data: <code>{{ f.spec.table }}</code>.</figcaption></figure>
{% endfor %}

<h2 id="paper-vs-pipeline">Paper vs pipeline</h2>
<p class="caption">Feng et al.'s published values beside this run's{% if synthetic %} (<strong>synthetic
corpus</strong>){% endif %}.</p>
{{ paper_html }}

<h2 id="tables">Tables</h2>
{% for t in tables %}<h3>{{ t.title }}</h3><p class="caption">{{ t.note }}</p>
{% if t.frame is not none %}{{ t.html }}{% else %}<p class="missing">Not available: {{ t.missing }}.</p>{% endif %}
{% endfor %}

<h2 id="provenance">Provenance</h2>
<p class="caption">Code version: <code>{{ code_version }}</code>. Warehouse content digest:
<code>{{ digest }}</code>.</p>
{% for t in provenance %}<h3>{{ t.title }}</h3><p class="caption">{{ t.note }}</p>
{% if t.frame is not none %}{{ t.html }}{% else %}<p class="missing">Not available: {{ t.missing }}.</p>{% endif %}
{% endfor %}
</body></html>
"""


def render_html(report: StudyReport, generated_at: str) -> str:
    env = Environment(autoescape=select_autoescape(default=True))
    # Figures and tables are built as HTML here (Markup); everything else the template escapes.
    figures = [dict(spec=f.spec, figure=f.figure, missing=f.missing, html=Markup(figure_html(f))) for f in report.figures]
    tables = [dict(title=t.title, note=t.note, frame=t.frame, missing=t.missing, html=Markup(html_table(t.frame)))
              for t in report.tables]
    provenance = [dict(title=t.title, note=t.note, frame=t.frame, missing=t.missing, html=Markup(html_table(t.frame)))
                  for t in report.provenance]
    digest = content_digest(report)
    return env.from_string(TEMPLATE).render(
        plotly_js=Markup(plotly.offline.get_plotlyjs()), synthetic=report.synthetic, generated_at=generated_at,
        code_version=report.code_version, figures=figures, drawn=report.drawn, tables=tables,
        paper_html=Markup(html_table(report.paper)), provenance=provenance, digest=digest,
    )


def content_digest(report: StudyReport) -> str:
    """SHA-256 over every number the report shows, so two reports can be compared at a glance."""
    h = hashlib.sha256()
    for f in report.figures:
        h.update(f.figure.to_json().encode() if f.figure is not None else (f.missing or "").encode())
    for t in (*report.tables, *report.provenance):
        h.update(t.title.encode())
        if t.frame is not None:
            h.update(t.frame.write_json().encode())
    h.update(report.paper.write_json().encode())
    return h.hexdigest()[:16]


def write_report(report: StudyReport, path: Path, generated_at: str | None = None) -> Path:
    stamp = generated_at or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    html_text = render_html(report, stamp)
    with atomic_path(path) as tmp:  # a reader never sees half a report, a full disk leaves the last one
        tmp.write_text(html_text, encoding="utf-8")
    return path


def _sql_string(path: Path) -> str:
    return path.as_posix().replace("'", "''")


# Column types that reach polars as themselves; any other (lists, structs, intervals, UUIDs ...) is
# exported as DuckDB's own text for it, which is what a CSV can hold.
_NATIVE_TYPE = re.compile(r"(BOOLEAN|U?(TINYINT|SMALLINT|INTEGER|BIGINT)|FLOAT|DOUBLE|DECIMAL\(.*\)|VARCHAR|DATE"
                          r"|TIME|TIMESTAMP(_S|_MS|_NS)?|TIMESTAMP WITH TIME ZONE)")


def export_tables(con: duckdb.DuckDBPyConnection, out_dir: Path, schemas: tuple[str, ...] = EXPORTED_SCHEMAS) -> list[Path]:
    """Every table of ``schemas`` as ``out_dir/<schema>/<table>.csv`` and ``.parquet``.

    CSVs go through lib/exports (formula-leading text neutralised, NULs dropped); parquet keeps the raw
    values (it is data for code, not opened in a spreadsheet). Both are written atomically."""
    written = []
    found = con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN "
        f"({', '.join('?' for _ in schemas)}) ORDER BY 1, 2", list(schemas)).fetchall()
    for schema, table in found:
        folder = out_dir / schema
        quoted = [('"' + name.replace('"', '""') + '"', kind)
                  for name, kind, *_ in con.execute(f"DESCRIBE {schema}.{table}").fetchall()]
        columns = [q if _NATIVE_TYPE.fullmatch(kind) else f"CAST({q} AS VARCHAR) AS {q}" for q, kind in quoted]
        written.append(write_csv(con.sql(f"SELECT {', '.join(columns)} FROM {schema}.{table}").pl(),
                                 folder / f"{table}.csv"))
        target = folder / f"{table}.parquet"
        with atomic_path(target) as tmp:
            con.execute(f"COPY (SELECT * FROM {schema}.{table}) TO '{_sql_string(tmp)}' (FORMAT parquet)")
        written.append(target)
    return written
