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
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from rednote_dagster.lib.exports import atomic_path, write_csv
from rednote_dagster.lib.report.figures import FIGURES, FigureSpec
from rednote_dagster.lib.report.inputs import missing_inputs, tables_of
from rednote_dagster.lib.report.paper import PAPER_VALUES, paper_vs_pipeline
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
def figure_frames(
    con: duckdb.DuckDBPyConnection, spec: FigureSpec
) -> tuple[dict[str, pl.DataFrame | None], str | None]:
    """The spec's frames, None for a missing optional one; (…, reason) when a required one is missing."""
    frames: dict[str, pl.DataFrame | None] = {}
    for name, sql in spec.queries.items():
        missing = missing_inputs(con, sql)
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


@dataclass(frozen=True)
class TableQuery:
    """A table of the report: its heading, the note under it and the SQL that reads it."""

    title: str
    note: str
    sql: str

    def read(self, con: duckdb.DuckDBPyConnection) -> ReportTable:
        missing = missing_inputs(con, self.sql)
        if missing:
            return ReportTable(self.title, self.note, None, f"{', '.join(missing)} not materialized yet")
        return ReportTable(self.title, self.note, con.sql(self.sql).pl())


REPORT_TABLES: tuple[TableQuery, ...] = (
    TableQuery(
        "Sentiment by influence: χ² test of independence",
        "Notes passing the 0.3 confidence filter, then up to 400 per tier drawn with a fixed seed "
        "(Feng et al. §4.1). Quote the permutation p-value when the expected-count rule fails.",
        "SELECT report AS result, n_high, n_low, n_high_available, n_low_available, "
        "round(cramers_v, 3) AS cramers_v, round(min_expected, 2) AS min_expected, "
        "cells_expected_below_5, round(p_value_permutation, 4) AS p_permutation, "
        "coalesce(warning, '') AS warning FROM analysis.sentiment_chi_square",
    ),
    TableQuery(
        "χ² observed and expected counts",
        "Sentiment score (−2 … 2) by influence tier.",
        'SELECT "group" AS tier, score, observed, round(expected, 2) AS expected '
        "FROM analysis.sentiment_chi_square_table ORDER BY tier, score",
    ),
    TableQuery(
        "Topic coding agreement (Cohen's κ)",
        "Model vs each coder and vs their consensus on the held-out half of the manual coding, and "
        "the coders vs each other, at code and category level.",
        "SELECT comparison, level, n, round(kappa, 3) AS kappa, round(percent_agreement, 3) AS agreement "
        "FROM analysis.coding_agreement WHERE label_table = 'enrich.note_topics' AND language = 'all' "
        "AND category = 'all' ORDER BY comparison, level",
    ),
    TableQuery(
        "Influence weights (entropy weight method)",
        "Weight of each engagement indicator per phase; authors with fewer than 3 notes in a phase "
        "are inactive and not scored; the top 25 % by score are high influence.",
        "SELECT phase, indicator, round(weight, 4) AS weight, round(entropy, 4) AS entropy, n_active, "
        "degenerate FROM analysis.user_influence_weights "
        "ORDER BY array_position(['pre_ban', 'surge', 'stabilization', 'all'], phase), indicator",
    ),
    TableQuery(
        "Phases: configured vs detected",
        "Configured boundaries (dbt vars) beside the peak / post-peak trough and an L2 change-point "
        "search on the daily curve.",
        "SELECT boundary, configured_date, detected_date, days_off, method, notes_on_detected "
        "FROM analysis.phase_breakpoints ORDER BY method DESC, configured_date",
    ),
    TableQuery(
        "BERTopic clusters (largest 15)",
        "Unsupervised topics beside the taxonomy: c-TF-IDF words and the model version that assigned them.",
        "SELECT topic, size, name, top_words, model_version FROM enrich.topic_info "
        "WHERE topic <> -1 ORDER BY size DESC, topic LIMIT 15",
    ),
    TableQuery(
        "Comment emotion, stance and topic group: χ² tests (Li et al.)",
        "All labelled comments; empty rows and columns dropped. Quote the permutation p-value when "
        "the expected-count rule fails.",
        "SELECT variables, n, coalesce(report, warning) AS result, round(min_expected, 2) AS "
        "min_expected, cells_expected_below_5, round(p_value_permutation, 4) AS p_permutation, "
        "coalesce(warning, '') AS warning FROM analysis.comment_affect_chi_square",
    ),
    TableQuery(
        "Sampling frame quotas (Jing & Zhang §3)",
        "Posts allocated to each hashtag in proportion to its discussion volume (largest remainder), "
        "and how many the corpus could supply; the posts and their comments are CSVs under "
        "reports/sampling_frame/.",
        "SELECT hashtag, volume, round(share, 4) AS share, round(exact, 2) AS exact, quota, sampled "
        "FROM analysis.sampling_frame_quotas",
    ),
    TableQuery(
        "Collection months",
        "What each crawl month contributed; records_read = accepted + rejected + duplicate per file.",
        "SELECT * FROM marts.collection_summary ORDER BY collection_month",
    ),
)


