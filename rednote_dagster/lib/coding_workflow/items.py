"""The codable items of a scheme, read from the raw layer: each note or comment once (its latest crawl, as
the backends label it), with its strata (first collection month, phase, language) and the context a coder
reads (the fields of the labelling document)."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from rednote_dagster.lib.coding_workflow.targets import ENTITY_FIELDS, CodingTarget
from rednote_dagster.lib.labelling.documents import LATEST_CRAWL_FILTER, comment_document, note_documents
from rednote_dagster.lib.labelling.scheme import Document
from rednote_dagster.lib.labelling.text import script_of
from rednote_dagster.lib.phases import STUDY_TZ, PhaseBoundaries

UNKNOWN = "unknown"  # a phase without a date

_NOTE_DATES = """
    SELECT note_id AS item_id, min(collection_month) AS first_month,
           arg_max(published_at, collection_month) AS posted_at
    FROM raw.notes GROUP BY 1"""

# A comment's latest crawl (as current_comment_texts picks it) with the title of its note from the same crawl.
_COMMENTS = """
    WITH c AS (
        SELECT comment_id, note_id, collection_month, content, created_at,
               min(collection_month) OVER (PARTITION BY comment_id) AS first_month
        FROM raw.comments
        QUALIFY row_number() OVER (PARTITION BY comment_id ORDER BY crawled_at DESC, collection_month DESC) = 1
    )
    SELECT c.comment_id AS item_id, c.first_month, c.created_at AS posted_at, c.content, n.title
    FROM c LEFT JOIN raw.notes n ON n.note_id = c.note_id AND n.collection_month = c.collection_month
    ORDER BY c.comment_id"""


def _note_items(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, list[Document]]:
    frame, documents = note_documents(con, LATEST_CRAWL_FILTER, [])
    dates = con.sql(_NOTE_DATES).pl()
    frame = frame.select(pl.col("note_id").alias("item_id")).join(
        dates, on="item_id", how="left", maintain_order="left"
    )
    return frame, documents


def _comment_items(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, list[Document]]:
    frame = con.sql(_COMMENTS).pl()
    documents = [comment_document(c, t) for c, t in zip(frame["content"].to_list(), frame["title"].to_list())]
    return frame.select("item_id", "first_month", "posted_at"), documents


_READERS = {"note": _note_items, "comment": _comment_items}


def codable_items(
    con: duckdb.DuckDBPyConnection, target: CodingTarget, boundaries: PhaseBoundaries | None = None
) -> pl.DataFrame:
    """entity, item_id, first_month, phase, language and the target's context fields, one row per item."""
    bounds = boundaries or PhaseBoundaries()

    def phase_of(when: dt.datetime | None) -> str:
        return bounds.phase_of(when.astimezone(STUDY_TZ).date()) if when is not None else UNKNOWN

    frames = []
    for entity in target.entities:
        frame, documents = _READERS[entity](con)
        fields = {f: [d.fields[f] for d in documents] for f in ENTITY_FIELDS[entity]}
        frames.append(
            frame.with_columns(
                pl.lit(entity).alias("entity"),
                pl.col("posted_at").map_elements(phase_of, return_dtype=pl.String, skip_nulls=False).alias("phase"),
                pl.Series("language", [script_of(d.text) for d in documents], dtype=pl.String),
                *(pl.Series(name, values, dtype=pl.String) for name, values in fields.items()),
            ).drop("posted_at")
        )
    columns = ["entity", "item_id", "first_month", "phase", "language", *target.fields]
    return pl.concat(frames, how="diagonal_relaxed").select(columns)
