"""Idempotent, transactional partition writes into the DuckDB warehouse.

A partition is replaced as a whole inside one transaction: delete its rows, insert the new
ones. A reader sees either the old partition or the new one, never half of each, and
re-materialising a partition gives the same table content.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import duckdb
import pyarrow as pa


@dataclass(frozen=True)
class PartitionWrite:
    table: str  # schema.table
    data: pa.Table
    where: dict[str, object]  # column = value pairs that identify the partition's rows


@dataclass(frozen=True)
class KeyedWrite:
    """Upsert by key: rows of ``table`` whose key matches an incoming row are replaced (caches)."""

    table: str
    data: pa.Table
    keys: tuple[str, ...]


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether schema.table exists (fetchall: duckdb 2 refuses work after an unfinished fetchone)."""
    schema, name = table.split(".")
    return (
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [schema, name]
        ).fetchall()[0][0]
        > 0
    )


def _ensure_table(con: duckdb.DuckDBPyConnection, table: str, view: str) -> None:
    schema = table.split(".")[0]
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    # The first write fixes the schema from the data's own (SQL-typed) schema, so the DDL lives
    # in one place: the query that produced the data.
    con.execute(f"CREATE TABLE IF NOT EXISTS {table} AS SELECT * FROM {view} LIMIT 0")


def replace_partitions(con: duckdb.DuckDBPyConnection, writes: list[PartitionWrite | KeyedWrite]) -> None:
    """Replace several tables' partitions (or keyed rows) in a single transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        for i, write in enumerate(writes):
            view = f"_incoming_{i}"
            con.register(view, write.data)
            if isinstance(write, PartitionWrite) and not write.where:
                # The whole table is replaced, so its schema follows the data: a new release that adds
                # or renames a column of an unpartitioned asset needs no migration.
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {write.table.split('.')[0]}")
                con.execute(f"CREATE OR REPLACE TABLE {write.table} AS SELECT * FROM {view}")
                continue
            _ensure_table(con, write.table, view)
            if isinstance(write, KeyedWrite):
                matches = " AND ".join(f"{write.table}.{k} IS NOT DISTINCT FROM {view}.{k}" for k in write.keys)
                con.execute(f"DELETE FROM {write.table} USING {view} WHERE {matches}")
            else:
                predicate = " AND ".join(f"{col} = ?" for col in write.where)
                con.execute(f"DELETE FROM {write.table} WHERE {predicate}", list(write.where.values()))
            con.execute(f"INSERT INTO {write.table} BY NAME SELECT * FROM {view}")
        con.execute("COMMIT")
    except BaseException as error:
        try:
            con.execute("ROLLBACK")
        except Exception as rollback_error:
            # A failed COMMIT (a full disk) or a fatal error has already ended the transaction, so
            # ROLLBACK fails with "no transaction is active" and would hide the real cause.
            error.add_note(f"(rollback after this error also failed: {rollback_error})")
        raise
    finally:
        for i in range(len(writes)):
            with contextlib.suppress(Exception):  # a failed register leaves nothing to unregister
                con.unregister(f"_incoming_{i}")
