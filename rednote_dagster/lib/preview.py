"""Markdown previews of small tables, for Dagster materialization metadata and the CLI."""

from __future__ import annotations

import polars as pl


def markdown_table(df: pl.DataFrame, max_rows: int = 20, max_chars: int = 60) -> str:
    with pl.Config(
        tbl_formatting="MARKDOWN",
        tbl_hide_column_data_types=True,
        tbl_hide_dataframe_shape=True,
        tbl_rows=max_rows,
        tbl_cols=-1,
        fmt_str_lengths=max_chars,
        tbl_width_chars=10_000,
    ):
        return str(df.head(max_rows))
