"""Markdown previews of small tables, for Dagster materialization metadata and the CLI.

Everything from data that goes into metadata as markdown passes through :func:`markdown_text`:
the Dagster UI renders metadata markdown (react-markdown + remark-gfm), so a crawl file or
reject reason holding ``![](http://host/x)`` would otherwise make a researcher's browser fetch a
remote image on opening the Events tab, and a ``|`` would break the table.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

# CommonMark's inline syntax (emphasis, code, links, images, raw HTML, entities' neighbours) plus
# the GFM table separator; '#', '+' and '-' only matter at the start of a line, but escaping '#'
# and '+' everywhere is harmless and simpler. '.', '-' and digits inside text stay as they are.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>])")
# remark-gfm autolinks bare "http://", "https://" and "www." text; CommonMark's <scheme:...>
# autolinks need '<', which is escaped anyway. Any "scheme://" is defanged, not only http(s).
_SCHEME = re.compile(r"(?i)([a-z][a-z0-9+.-]*):(?=//)")
_WWW = re.compile(r"(?i)(www)\.")
_NEWLINES = re.compile(r"\s*[\r\n\u2028\u2029]+\s*")


def markdown_text(value: Any) -> str:
    """``value`` as markdown that renders as its own plain text, on one line.

    * Markdown-significant characters (``\\ ` * _ { } [ ] ( ) # + ! | < >``) are backslash-escaped
      and a leading ``-`` too, so no emphasis, code span, link, image, raw HTML tag, heading, list
      item or table cell boundary can come from data.
    * Newlines (and the blanks around them) become one space: a table cell is one line.
    * URLs are defanged so that neither CommonMark nor GFM's bare-URL autolinks can make a link:
      ``http://host/x`` renders as ``http[:]//host/x`` and ``www.host`` as ``www[.]host`` - the
      usual defanging convention of threat-intel reports, still readable and copyable by hand.
      (Email addresses stay as they are: remark-gfm may show them as ``mailto:`` links, which
      fetch nothing.)

    ``None`` is the empty string. Plain words and numbers come out unchanged."""
    if value is None:
        return ""
    text = _NEWLINES.sub(" ", str(value))
    text = _WWW.sub(r"\1[.]", _SCHEME.sub(r"\1[:]", text))
    text = _SPECIAL.sub(r"\\\1", text)
    # a leading '-' would start a list item (or a setext heading underline) outside a table
    return "\\" + text if text.startswith("-") else text


def _shorten(text: str, max_chars: int) -> str:
    return text if len(text) <= max_chars else text[:max_chars] + "…"


def _cells(series: pl.Series, max_chars: int) -> pl.Series:
    """Text columns (and nested ones, as their Python repr) shortened, then escaped; shortening
    first so that the '…' never cuts an escape sequence in two."""
    cells = [
        None if v is None else markdown_text(_shorten(v if isinstance(v, str) else str(v), max_chars))
        for v in series.to_list()
    ]
    return pl.Series(series.name, cells, dtype=pl.String)


def _is_plain(dtype: pl.DataType) -> bool:
    # polars formats these itself; they cannot hold markdown
    return dtype.is_numeric() or dtype.is_temporal() or dtype == pl.Boolean or dtype == pl.Null


def markdown_table(df: pl.DataFrame, max_rows: int = 20, max_chars: int = 60, *, escape: bool = True) -> str:
    """The first ``max_rows`` rows of ``df`` as a markdown table; every header and every text
    cell goes through :func:`markdown_text` (text longer than ``max_chars`` is cut with '…').
    ``escape=False`` only for text that is never rendered as markdown (the command line's summary)."""
    head = df.head(max_rows)
    if escape:
        head = pl.DataFrame([s if _is_plain(s.dtype) else _cells(s, max_chars) for s in head.get_columns()])
        head = head.rename({c: markdown_text(c) for c in head.columns})
    with pl.Config(
        tbl_formatting="MARKDOWN",
        tbl_hide_column_data_types=True,
        tbl_hide_dataframe_shape=True,
        tbl_rows=max_rows,
        tbl_cols=-1,
        fmt_str_lengths=10 * max_chars + 100,  # already shortened; escapes only lengthen the text
        tbl_width_chars=65_535,  # polars caps it at u16
    ):
        return str(head)
