"""Ingest one entity (notes, comments or creators) of one collection-month folder.

Pure and Dagster-free: files in, Arrow tables out. The Dagster asset only writes the result
to the warehouse. Conservation holds by construction and is re-checked in the warehouse:
for every file, ``records_read = accepted + rejected + duplicates``.
"""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from rednote_dagster.lib.pseudonym import Pseudonymizer
from rednote_dagster.lib.warehouse import table_exists
from rednote_dagster.lib.xhs.discovery import SourceFile, discover, file_signature
from rednote_dagster.lib.xhs.normalize import normalize, prepare
from rednote_dagster.lib.xhs.readers import FileRead, read_file
from rednote_dagster.lib.xhs.tools import read_tool_file
from rednote_dagster.lib.xhs.tools.common import MEDIACRAWLER

# Reject payloads are for a human to inspect; the full record stays in the inbox file.
MAX_PAYLOAD_CHARS = 20_000

# Warehouse column order per entity (the README's table columns first, then our additions).
OUTPUT_COLUMNS: dict[str, tuple[str, ...]] = {
    "note": (
        "note_id",
        "collection_month",
        "author_key",
        "title",
        "description",
        "note_type",
        "published_at",
        "last_updated_at",
        "crawled_at",
        "liked_count",
        "collected_count",
        "comment_count",
        "share_count",
        "counts_approximate",
        "ip_location",
        "tags",
        "image_count",
        "has_video",
        "source_keywords",
        "source_file",
    ),
    "comment": (
        "comment_id",
        "note_id",
        "parent_comment_id",
        "collection_month",
        "author_key",
        "content",
        "created_at",
        "crawled_at",
        "like_count",
        "sub_comment_count",
        "counts_approximate",
        "ip_location",
        "picture_count",
        "source_file",
    ),
    "creator": (
        "author_key",
        "collection_month",
        "followers",
        "following",
        "likes_and_collects",
        "counts_approximate",
        "gender",
        "ip_location",
        "tags_json",
        "crawled_at",
        "source_file",
    ),
}


# Columns raw.ingest_log gained after warehouses were first written, with the value their old rows
# get (every file read before source_tool was recorded was one of MediaCrawler's own).
LATER_LOG_COLUMNS = {"source_tool": f"VARCHAR DEFAULT '{MEDIACRAWLER}'"}


