"""Raw layer: RedNote crawls in ``$REDNOTE_DATA_DIR/inbox/<YYYY-MM>/`` → ``raw.notes``,
``raw.comments``, ``raw.creators``, plus the side tables ``raw.rejects`` and ``raw.ingest_log``.

One asset per entity, built by one factory. Each run replaces its collection month(s) of the
entity table, of the rejects and of the ingest log in one transaction, then verifies in the
warehouse that every file's records were accounted for (blocking ``conservation`` check).
"""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from rednote_dagster.defs.partitions import collection_month, months_in_window
from rednote_dagster.defs.resources import DUCKDB_POOL, RednoteData
from rednote_dagster.lib.preview import markdown_table
from rednote_dagster.lib.pseudonym import FINGERPRINT_TABLE, check_key_fingerprint
from rednote_dagster.lib.warehouse import PartitionWrite, replace_partitions
from rednote_dagster.lib.xhs.ingest import add_later_log_columns, ingest_entity

REJECTS_TABLE = "raw.rejects"
INGEST_LOG_TABLE = "raw.ingest_log"

SKIPPED_SHOWN = 10  # skipped files named in the run log's warning; the metadata has every one

# entity → warehouse table (= asset key [schema, table])
RAW_TABLES = {"note": "raw.notes", "comment": "raw.comments", "creator": "raw.creators"}


def conservation_violations(con, entity: str, month: str) -> pl.DataFrame:
    """Files whose counts do not add up, or whose accepted rows are not all in the entity table."""
    table = RAW_TABLES[entity]
    return con.sql(f"""
        WITH log AS (
            SELECT source_file, records_read, accepted, rejected, duplicates
            FROM {INGEST_LOG_TABLE} WHERE collection_month = DATE '{month}' AND entity = '{entity}'
        ), stored AS (
            SELECT source_file, count(*) AS rows_in_table FROM {table}
            WHERE collection_month = DATE '{month}' GROUP BY 1
        ), rejected AS (
            SELECT source_file, count(*) AS rows_in_rejects FROM {REJECTS_TABLE}
            WHERE collection_month = DATE '{month}' AND entity = '{entity}' GROUP BY 1
        )
        SELECT log.*, coalesce(rows_in_table, 0) AS rows_in_table, coalesce(rows_in_rejects, 0) AS rows_in_rejects
        FROM log LEFT JOIN stored USING (source_file) LEFT JOIN rejected USING (source_file)
        WHERE records_read <> accepted + rejected + duplicates
           OR accepted <> coalesce(rows_in_table, 0)
           OR rejected <> coalesce(rows_in_rejects, 0)
    """).pl()


