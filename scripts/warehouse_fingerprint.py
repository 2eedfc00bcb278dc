"""Fingerprint every table of a warehouse, or compare two fingerprints: did a refactor change any data?

    python scripts/warehouse_fingerprint.py data/warehouse.duckdb > before.json
    ... change the code, `make run` again ...
    python scripts/warehouse_fingerprint.py data/warehouse.duckdb > after.json
    python scripts/warehouse_fingerprint.py --compare before.json after.json [--rename marts.old=marts.new]

A table's fingerprint is its row count and the md5 of its rows, each cast to text, sorted. Columns that
differ from run to run by design (timestamps, run ids, elapsed seconds) are left out and listed, so the
comparison says exactly what it did not compare.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import duckdb

# columns whose values belong to one run, not to the data: when a label, a key or a file was recorded
RUN_SPECIFIC = re.compile(r"^(labelled_at|recorded_at|ingested_at|loaded_at|materialized_at|run_id|dagster_run_id)$")


def fingerprint(warehouse: str) -> dict[str, dict]:
    con = duckdb.connect(warehouse, read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() and table_schema not in ('information_schema', 'pg_catalog') "
            "order by 1, 2"
        ).fetchall()
        out = {}
        for schema, table in tables:
            columns = [
                (name, dtype)
                for name, dtype in con.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, table],
                ).fetchall()
            ]
            kept = [c for c, _ in columns if not RUN_SPECIFIC.search(c)]
            skipped = [c for c, _ in columns if RUN_SPECIFIC.search(c)]
            rel = f'"{schema}"."{table}"'
            row = "concat_ws('\x1f', " + ", ".join(f"coalesce(cast(\"{c}\" as varchar), '\x00')" for c in kept) + ")"
            count, digest = con.execute(
                f"select count(*), md5(coalesce(string_agg(r, '\x1e' order by r), '')) "
                f"from (select {row} as r from {rel})"
                if kept
                else f"select count(*), '' from {rel}"
            ).fetchone()
            out[f"{schema}.{table}"] = {"rows": count, "md5": digest, "columns": kept, "not_compared": skipped}
        return out
    finally:
        con.close()


def compare(before: dict, after: dict, renames: dict[str, str]) -> int:
    mapped = {renames.get(k, k): v for k, v in before.items()}
    differ = 0
    for name in sorted(set(mapped) | set(after)):
        a, b = mapped.get(name), after.get(name)
        if a is None or b is None:
            print(f"{'ONLY AFTER' if a is None else 'ONLY BEFORE'}  {name}")
            differ += 1
        elif (a["rows"], a["md5"], a["columns"]) == (b["rows"], b["md5"], b["columns"]):
            note = f"  (not compared: {', '.join(b['not_compared'])})" if b["not_compared"] else ""
            print(f"same        {name}  {b['rows']} rows{note}")
        else:
            why = "columns" if a["columns"] != b["columns"] else "rows" if a["rows"] != b["rows"] else "values"
            print(f"DIFFERENT   {name}  ({why}: {a['rows']} -> {b['rows']} rows)")
            differ += 1
    print(f"{len(set(mapped) | set(after)) - differ} same, {differ} different")
    return 1 if differ else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("warehouse", nargs="?", help="DuckDB file to fingerprint (JSON to stdout)")
    parser.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"), help="two fingerprint JSON files")
    parser.add_argument("--rename", action="append", default=[], metavar="OLD=NEW", help="a table renamed in between")
    args = parser.parse_args(argv)
    if args.compare:
        before, after = (json.loads(Path(p).read_text()) for p in args.compare)
        return compare(before, after, dict(r.split("=", 1) for r in args.rename))
    if not args.warehouse:
        parser.error("give a warehouse or --compare BEFORE AFTER")
    json.dump(fingerprint(args.warehouse), sys.stdout, indent=1, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
