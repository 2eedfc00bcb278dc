"""The manual coding files as this package reads and writes them.

``manual/<scheme>_coding.csv`` has the columns ``lib/coding.read_manual_coding`` needs (``<id>, coder, code``,
with ``entity`` in front for a file that codes notes and comments) and, after them, what the workflow
records: ``coded_at`` (ISO 8601, UTC), ``source`` (the workbook or export the code came from) and ``remark``
(the coder's note, if any). The reader ignores the extra columns, and a file without them (written by hand
or by the corpus generator) is read with them empty. ``manual/<scheme>_adjudication.csv`` has the same
columns, one row per resolved item, ``coder`` being the adjudicator.

In memory every frame has the same columns (:data:`CODES_SCHEMA`): entity, item_id, coder, code, coded_at,
source, remark.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from rednote_dagster.lib.coding_workflow.targets import CodingTarget
from rednote_dagster.lib.exports import atomic_path

CODES_SCHEMA = {
    "entity": pl.String,
    "item_id": pl.String,
    "coder": pl.String,
    "code": pl.String,
    "coded_at": pl.String,
    "source": pl.String,
    "remark": pl.String,
}
RECORDED = ("coded_at", "source", "remark")


def empty_codes() -> pl.DataFrame:
    return pl.DataFrame(schema=CODES_SCHEMA)


def read_codes(path: Path, target: CodingTarget) -> pl.DataFrame:
    """The file's rows as :data:`CODES_SCHEMA` (empty if there is no file). Codes are stripped and
    lower-cased as ``read_manual_coding`` does; checking them is its job and the importer's."""
    if not path.exists():
        return empty_codes()
    raw = pl.read_csv(path, infer_schema=False)
    needed = (["entity"] if target.entity_column else []) + [target.coding_id, "coder", "code"]
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing} (need {', '.join(needed)})")
    entity = (
        pl.col("entity").str.strip_chars().str.to_lowercase() if target.entity_column else pl.lit(target.entities[0])
    )
    return raw.select(
        entity.alias("entity"),
        pl.col(target.coding_id).str.strip_chars().alias("item_id"),
        pl.col("coder").str.strip_chars(),
        pl.col("code").str.strip_chars().str.to_lowercase(),
        *(pl.col(c) if c in raw.columns else pl.lit(None, pl.String).alias(c) for c in RECORDED),
    )


def write_codes(path: Path, codes: pl.DataFrame, target: CodingTarget) -> Path:
    """``codes`` (:data:`CODES_SCHEMA`) in the file's own columns, sorted, written atomically. No cell is
    neutralised for spreadsheets: the file is read by programs, and sentiment's codes (-2, -1) would change."""
    head = ["entity", "item_id"] if target.entity_column else ["item_id"]
    frame = (
        codes.sort("entity", "item_id", "coder")
        .select(*head, "coder", "code", *RECORDED)
        .rename({"item_id": target.coding_id})
    )
    with atomic_path(path) as tmp:
        frame.write_csv(tmp)
    return path
