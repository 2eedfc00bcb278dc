"""lib/warehouse.py: partition replacement is idempotent and atomic; whole-table writes follow the
data's schema; keyed writes upsert."""

import duckdb
import pyarrow as pa
import pytest

from rednote_dagster.lib.warehouse import KeyedWrite, PartitionWrite, replace_partitions, table_exists


def rows(con, table):
    return sorted(con.execute(f"SELECT * FROM {table}").fetchall())


def test_partition_replace_is_idempotent_and_leaves_other_partitions():
    con = duckdb.connect()
    jan = pa.table({"month": ["2025-01"] * 2, "n": [1, 2]})
    feb = pa.table({"month": ["2025-02"], "n": [3]})
    replace_partitions(con, [PartitionWrite("raw.t", jan, {"month": "2025-01"})])
    replace_partitions(con, [PartitionWrite("raw.t", feb, {"month": "2025-02"})])
    replace_partitions(con, [PartitionWrite("raw.t", jan, {"month": "2025-01"})])
    assert rows(con, "raw.t") == [("2025-01", 1), ("2025-01", 2), ("2025-02", 3)]


def test_a_failed_write_rolls_back_every_table_of_the_transaction():
    con = duckdb.connect()
    replace_partitions(
        con,
        [
            PartitionWrite("raw.a", pa.table({"m": ["x"], "n": [1]}), {"m": "x"}),
            PartitionWrite("raw.b", pa.table({"m": ["x"], "n": [1]}), {"m": "x"}),
        ],
    )
    bad = pa.table({"m": ["x"], "n": ["not a number"]})  # raw.b's n is an integer column
    with pytest.raises(duckdb.Error):
        replace_partitions(
            con,
            [
                PartitionWrite("raw.a", pa.table({"m": ["x"], "n": [9]}), {"m": "x"}),
                PartitionWrite("raw.b", bad, {"m": "x"}),
            ],
        )
    assert rows(con, "raw.a") == [("x", 1)] and rows(con, "raw.b") == [("x", 1)]


def test_whole_table_write_takes_the_new_schema():
    con = duckdb.connect()
    replace_partitions(con, [PartitionWrite("analysis.t", pa.table({"category": ["1"], "score": [0.5]}), {})])
    replace_partitions(con, [PartitionWrite("analysis.t", pa.table({"code": ["1a"], "category": ["1"]}), {})])
    assert [r[0] for r in con.execute("DESCRIBE analysis.t").fetchall()] == ["code", "category"]
    assert rows(con, "analysis.t") == [("1a", "1")]


def test_keyed_write_upserts():
    con = duckdb.connect()
    replace_partitions(con, [KeyedWrite("enrich.c", pa.table({"k": ["a", "b"], "v": [1, 2]}), ("k",))])
    replace_partitions(con, [KeyedWrite("enrich.c", pa.table({"k": ["b", "c"], "v": [20, 3]}), ("k",))])
    assert rows(con, "enrich.c") == [("a", 1), ("b", 20), ("c", 3)]
    assert table_exists(con, "enrich.c") and not table_exists(con, "enrich.missing")