PROVENANCE_TABLES: tuple[TableQuery, ...] = (
    TableQuery(
        "Measured agreement of each label table, by language",
        "Cohen's κ of the labels against the human coders' consensus on the held-out half of each manual "
        "coding (never trained on), over all items and per written language of their text, with N. A label "
        "table that is missing here was not measured: it has no manual coding.",
        "SELECT label_table, language, n, round(kappa, 3) AS kappa, round(percent_agreement, 3) AS agreement "
        "FROM analysis.coding_agreement WHERE comparison = 'model_vs_consensus' AND level = 'code' "
        "ORDER BY label_table, array_position(['all', 'zh', 'en', 'mixed', 'none'], language)",
    ),
    TableQuery(
        "Partitions and crawl dates",
        "Collection months in the warehouse, with the crawl timestamps of their notes.",
        "SELECT collection_month, count(*) AS notes, min(crawled_at) AS first_crawl, "
        "max(crawled_at) AS last_crawl FROM raw.notes GROUP BY collection_month ORDER BY collection_month",
    ),
    TableQuery(
        "Source files",
        "Files read per collection month, entity and the tool that wrote them (raw.ingest_log).",
        "SELECT collection_month, entity, source_tool, count(DISTINCT source_file) AS files, "
        "sum(records_read) AS read, sum(accepted) AS accepted, sum(rejected) AS rejected, "
        "sum(duplicates) AS duplicates FROM raw.ingest_log GROUP BY ALL ORDER BY collection_month, entity, source_tool",
    ),
)
LABEL_TABLES = (
    "enrich.note_sentiment",
    "enrich.comment_sentiment",
    "enrich.note_topics",
    "enrich.comment_emotion",
    "enrich.comment_stance",
)


def report_tables(con: duckdb.DuckDBPyConnection) -> list[ReportTable]:
    return [query.read(con) for query in REPORT_TABLES]


def report_reads() -> list[str]:
    """Every table the report can read, each once: its figures, tables, provenance and paper values."""
    queries = [sql for spec in FIGURES for sql in spec.queries.values()]
    queries += [q.sql for q in (*REPORT_TABLES, *PROVENANCE_TABLES)] + [v.sql for v in PAPER_VALUES]
    return list(dict.fromkeys([t for sql in queries for t in tables_of(sql)] + list(LABEL_TABLES)))


def provenance_tables(con: duckdb.DuckDBPyConnection) -> list[ReportTable]:
    """Which backend, model and revision produced the labels, and what data went in."""
    labels = []
    for table in LABEL_TABLES:
        if not table_exists(con, table):
            continue
        cols = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
        scheme = "scheme_version" if "scheme_version" in cols else "NULL"
        prompts = "count(DISTINCT prompt_hash)" if "prompt_hash" in cols else "NULL"
        labels.append(
            con.sql(
                f"SELECT '{table}' AS labels, backend, model_id, model_revision, {scheme}::VARCHAR AS scheme_version, "
                f"count(*) AS rows, {prompts}::BIGINT AS distinct_prompts FROM {table} GROUP BY ALL"
            ).pl()
        )
    model_table = ReportTable(
        "Models, revisions and backends",
        "One row per label table and the backend/model/revision that labelled "
        "its rows; scheme_version carries the label scheme's prompt fingerprint.",
        pl.concat(labels).sort("labels", "backend", "model_id") if labels else None,
        None if labels else "no label tables materialized yet",
    )
    return [model_table, *(query.read(con) for query in PROVENANCE_TABLES)]


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
    return rendered.figure.to_html(
        full_html=False, include_plotlyjs=False, div_id=rendered.spec.slug, config=PLOTLY_CONFIG
    )


