"""The inbox is not trusted: links out of it, loops, unreadable entries, FIFOs, deep nesting, stale
workbook dimensions, torn CSV quotes and files that change while they are read never crash the
sensor or the ingest, and never let a partial or foreign read pass for a whole one.

One walk (``discovery.walk``) serves the new-crawl sensor's fingerprint and the ingest; one reader
(``ingest.read_source``) serves every path that materializes the raw assets (sensor runs, ``make
run``, the UI, the schedule). The asset-level checks are in tests/assets/test_raw_assets.py.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import re
import time
import zipfile
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from rednote_dagster.lib.inbox_watch import scan_inbox, snapshot_month
from rednote_dagster.lib.pseudonym import Pseudonymizer
from rednote_dagster.lib.warehouse import PartitionWrite, replace_partitions
from rednote_dagster.lib.xhs import ingest as ingest_module
from rednote_dagster.lib.xhs import readers
from rednote_dagster.lib.xhs.discovery import discover, walk
from rednote_dagster.lib.xhs.ingest import add_later_log_columns, ingest_entity
from tests.xhs_samples import comment, note, write_csv, write_json, write_xlsx

MONTH = dt.date(2025, 1, 1)
KEY = Pseudonymizer("safety-key")
NOTES = "xhs/json/search_contents_2025-01-20.json"


def ingest(month: Path, entity: str = "note"):
    return ingest_entity(month, MONTH, entity, KEY)


def conserved(result) -> None:
    log = result.log.to_pylist()
    for row in log:
        assert row["records_read"] == row["accepted"] + row["rejected"] + row["duplicates"], row
    assert result.rows.num_rows == sum(r["accepted"] for r in log)
    assert result.rejects.num_rows == sum(r["rejected"] for r in log)


@pytest.fixture
def inbox(tmp_path) -> Path:
    inbox = tmp_path / "inbox"
    write_json(inbox / "2025-01" / NOTES, [note(1), note(2)])
    return inbox


# --- symbolic links -------------------------------------------------------------------------------


def test_a_link_out_of_the_inbox_is_not_followed(inbox, tmp_path):
    outside = write_json(tmp_path / "elsewhere/search_contents_2025-01-20.json", [note(9)])
    (tmp_path / "elsewhere/secret.txt").write_text("Nickname0001 6785219f0000000000000001")
    month = inbox / "2025-01"
    (month / "xhs/json/search_contents_2025-01-21.json").symlink_to(outside)
    (month / "linked_folder").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (month / "passwd.json").symlink_to("/etc/passwd")
    found, skipped = discover(month)
    assert [f.relative_path for f in found] == [NOTES]
    out = "symbolic link out of the inbox: not followed"
    assert dict(skipped) == {
        "linked_folder": out,
        "passwd.json": out,
        "xhs/json/search_contents_2025-01-21.json": out,
    }
    result = ingest(month)
    assert result.rows.num_rows == 2 and result.rejects.num_rows == 0 and result.log.num_rows == 1
    assert "Nickname0001" not in json.dumps(result.skipped_files)


def test_links_inside_the_inbox_are_followed_once(inbox):
    month = inbox / "2025-01"
    write_json(inbox / "2025-02/extra/search_contents_2025-02-01.json", [note(3)])
    (month / "from_february").symlink_to(inbox / "2025-02/extra", target_is_directory=True)
    (month / "again").symlink_to(month / "xhs", target_is_directory=True)  # the same folder twice
    found, skipped = discover(month)
    assert [f.relative_path for f in found] == ["from_february/search_contents_2025-02-01.json", NOTES]
    assert dict(skipped) == {"again": "symbolic link to a folder already walked (a loop?): not followed"}
    (month / "notes.json").symlink_to(month / NOTES)
    assert (
        dict(discover(month)[1])["notes.json"]
        == "symbolic link to a file already read under another name: not read twice"
    )
    assert ingest(month).rows.num_rows == 3


def test_loops_and_broken_links_are_skipped_with_the_reason(inbox):
    month = inbox / "2025-01"
    (month / "a.json").symlink_to(month / "b.json")
    (month / "b.json").symlink_to(month / "a.json")
    (month / "xhs/self").symlink_to(month, target_is_directory=True)
    (month / "xhs/up").symlink_to("..", target_is_directory=True)
    (month / "gone.json").symlink_to(month / "nothing.json")
    entries = {e.relative_path: e.problem for e in walk(month)}
    assert entries == {
        "a.json": "symbolic link loop: not followed",
        "b.json": "symbolic link loop: not followed",
        "gone.json": "broken symbolic link: its target does not exist",
        NOTES: None,
        "xhs/self": "symbolic link to a folder already walked (a loop?): not followed",
        "xhs/up": "symbolic link to a folder already walked (a loop?): not followed",
    }
    snapshot = scan_inbox(inbox)["2025-01"]
    assert snapshot.files == 6  # the month runs, and the run lists why five of them were not read
    result = ingest(month)
    conserved(result)
    assert result.rows.num_rows == 2 and len(result.skipped_files) == 5


def test_a_month_folder_linked_out_of_the_inbox_is_not_read(tmp_path):
    crawl = tmp_path / "external-drive/january"
    write_json(crawl / NOTES, [note(1)])
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "2025-01").symlink_to(crawl, target_is_directory=True)
    found, skipped = discover(inbox / "2025-01")
    assert found == [] and skipped == [(".", "the month folder is a symbolic link out of the inbox: not followed")]
    assert scan_inbox(inbox)["2025-01"].files == 1


# --- what cannot be read ----------------------------------------------------------------------------


def test_a_fifo_is_never_opened(inbox):
    month = inbox / "2025-01"
    os.mkfifo(month / "search_comments_2025-01-20.json")  # opening it for reading would block for ever
    found, skipped = discover(month)
    assert dict(skipped) == {"search_comments_2025-01-20.json": "not a regular file (a FIFO, socket or device)"}
    assert ingest(month, "comment").log.num_rows == 0


def permission_denied(*args, **kwargs):
    raise PermissionError(errno.EACCES, "Permission denied")


def test_unreadable_folders_and_files_are_skipped_with_the_reason(inbox, monkeypatch):
    month = inbox / "2025-01"
    write_json(month / "locked/search_contents_2025-01-21.json", [note(5)])
    write_json(month / "secret/search_comments_2025-01-21.json", [comment(1, 1)])
    real_scandir, real_open = os.scandir, Path.open

    def scandir(path):
        return permission_denied() if Path(path).name == "locked" else real_scandir(path)

    def opener(self, *args, **kwargs):
        return permission_denied() if self.parent.name == "secret" else real_open(self, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(Path, "open", opener)
    found, skipped = discover(month)
    assert [f.relative_path for f in found] == [NOTES]
    assert dict(skipped) == {
        "locked": "cannot read folder: Permission denied",
        "secret/search_comments_2025-01-21.json": "cannot read file: Permission denied",
    }
    assert snapshot_month(month).files == 3
    result = ingest(month)
    conserved(result)
    assert result.rows.num_rows == 2


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file whatever its mode")
def test_a_file_without_read_permission(inbox):
    month = inbox / "2025-01"
    locked = write_json(month / "search_comments_2025-01-21.json", [comment(1, 1)])
    locked.chmod(0)
    try:
        assert dict(discover(month)[1]) == {"search_comments_2025-01-21.json": "cannot read file: Permission denied"}
    finally:
        locked.chmod(0o644)


def test_a_file_unreadable_after_it_was_recognised_is_one_reject(inbox, monkeypatch):
    month = inbox / "2025-01"
    monkeypatch.setattr(readers, "READERS", {**readers.READERS, "json": permission_denied})
    result = ingest(month)
    conserved(result)
    [reject] = result.rejects.to_pylist()
    assert reject["reason"] == "cannot read file: Permission denied"


def test_the_sensor_tick_survives_loops_and_unreadable_entries(inbox, monkeypatch):
    from rednote_dagster.defs.automation import new_crawl
    from rednote_dagster.defs.resources import RednoteData

    month = inbox / "2025-01"
    (month / "loop").symlink_to("loop")
    (month / "dir_loop").symlink_to(".", target_is_directory=True)
    os.mkfifo(month / "pipe")
    old = time.time() - 3600
    for path in month.rglob("*.json"):
        os.utime(path, (old, old))
    real_scandir = os.scandir
    monkeypatch.setattr(
        os, "scandir", lambda path: permission_denied() if Path(path).name == "xhs" else real_scandir(path)
    )
    context = dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral())
    result = new_crawl(context, RednoteData(data_dir=str(inbox.parent)))
    assert [r.partition_key for r in result.run_requests] == ["2025-01-01"]


# --- what the readers must survive --------------------------------------------------------------------


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deep_nesting_is_a_record_reject_not_a_failed_partition(tmp_path, depth):
    month = tmp_path / "2025-01"
    records = [json.dumps(note(1)), '{"note_id": ' + nested(depth) + "}", nested(depth), json.dumps(note(2))]
    (month / "xhs/json").mkdir(parents=True)
    (month / NOTES).write_text("[" + ",\n".join(records) + "]")
    (month / "xhs/json/search_contents_2025-01-21.jsonl").write_text("\n".join(records[1:3]) + "\n")
    deep_first = month / "xhs/json/search_contents_2025-01-22.json"
    deep_first.write_text("[" + ",".join(records[1:]) + "]")  # the first record says nothing: the name does
    result = ingest(month)
    conserved(result)
    assert sorted(result.rows.column("note_id").to_pylist()) == [note(1)["note_id"], note(2)["note_id"]]
    reasons = result.rejects.column("reason").to_pylist()
    assert len(reasons) == 6, reasons  # two in each array, and the two JSONL lines
    # the arrays' are judged in Python, the JSONL lines by the SQL normaliser, which reads any depth
    assert reasons.count("record nested too deeply to read") == 4


def test_a_torn_quote_before_128_kb_more_is_a_reject_not_a_crash(tmp_path):
    month = tmp_path / "2025-01"
    path = write_csv(month / "xhs/csv/search_comments_2025-01-20.csv", [comment(1, 1), comment(2, 1)])
    torn = path.read_bytes() + b'6790aaaa0000000000000003,1737270003000,"\xe5\xb9\xbf' + b"x" * 200_000 + b"\r\n"
    path.write_bytes(torn + path.read_bytes().split(b"\r\n", 1)[1])  # appends after the torn row
    result = ingest(month, "comment")
    conserved(result)
    assert result.rows.num_rows == 2
    [reject] = result.rejects.to_pylist()
    assert reject["reason"] == "CSV cannot be parsed from here on (field larger than field limit (131072))"
    assert json.loads(reject["payload"]).keys() == {"sha256", "length"}


def test_xlsx_rows_are_read_whatever_a_stale_dimension_says(tmp_path):
    month = tmp_path / "2025-01"
    path = write_xlsx(month / "xhs/excel/xhs_search_20250120_101500.xlsx", {"Contents": [note(i) for i in range(5)]})
    with zipfile.ZipFile(path) as book:
        parts = {name: book.read(name) for name in book.namelist()}
    sheet = next(n for n in parts if n.startswith("xl/worksheets/sheet"))
    parts[sheet], count = re.subn(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:B2"/>', parts[sheet])
    assert count == 1
    with zipfile.ZipFile(path, "w") as book:
        for name, data in parts.items():
            book.writestr(name, data)
    result = ingest(month)
    conserved(result)
    assert result.rows.num_rows == 5 and result.rejects.num_rows == 0


# --- a file that changes while it is read -----------------------------------------------------------


def rewrite_during_read(monkeypatch, change):
    """The JSON reader, but the file is changed (by ``change``) while it reads."""
    real = readers.READERS["json"]

    def reading(data):
        for path in CHANGING:
            change(path)
        return real(data)

    monkeypatch.setattr(readers, "READERS", {**readers.READERS, "json": reading})


CHANGING: list[Path] = []


def append(path: Path) -> None:
    with path.open("ab") as handle:
        handle.write(b" ")


def touch(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


def replace(path: Path) -> None:
    copy = path.with_suffix(".tmp")
    copy.write_bytes(path.read_bytes())
    os.utime(copy, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns))
    copy.replace(path)


@pytest.mark.parametrize(
    ("change", "said"),
    [(append, "size 1,"), (touch, "modified 20"), (replace, "replaced by another file")],
)
def test_a_file_changed_while_it_is_read_fails_whole_with_the_reason(inbox, monkeypatch, change, said):
    month = inbox / "2025-01"
    CHANGING[:] = [month / NOTES]
    rewrite_during_read(monkeypatch, change)
    result = ingest(month)
    conserved(result)
    assert result.rows.num_rows == 0  # nothing of a partial read
    [reject] = result.rejects.to_pylist()
    assert reject["reason"].startswith("file changed while it was read (") and said in reject["reason"]
    assert reject["reason"].endswith("ingest the month again once the file is complete")


def test_a_file_changed_between_being_recognised_and_read_fails_whole(inbox, monkeypatch):
    month = inbox / "2025-01"
    real_discover = ingest_module.discover

    def discover_then_change(*args, **kwargs):
        found = real_discover(*args, **kwargs)
        append(month / NOTES)
        return found

    monkeypatch.setattr(ingest_module, "discover", discover_then_change)
    [reject] = ingest(month).rejects.to_pylist()
    assert reject["reason"].startswith("file changed while it was read (size ")


# --- raw.ingest_log of an earlier release ---------------------------------------------------------


def test_an_ingest_log_without_source_tool_is_migrated(inbox, tmp_path):
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute("CREATE SCHEMA raw")
    con.execute(
        "CREATE TABLE raw.ingest_log (collection_month DATE, source_file VARCHAR, entity VARCHAR, "
        "records_read BIGINT, accepted BIGINT, rejected BIGINT, duplicates BIGINT)"
    )
    con.execute("INSERT INTO raw.ingest_log VALUES ('2024-12-01', 'old.json', 'note', 3, 3, 0, 0)")
    add_later_log_columns(con, "raw.ingest_log")
    add_later_log_columns(con, "raw.ingest_log")  # idempotent
    result = ingest(inbox / "2025-01")
    replace_partitions(con, [PartitionWrite("raw.ingest_log", result.log, {"collection_month": MONTH})])
    assert con.execute("SELECT source_file, source_tool FROM raw.ingest_log ORDER BY 1").fetchall() == [
        ("old.json", "mediacrawler"),
        (NOTES, "mediacrawler"),
    ]
    add_later_log_columns(con, "raw.no_such_table")  # a new warehouse: nothing to migrate
    con.close()
