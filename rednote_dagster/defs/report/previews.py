"""Figure previews in the Dagster UI: the report's own figure for a table, as a PNG in markdown,
beside a markdown table of its data, so the UI shows the same figure the report will. The analysis
assets add theirs to their materialization after writing; the dbt marts, built in dbt's subprocess,
get theirs from the report asset as observations (``mart_previews``)."""

from typing import Any

import dagster as dg
import duckdb

from rednote_dagster.lib.preview import markdown_table, markdown_text
from rednote_dagster.lib.report.build import figure_frames
from rednote_dagster.lib.report.figures import FIGURES_BY_TABLE
from rednote_dagster.lib.report.images import figure_png, png_markdown


def figure_preview(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, Any]:
    """{'figure': md PNG, 'figure_data': md table} for a table the report draws, else {}."""
    spec = FIGURES_BY_TABLE.get(table)
    if spec is None:
        return {}
    frames, missing = figure_frames(con, spec)
    if missing:
        return {"figure": dg.MetadataValue.text(f"Figure {spec.number} not drawn: {missing}")}
    png, why_not = figure_png(spec.build(**frames))
    first = next(f for f in frames.values() if f is not None)
    return {
        # png_markdown's data: URL is ours and must stay an image; why_not may quote an error message
        "figure": dg.MetadataValue.md(png_markdown(png, f"Figure {spec.number}") if png else markdown_text(why_not)),
        "figure_data": dg.MetadataValue.md(markdown_table(first, max_rows=30)),
    }


def mart_previews(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """{'marts.<table>': preview metadata} for every dbt mart the report draws a figure from."""
    return {table: figure_preview(con, table) for table in FIGURES_BY_TABLE if table.startswith("marts.")}