# the page around the figures and tables: templates/report.html (package data, see pyproject.toml)
_TEMPLATES = Environment(
    loader=PackageLoader("rednote_dagster.lib.report", "templates"), autoescape=select_autoescape(default=True)
)


def render_html(report: StudyReport, generated_at: str) -> str:
    # Figures and tables are built as HTML here (Markup); everything else the template escapes.
    figures = [
        dict(spec=f.spec, figure=f.figure, missing=f.missing, html=Markup(figure_html(f))) for f in report.figures
    ]
    tables, provenance = (
        [
            dict(title=t.title, note=t.note, frame=t.frame, missing=t.missing, html=Markup(html_table(t.frame)))
            for t in group
        ]
        for group in (report.tables, report.provenance)
    )
    digest = content_digest(report)
    return _TEMPLATES.get_template("report.html").render(
        plotly_js=Markup(plotly.offline.get_plotlyjs()),
        synthetic=report.synthetic,
        generated_at=generated_at,
        code_version=report.code_version,
        figures=figures,
        drawn=report.drawn,
        tables=tables,
        paper_html=Markup(html_table(report.paper)),
        provenance=provenance,
        digest=digest,
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
    stamp = generated_at or dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    html_text = render_html(report, stamp)
    with atomic_path(path) as tmp:  # a reader never sees half a report, a full disk leaves the last one
        tmp.write_text(html_text, encoding="utf-8")
    return path


def _sql_string(path: Path) -> str:
    return path.as_posix().replace("'", "''")


# Column types that reach polars as themselves; any other (lists, structs, intervals, UUIDs ...) is
# exported as DuckDB's own text for it, which is what a CSV can hold.
_NATIVE_TYPE = re.compile(
    r"(BOOLEAN|U?(TINYINT|SMALLINT|INTEGER|BIGINT)|FLOAT|DOUBLE|DECIMAL\(.*\)|VARCHAR|DATE"
    r"|TIME|TIMESTAMP(_S|_MS|_NS)?|TIMESTAMP WITH TIME ZONE)"
)


def export_tables(
    con: duckdb.DuckDBPyConnection, out_dir: Path, schemas: tuple[str, ...] = EXPORTED_SCHEMAS
) -> list[Path]:
    """Every table of ``schemas`` as ``out_dir/<schema>/<table>.csv`` and ``.parquet``.

    CSVs go through lib/exports (formula-leading text neutralised, NULs dropped); parquet keeps the raw
    values (it is data for code, not opened in a spreadsheet). Both are written atomically."""
    written = []
    found = con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN "
        f"({', '.join('?' for _ in schemas)}) ORDER BY 1, 2",
        list(schemas),
    ).fetchall()
    for schema, table in found:
        folder = out_dir / schema
        quoted = [
            ('"' + name.replace('"', '""') + '"', kind)
            for name, kind, *_ in con.execute(f"DESCRIBE {schema}.{table}").fetchall()
        ]
        columns = [q if _NATIVE_TYPE.fullmatch(kind) else f"CAST({q} AS VARCHAR) AS {q}" for q, kind in quoted]
        written.append(
            write_csv(con.sql(f"SELECT {', '.join(columns)} FROM {schema}.{table}").pl(), folder / f"{table}.csv")
        )
        target = folder / f"{table}.parquet"
        with atomic_path(target) as tmp:
            con.execute(f"COPY (SELECT * FROM {schema}.{table}) TO '{_sql_string(tmp)}' (FORMAT parquet)")
        written.append(target)
    return written
