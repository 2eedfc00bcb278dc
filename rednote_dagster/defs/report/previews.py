"""Figure previews in materialization metadata: the report's own figure for a table, as a PNG in
markdown, beside a markdown table of its data. The analysis assets and the dbt marts call this
after writing, so the UI shows the same figure the report will."""

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
