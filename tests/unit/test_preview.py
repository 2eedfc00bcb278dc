"""Markdown built for Dagster metadata: text from data renders as that text - no image, link, raw
HTML or broken table - and ordinary words and numbers stay readable."""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest
from markdown_it import MarkdownIt

from rednote_dagster.lib.preview import markdown_table, markdown_text
from rednote_dagster.lib.report.images import png_markdown

HOSTILE = [
    "![](http://host/x)",
    "[click](http://evil)",
    "<img src=http://x>",
    "a|b",
    "http://evil.example/x",
    "www.evil.example",
    "see HTTPS://Evil.example and _www.evil.example_",
    "`code` and ``double``",
    "line one\nline two\r\nthree",
    "<script>alert(1)</script>",
    "[ref]: http://evil.example",
    "*bold* __under__ # heading + plus {braces} \\ backslash",
    "-leading dash",
    "<http://evil.example>",
]


def _render(markdown: str) -> str:
    # The Dagster UI uses react-markdown + remark-gfm; markdown-it's "gfm-like" preset has the same
    # tables and strikethrough. Its linkify needs linkify-it-py, which is not installed, so bare-URL
    # autolinks are checked by _no_bare_url below instead.
    md = MarkdownIt("gfm-like", {"linkify": False})
    return md.render(markdown)


def _no_bare_url(text: str) -> bool:
    """No substring remark-gfm would autolink: a scheme followed by :// or a www. prefix."""
    return not re.search(r"(?i)(https?://|www\.)", text)


def _assert_inert(html: str, markdown: str) -> None:
    assert "<img" not in html and "<a " not in html
    assert "<script" not in html and "<http" not in html
    # the only tags are the ones tables and paragraphs are made of
    assert set(re.findall(r"</?([a-z]+)", html)) <= {"p", "table", "thead", "tbody", "tr", "th", "td", "ul", "li"}
    assert _no_bare_url(markdown)


@pytest.mark.parametrize("value", HOSTILE)
def test_markdown_text_renders_as_plain_text(value):
    escaped = markdown_text(value)
    assert "\n" not in escaped and "\r" not in escaped
    html = _render(escaped)
    _assert_inert(html, escaped)


def test_defanged_text_keeps_its_words():
    assert markdown_text("http://evil.example/x") == r"http\[:\]//evil.example/x"
    assert _render(markdown_text("http://evil.example/x")) == "<p>http[:]//evil.example/x</p>\n"
    assert _render(markdown_text("www.evil.example")) == "<p>www[.]evil.example</p>\n"
    assert _render(markdown_text("a|b")) == "<p>a|b</p>\n"
    assert _render(markdown_text("line one\nline two")) == "<p>line one line two</p>\n"
    assert markdown_text(None) == ""


@pytest.mark.parametrize("value", ["note", "2025-01-19", "12.5", "-0.25", "cat tax 猫税", "p = 0.03, n = 800", "a.b-c"])
def test_ordinary_text_is_unchanged(value):
    expected = "\\" + value if value.startswith("-") else value  # a leading '-' would start a list
    assert markdown_text(value) == expected
    assert _render(markdown_text(value)) == f"<p>{value}</p>\n"


def test_markdown_table_escapes_every_cell_and_header():
    df = pl.DataFrame(
        {
            "reason": HOSTILE,
            "n": list(range(len(HOSTILE))),
            "hdr|![x](http://h/x)": ["x"] * len(HOSTILE),
            "words": [[v] for v in HOSTILE],  # a list column: rendered from its Python repr, escaped too
        }
    )
    table = markdown_table(df, max_rows=50)
    html = _render(table)
    _assert_inert(html, table)
    # the '|' of the data did not add columns: every row still has the frame's 4 cells
    rows = re.findall(r"<tr>(.*?)</tr>", html, flags=re.S)
    assert len(rows) == len(HOSTILE) + 1
    assert all(len(re.findall(r"<t[hd]", row)) == 4 for row in rows)
    assert "<th>hdr|![x](http[:]//h/x)</th>" in html
    assert "<td>a|b</td>" in html
    assert "<td>line one line two three</td>" in html


def test_markdown_table_keeps_plain_values_and_shortens_before_escaping():
    df = pl.DataFrame(
        {
            "word": ["note", "(" * 80, None],
            "share": [0.5, 0.25, None],
            "week": [dt.date(2025, 1, 13)] * 3,
            "ok": [True, False, None],
        }
    )
    table = markdown_table(df, max_chars=10)
    lines = table.splitlines()
    assert [h.strip() for h in lines[0].split("|")[1:-1]] == ["word", "share", "week", "ok"]
    assert "| note " in lines[2] and "0.5" in lines[2] and "2025-01-13" in lines[2] and "true" in lines[2]
    # ten '(' kept, each escaped, then the ellipsis: no escape sequence cut in two
    assert "\\(" * 10 + "…" in lines[3]
    html = _render(table)
    assert "<td>" + "(" * 10 + "…</td>" in html


def test_markdown_table_of_nothing():
    assert markdown_table(pl.DataFrame({"reason": [], "records": []})).count("\n") == 1


def test_png_preview_stays_an_image():
    # our own data: URL (not data from a crawl) must not go through the escaper and keeps rendering
    html = _render(png_markdown(b"\x89PNG", "Figure 1"))
    assert '<img src="data:image/png;base64,' in html
