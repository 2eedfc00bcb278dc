"""Documents: a note with its top-10 most-liked comments for the taxonomy scheme (Feng et al.
§4.2); a comment with its note's title for the emotion and stance schemes (Li et al.)."""

import datetime as dt

import duckdb
import polars as pl

from rednote_dagster.lib.labelling.scheme import Document
from rednote_dagster.lib.labelling.text import note_text

TOP_COMMENTS = 10


def note_document(title: str | None, description: str | None, comments: list[str] | None) -> Document:
    """``text`` (what classifiers and embedders read) is the note itself; the prompt fields add the
    comments, numbered, as in the paper's user prompt."""
    lines = [
        f"{i + 1}. {c.strip()}" for i, c in enumerate([c for c in (comments or []) if c and c.strip()][:TOP_COMMENTS])
    ]
    return Document(
        text=note_text(title, description),
        fields={
            "title": (title or "").strip() or "No Title",
            "description": (description or "").strip() or "No Description",
            "comments": "\n".join(lines) if lines else "No comments available.",
        },
    )


def comment_document(content: str | None, note_title: str | None) -> Document:
    """``text`` is the comment alone (what classifiers and embedders read); the prompt adds the
    title of the note it answers as context."""
    return Document(
        text=(content or "").strip(),
        fields={"comment": (content or "").strip() or "No Comment", "title": (note_title or "").strip() or "No Title"},
    )


# One query serves every caller: notes (of one collection month, or the latest crawl of each note)
# with their top comments from the same collection month, most liked first.
def note_documents_sql(notes_filter: str) -> str:
    same_crawl = "c.note_id = n.note_id AND c.collection_month = n.collection_month"
    return f"""
        WITH n AS (
            SELECT note_id, collection_month, title, description FROM raw.notes WHERE {notes_filter}
        ), c AS (
            SELECT c.note_id, c.collection_month, c.content,
                   row_number() OVER (PARTITION BY c.note_id, c.collection_month
                                      ORDER BY c.like_count DESC NULLS LAST, c.created_at, c.comment_id) AS rank
            FROM raw.comments c SEMI JOIN n ON {same_crawl}
            WHERE trim(coalesce(c.content, '')) <> ''
        )
        SELECT n.note_id, n.collection_month, n.title, n.description,
               list(c.content ORDER BY c.rank) FILTER (WHERE c.content IS NOT NULL) AS comments
        FROM n LEFT JOIN c ON {same_crawl} AND c.rank <= {TOP_COMMENTS}
        GROUP BY ALL ORDER BY n.note_id
    """


LATEST_CRAWL_FILTER = "(note_id, collection_month) IN (SELECT note_id, max(collection_month) FROM raw.notes GROUP BY 1)"


def note_documents(
    con: duckdb.DuckDBPyConnection, notes_filter: str, params: list
) -> tuple[pl.DataFrame, list[Document]]:
    """The notes ``notes_filter`` selects in raw.notes (sorted by note_id), each as a frame row and a
    :func:`note_document`."""
    df = con.sql(note_documents_sql(notes_filter), params=params or None).pl()
    return df, [
        note_document(t, d, c)
        for t, d, c in zip(df["title"].to_list(), df["description"].to_list(), df["comments"].to_list())
    ]


def current_note_texts(con: duckdb.DuckDBPyConnection, note_ids: list[str]) -> dict[str, str]:
    """Texts of these notes, each from its latest crawl (for training on the manual coding)."""
    df, docs = note_documents(con, f"{LATEST_CRAWL_FILTER} AND list_contains(?, note_id)", [note_ids])
    return {n: d.text for n, d in zip(df["note_id"], docs)}


# The month's comments with the title of the note they answer (same crawl month) as context.
COMMENTS_OF_MONTH = """
    SELECT c.comment_id, c.note_id, c.collection_month, c.content, c.ip_location, n.title
    FROM raw.comments c
    LEFT JOIN raw.notes n ON n.note_id = c.note_id AND n.collection_month = c.collection_month
    WHERE c.collection_month = ?
    ORDER BY c.comment_id"""


def comment_documents(con: duckdb.DuckDBPyConnection, month: dt.date) -> tuple[pl.DataFrame, list[Document]]:
    """The collection month's comments (sorted by comment_id), each as a frame row and a :func:`comment_document`."""
    df = con.sql(COMMENTS_OF_MONTH, params=[month]).pl()
    return df, [comment_document(c, t) for c, t in zip(df["content"].to_list(), df["title"].to_list())]


def current_comment_texts(con: duckdb.DuckDBPyConnection, comment_ids: list[str]) -> dict[str, str]:
    """Texts of these comments, each from its latest crawl (for training on the manual coding)."""
    rows = con.execute(
        """
        SELECT comment_id, content FROM raw.comments WHERE list_contains(?, comment_id)
        QUALIFY row_number() OVER (PARTITION BY comment_id ORDER BY crawled_at DESC, collection_month DESC) = 1""",
        [comment_ids],
    ).fetchall()
    return {i: comment_document(c, None).text for i, c in rows}