def build_raw_asset(entity: str) -> dg.AssetsDefinition:
    table = RAW_TABLES[entity]
    schema, name = table.split(".")
    key = dg.AssetKey([schema, name])

    @dg.asset(
        key=key,
        partitions_def=collection_month,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=DUCKDB_POOL,
        group_name="raw",
        kinds={"duckdb", "python"},
        description=(
            f"RedNote {entity} records of each collection month (MediaCrawler, Spider_XHS, Zeeschuimer, 4CAT), "
            "typed and de-duplicated "
            f"(one row per {entity} per month, latest crawl wins). Rejected records go to "
            f"{REJECTS_TABLE} with a reason; per-file counts to {INGEST_LOG_TABLE}."
        ),
        check_specs=[
            dg.AssetCheckSpec(
                "conservation",
                asset=key,
                blocking=True,
                description="For every source file: records read = accepted + rejected + duplicates, "
                "and the accepted/rejected rows are really in the warehouse.",
            )
        ],
    )
    def _raw_asset(context: dg.AssetExecutionContext, rednote: RednoteData, duckdb: DuckDBResource):
        pseudonymizer = rednote.pseudonymizer()
        with duckdb.get_connection() as con:
            if check_key_fingerprint(con, pseudonymizer.fingerprint):
                context.log.info(
                    f"recorded the pseudonym key's fingerprint {pseudonymizer.fingerprint} in {FINGERPRINT_TABLE}"
                )
            add_later_log_columns(con, INGEST_LOG_TABLE)
        months = months_in_window(context.partition_time_window)
        results = []
        for month in months:
            month_dir = rednote.paths.month_dir(month.isoformat())
            result = ingest_entity(month_dir, month, entity, pseudonymizer)
            with duckdb.get_connection() as con:
                replace_partitions(
                    con,
                    [
                        PartitionWrite(table, result.rows, {"collection_month": month}),
                        PartitionWrite(REJECTS_TABLE, result.rejects, {"collection_month": month, "entity": entity}),
                        PartitionWrite(INGEST_LOG_TABLE, result.log, {"collection_month": month, "entity": entity}),
                    ],
                )
            context.log.info(
                f"{month:%Y-%m} {entity}: {result.records_read} records from {result.log.num_rows} files, "
                f"{result.rows.num_rows} accepted, {result.rejects.num_rows} rejected "
                f"({result.bytes_read / 1e6:.1f} MB in {result.seconds:.1f} s)"
            )
            if result.skipped_files:
                shown = list(result.skipped_files.items())[:SKIPPED_SHOWN]
                more = len(result.skipped_files) - len(shown)
                listed = "; ".join(f"{path}: {reason}" for path, reason in shown) + (
                    f"; and {more} more (the skipped_files metadata lists them all)" if more else ""
                )
                context.log.warning(f"{month:%Y-%m}: {len(result.skipped_files)} files not read: {listed}")
            results.append(result)

        with duckdb.get_connection() as con:
            violations = [conservation_violations(con, entity, m.isoformat()) for m in months]
            table_rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        violations_df = pl.concat(violations) if violations else pl.DataFrame()

        log = pl.concat([pl.from_arrow(r.log) for r in results])
        rejects = pl.concat([pl.from_arrow(r.rejects) for r in results])
        read = int(log["records_read"].sum()) if log.height else 0
        seconds = sum(r.seconds for r in results)
        mb = sum(r.bytes_read for r in results) / 1e6
        reasons = (
            rejects.group_by("reason").len("records").sort("records", descending=True)
            if rejects.height
            else pl.DataFrame({"reason": [], "records": []})
        )
        yield dg.MaterializeResult(
            metadata={
                "dagster/row_count": dg.MetadataValue.int(int(table_rows)),
                "dagster/partition_row_count": dg.MetadataValue.int(sum(r.rows.num_rows for r in results)),
                "files": dg.MetadataValue.int(log.height),
                "records_read": dg.MetadataValue.int(read),
                "accepted": dg.MetadataValue.int(int(log["accepted"].sum()) if log.height else 0),
                "rejected": dg.MetadataValue.int(int(log["rejected"].sum()) if log.height else 0),
                "duplicates": dg.MetadataValue.int(int(log["duplicates"].sum()) if log.height else 0),
                "megabytes_read": dg.MetadataValue.float(round(mb, 3)),
                "megabytes_per_second": dg.MetadataValue.float(round(mb / seconds, 2) if seconds else 0.0),
                "ingest_log": dg.MetadataValue.md(markdown_table(log.drop("collection_month", "entity"), max_rows=60)),
                "reject_reasons": dg.MetadataValue.md(markdown_table(reasons)),
                "skipped_files": dg.MetadataValue.json(
                    dict(sorted({f: why for r in results for f, why in r.skipped_files.items()}.items()))
                ),
                "ids_from_url": dg.MetadataValue.int(sum(r.ids_from_url for r in results)),
                "file_encodings": dg.MetadataValue.md(
                    markdown_table(
                        pl.concat(
                            [
                                pl.from_arrow(r.file_details)
                                for r in results
                                if r.file_details is not None and r.file_details.num_rows
                            ]
                            or [
                                pl.DataFrame(
                                    {"source_file": [], "source_tool": [], "encoding": [], "ids_from_url": []},
                                    schema=dict.fromkeys(("source_file", "source_tool", "encoding"), pl.String)
                                    | {"ids_from_url": pl.Int64},
                                )
                            ],
                            how="vertical_relaxed",
                        ),
                        max_rows=60,
                    )
                ),
            }
        )
        yield dg.AssetCheckResult(
            check_name="conservation",
            passed=violations_df.height == 0,
            metadata={
                "files_checked": dg.MetadataValue.int(log.height),
                "violations": dg.MetadataValue.md(markdown_table(violations_df) if violations_df.height else "none"),
            },
        )

    return _raw_asset


raw_notes = build_raw_asset("note")
raw_comments = build_raw_asset("comment")
raw_creators = build_raw_asset("creator")