def add_later_log_columns(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Give an ingest log table written by an earlier release the columns the log has since gained."""
    if table_exists(con, table):
        for column, definition in LATER_LOG_COLUMNS.items():
            con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {definition}")


@dataclass
class EntityIngest:
    entity: str
    collection_month: dt.date
    rows: pa.Table
    rejects: pa.Table
    log: pa.Table
    skipped_files: dict[str, str] = field(default_factory=dict)  # source_file -> why it was not read
    bytes_read: int = 0
    seconds: float = 0.0
    # per file, in the log's order: the tool that wrote it (source_tool), the encoding it was read as
    # ('utf-8', 'utf-8-sig', 'utf-16-le', 'utf-16-be', 'gb18030', 'xlsx', 'sqlite', 'undecodable' for a
    # file rejected whole, 'unread' for one that changed while it was read or could not be read) and
    # how many of its records took their note_id from their note_url.
    file_details: pa.Table | None = None

    @property
    def ids_from_url(self) -> int:
        return int(sum(self.file_details.column("ids_from_url").to_pylist())) if self.file_details else 0

    @property
    def records_read(self) -> int:
        return int(sum(self.log.column("records_read").to_pylist()))


def _unread(reason: str, payload: dict[str, object]) -> FileRead:
    """A file that could not be read as a whole: one reject, as an undecodable file is."""
    return FileRead(
        pa.array([], pa.string_view()), pa.array([], pa.int64()), [(0, reason, json.dumps(payload))], 0, "unread"
    )


def _changed(before: tuple[int, ...], after: tuple[int, ...]) -> str:
    changes = []
    if before[0] != after[0]:
        changes.append(f"size {before[0]:,} → {after[0]:,} bytes")
    if before[1] != after[1]:
        stamps = (
            dt.datetime.fromtimestamp(ns / 1e9, dt.UTC).isoformat(timespec="milliseconds")
            for ns in before[1:2] + after[1:2]
        )
        changes.append("modified {} → {}".format(*stamps))
    if before[2:] != after[2:]:
        changes.append("replaced by another file")
    return (
        f"file changed while it was read ({'; '.join(changes)}): none of it is kept; "
        "ingest the month again once the file is complete"
    )


def read_source(src: SourceFile) -> FileRead:
    """Every record of one file (or sheet, or table), or one reject for the whole file when it
    changed between being recognised and the end of its read (size, mtime or inode differ), or could
    not be read: a partial read never passes for a whole one."""
    try:
        before = file_signature(os.stat(src.path))
        if src.signature is not None and before != src.signature:
            return _unread(_changed(src.signature, before), {"size_before": src.signature[0], "size_after": before[0]})
        result = read_tool_file(src.path, src.tool) if src.tool is not None else read_file(src.path, src.fmt, src.sheet)
        after = file_signature(os.stat(src.path))
    except OSError as err:
        return _unread(f"cannot read file: {err.strerror or type(err).__name__}", {})
    except Exception as err:  # a workbook or database damaged past what its library reads
        return _unread(f"cannot read file: {type(err).__name__}", {})
    if after != before:
        return _unread(_changed(before, after), {"size_before": before[0], "size_after": after[0]})
    return result


def _records_table(
    files: list[SourceFile],
) -> tuple[pa.Table, list[tuple[str, int, str, str]], dict[str, int], int, dict[str, str]]:
    """Read every file; return the record texts, reader-level rejects, per-file read counts, bytes,
    and per-file encodings."""
    chunks: list[pa.Table] = []
    reader_rejects: list[tuple[str, int, str, str]] = []
    read_counts: dict[str, int] = {}
    encodings: dict[str, str] = {}
    total_bytes = 0
    for file_order, src in enumerate(files):
        result = read_source(src)
        total_bytes += result.bytes_read
        read_counts[src.relative_path] = result.records_read
        encodings[src.relative_path] = result.encoding
        n = len(result.lines)
        chunks.append(
            pa.table(
                {
                    "source_file": pa.repeat(pa.scalar(src.relative_path, pa.string()), n),
                    "file_order": pa.repeat(pa.scalar(file_order, pa.int32()), n),
                    "record_index": result.indices,
                    "line": result.lines,
                }
            )
        )
        reader_rejects.extend((src.relative_path, i, reason, payload) for i, reason, payload in result.rejects)
    schema = pa.schema(
        [
            ("source_file", pa.string()),
            ("file_order", pa.int32()),
            ("record_index", pa.int64()),
            ("line", pa.string_view()),
        ]
    )
    table = pa.concat_tables(chunks) if chunks else schema.empty_table()
    return table, reader_rejects, read_counts, total_bytes, encodings


_database: tuple[int, duckdb.DuckDBPyConnection] | None = None  # (pid that opened it, database)
_database_lock = threading.Lock()


def _connect() -> duckdb.DuckDBPyConnection:
    """A new connection, with temp tables of its own, to this process's in-memory database.

    Opening a database and installing the macros takes ~30 ms, a connection ~0.1 ms, and one
    entity of a month is often ingested in less. A forked child opens a database of its own.
    """
    global _database
    with _database_lock:
        if _database is None or _database[0] != os.getpid():
            database = duckdb.connect()
            prepare(database)
            _database = (os.getpid(), database)
        return _database[1].cursor()


@atexit.register
def _release_database() -> None:
    # before the interpreter tears down DuckDB's bindings, which would report it as leaked
    global _database
    _database = None


def ingest_entity(
    month_dir: Path,
    collection_month: dt.date,
    entity: str,
    pseudonymizer: Pseudonymizer,
) -> EntityIngest:
    started = time.perf_counter()
    all_files, skipped = discover(Path(month_dir), keyed=pseudonymizer.author_key)
    files = [f for f in all_files if f.entity == entity]
    # Many months hold no file of an entity (creators are written by few vintages): their empty
    # tables are made once, not by a trip through the normaliser every time.
    rows, rejects, log, total_bytes, details = (
        _ingest_files(files, collection_month, entity, pseudonymizer) if files else _nothing_read(entity)
    )
    return EntityIngest(
        entity=entity,
        collection_month=collection_month,
        rows=rows,
        rejects=rejects,
        log=log,
        skipped_files=dict(skipped),
        bytes_read=total_bytes,
        seconds=time.perf_counter() - started,
        file_details=details,
    )


@functools.cache
def _nothing_read(entity: str) -> tuple[pa.Table, pa.Table, pa.Table, int, pa.Table]:
    return _ingest_files([], dt.date.min, entity, Pseudonymizer("unused: there is no author"))


def _ingest_files(
    files: list[SourceFile],
    collection_month: dt.date,
    entity: str,
    pseudonymizer: Pseudonymizer,
) -> tuple[pa.Table, pa.Table, pa.Table, int, pa.Table]:
    """The accepted rows, the rejects and the per-file log of ``files``, the bytes read, and the
    per-file details (encoding, ids taken from note_url)."""
    records, reader_rejects, read_counts, total_bytes, encodings = _records_table(files)

    con = _connect()
    try:
        con.execute("SET TimeZone = 'UTC'")  # per connection: Arrow output then says "UTC", not "Etc/UTC"
        # as many threads as CPUs this process may run on (affinity, taskset), not the machine's
        con.execute(f"SET threads = {len(os.sched_getaffinity(0))}")
        con.register("records", records)  # read in place: a copy into DuckDB would cost more than the reads
        con.register(
            "reader_rejects",
            pa.table(
                {
                    "source_file": pa.array([r[0] for r in reader_rejects], pa.string()),
                    "record_index": pa.array([r[1] for r in reader_rejects], pa.int64()),
                    "reason": pa.array([r[2] for r in reader_rejects], pa.string()),
                    "payload": pa.array([r[3] for r in reader_rejects], pa.string()),
                }
            ),
        )
        normalize(con, entity)

        identities = (
            con.sql("SELECT DISTINCT identity_hash FROM accepted WHERE identity_hash IS NOT NULL")
            .to_arrow_table()
            .column(0)
        )
        con.register(
            "author_map_in",
            pa.table(
                {
                    "identity_hash": identities,
                    "author_key": pa.array(pseudonymizer.author_keys(identities.to_pylist()), pa.string()),
                }
            ),
        )
        month = collection_month.isoformat()
        columns = ", ".join(f'"{c}"' for c in OUTPUT_COLUMNS[entity])
        rows = con.sql(f"""
            SELECT {columns} FROM (
                SELECT a.* EXCLUDE (identity_hash), m.author_key, DATE '{month}' AS collection_month
                FROM accepted a LEFT JOIN author_map_in m USING (identity_hash)
            ) ORDER BY 1
        """).to_arrow_table()
        rejects = con.sql(f"""
            SELECT DATE '{month}' AS collection_month, source_file, record_index, '{entity}' AS entity,
                   reason, left(payload, {MAX_PAYLOAD_CHARS}) AS payload, length(payload) AS payload_chars
            FROM rejected ORDER BY source_file, record_index
        """).to_arrow_table()
        con.register(
            "read_counts_in",
            pa.table(
                {
                    "source_file": pa.array(list(read_counts), pa.string()),
                    "records_read": pa.array(list(read_counts.values()), pa.int64()),
                    "file_order": pa.array(range(len(read_counts)), pa.int32()),
                    "encoding": pa.array(list(encodings.values()), pa.string()),
                    "source_tool": pa.array([f.source_tool for f in files], pa.string()),
                }
            ),
        )
        log = con.sql(f"""
            SELECT DATE '{month}' AS collection_month, r.source_file, '{entity}' AS entity,
                   r.records_read,
                   coalesce(c.accepted, 0)::BIGINT AS accepted,
                   coalesce(j.rejected, 0)::BIGINT AS rejected,
                   coalesce(c.duplicates, 0)::BIGINT AS duplicates,
                   r.source_tool
            FROM read_counts_in r
            LEFT JOIN file_counts c USING (source_file)
            LEFT JOIN (SELECT source_file, count(*) AS rejected FROM rejected GROUP BY 1) j USING (source_file)
            ORDER BY r.file_order
        """).to_arrow_table()
        details = con.sql("""
            SELECT r.source_file, r.source_tool, r.encoding, coalesce(u.ids_from_url, 0)::BIGINT AS ids_from_url
            FROM read_counts_in r LEFT JOIN url_id_counts u USING (source_file)
            ORDER BY r.file_order
        """).to_arrow_table()
    finally:
        con.close()
    return rows, rejects, log, total_bytes, details


class _IdentityRecorder(Pseudonymizer):
    """Pseudonymizes like any other and keeps the identity hashes it was given."""

    def __init__(self) -> None:
        super().__init__("only the identity hashes are kept")
        self.seen: set[str] = set()

    def author_keys(self, identity_hashes: list[str]) -> list[str]:
        self.seen.update(identity_hashes)
        return super().author_keys(identity_hashes)


def inbox_identity_hashes(inbox: Path, months: list[str]) -> set[str]:
    """Every identity hash of every record in the inbox's month folders ('YYYY-MM'), read exactly as the
    ingest reads them: what re-keying the warehouse maps its author keys from (pseudonym.rekey_warehouse)."""
    recorder = _IdentityRecorder()
    for month in months:
        for entity in OUTPUT_COLUMNS:
            ingest_entity(inbox / month, dt.date.fromisoformat(f"{month}-01"), entity, recorder)
    return recorder.seen
