"""One pseudonym key per warehouse: its fingerprint is stored at the first ingest, another key stops the
ingest with a clear error, and `python -m rednote_dagster rekey` moves the warehouse to a new key."""

from __future__ import annotations

import shutil

import dagster as dg
import duckdb
import pytest

from rednote_dagster.__main__ import main
from rednote_dagster.defs.resources import build_resources
from rednote_dagster.lib.pseudonym import FINGERPRINT_TABLE, Pseudonymizer, key_fingerprint
from rednote_dagster.lib.settings import DataPaths
from tests.assets.test_raw_assets import MARCH, RAW, build_march

KEYED_TABLES = ("raw.notes", "raw.comments", "raw.creators")


def ingest(root, raise_on_error=True):
    return dg.materialize(
        RAW, resources=build_resources(DataPaths(root)), partition_key=MARCH, raise_on_error=raise_on_error
    )


def author_keys(root) -> dict[str, list]:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        return {
            t: con.execute(f"SELECT * EXCLUDE (source_file) FROM {t} ORDER BY ALL").fetchall() for t in KEYED_TABLES
        }


def stored_fingerprint(root) -> str:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(f"SELECT fingerprint FROM {FINGERPRINT_TABLE}").fetchall()[0][0]


def test_fingerprint_identifies_the_key_without_showing_it():
    assert key_fingerprint("k1") == key_fingerprint(b"k1") == Pseudonymizer("k1").fingerprint
    assert key_fingerprint("k1") != key_fingerprint("k2")
    assert len(key_fingerprint("k1")) == 16 and "k1" not in key_fingerprint("k1")


def test_another_key_stops_the_ingest_and_rekey_moves_the_warehouse(data_root, tmp_path, monkeypatch):
    build_march(data_root / "inbox")
    assert ingest(data_root).success
    assert stored_fingerprint(data_root) == key_fingerprint("test-key")
    before = author_keys(data_root)

    # the same crawl under another key: refused, nothing written
    monkeypatch.setenv("REDNOTE_PSEUDONYM_KEY", "new-key")
    result = ingest(data_root, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error
    assert "fingerprint" in failure.to_string() and "rekey" in failure.to_string(), failure.to_string()
    assert author_keys(data_root) == before

    # what a warehouse built under the new key from the start holds
    fresh = tmp_path / "fresh"
    shutil.copytree(data_root / "inbox", fresh / "inbox")
    assert ingest(fresh).success
    expected = author_keys(fresh)
    assert expected != before

    old_key = tmp_path / "old.key"
    old_key.write_text("test-key\n")
    assert main(["rekey", "--old-key-file", str(old_key)]) == 0
    assert author_keys(data_root) == expected
    assert stored_fingerprint(data_root) == key_fingerprint("new-key")
    assert ingest(data_root).success  # the new key is the warehouse's key now
    assert author_keys(data_root) == expected


def test_rekey_changes_nothing_when_a_crawl_file_is_gone(data_root, tmp_path, monkeypatch):
    build_march(data_root / "inbox")
    assert ingest(data_root).success
    before = author_keys(data_root)
    for creators in (data_root / "inbox").rglob("creator_creator_*"):
        creators.unlink()
    for notes in (data_root / "inbox").rglob("*contents*"):
        notes.unlink()
    monkeypatch.setenv("REDNOTE_PSEUDONYM_KEY", "new-key")
    old_key = tmp_path / "old.key"
    old_key.write_text("test-key")
    with pytest.raises(ValueError, match="no crawl record in the inbox"):
        main(["rekey", "--old-key-file", str(old_key)])
    assert author_keys(data_root) == before
    assert stored_fingerprint(data_root) == key_fingerprint("test-key")

    old_key.write_text("not-the-old-key")
    with pytest.raises(Exception, match="not the key this warehouse was built with"):
        main(["rekey", "--old-key-file", str(old_key)])
