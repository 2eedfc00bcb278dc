"""lib/inbox_watch.py: fingerprints of inbox months and the plan of which months to run."""

import os
import time

from rednote_dagster.lib.inbox_watch import (
    dump_cursor,
    load_cursor,
    partition_key,
    plan_inbox_runs,
    run_key,
    scan_inbox,
)

VALID = {"2025-01", "2025-02", "2025-03"}
OLD = time.time() - 3600


def _write(path, text="[]", mtime=OLD):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, (mtime, mtime))


def test_scan_fingerprints_month_folders_only(tmp_path):
    _write(tmp_path / "2025-01/xhs/json/search_contents_2025-01-14.json")
    _write(tmp_path / "2025-02/search_contents.jsonl")
    _write(tmp_path / "2025-02/.search_contents.jsonl.swp")  # hidden: ignored
    _write(tmp_path / "_truth/notes.parquet")
    (tmp_path / "2025-3").mkdir()  # not YYYY-MM
    (tmp_path / "2025-13").mkdir()
    (tmp_path / "notes.json").write_text("[]")
    snap = scan_inbox(tmp_path)
    assert sorted(snap) == ["2025-01", "2025-02"]
    assert snap["2025-02"].files == 1
    assert snap["2025-01"].fingerprint != snap["2025-02"].fingerprint
    assert scan_inbox(tmp_path / "missing") == {}


def test_fingerprint_changes_with_names_sizes_and_mtimes(tmp_path):
    f = tmp_path / "2025-01/a.json"
    _write(f)
    first = scan_inbox(tmp_path)["2025-01"].fingerprint
    assert scan_inbox(tmp_path)["2025-01"].fingerprint == first  # stable
    os.utime(f, (OLD + 10, OLD + 10))
    touched = scan_inbox(tmp_path)["2025-01"].fingerprint
    assert touched != first
    _write(tmp_path / "2025-01/b.json", mtime=OLD + 10)
    added = scan_inbox(tmp_path)["2025-01"].fingerprint
    assert added not in (first, touched)
    f.rename(tmp_path / "2025-01/c.json")
    assert scan_inbox(tmp_path)["2025-01"].fingerprint != added


def test_plan_runs_new_and_changed_months_once(tmp_path):
    _write(tmp_path / "2025-01/a.json")
    _write(tmp_path / "2025-02/a.json")
    now = time.time()
    first = plan_inbox_runs({}, scan_inbox(tmp_path), valid_months=VALID, now=now)
    assert [s.month for s in first.to_run] == ["2025-01", "2025-02"]
    second = plan_inbox_runs(first.cursor, scan_inbox(tmp_path), valid_months=VALID, now=now)
    assert second.to_run == [] and second.unchanged == ["2025-01", "2025-02"]
    assert second.cursor == first.cursor
    _write(tmp_path / "2025-02/b.json")
    third = plan_inbox_runs(second.cursor, scan_inbox(tmp_path), valid_months=VALID, now=now)
    assert [s.month for s in third.to_run] == ["2025-02"]
    assert third.cursor["2025-01"] == first.cursor["2025-01"] != third.cursor["2025-02"]


def test_future_and_too_early_folders_wait_outside_the_cursor(tmp_path):
    _write(tmp_path / "2024-12/a.json")
    _write(tmp_path / "2025-04/a.json")  # not a partition yet in this test's world
    plan = plan_inbox_runs({}, scan_inbox(tmp_path), valid_months=VALID, now=time.time())
    assert plan.to_run == [] and plan.not_a_partition == ["2024-12", "2025-04"] and plan.cursor == {}
    later = plan_inbox_runs(plan.cursor, scan_inbox(tmp_path), valid_months=VALID | {"2025-04"}, now=time.time())
    assert [s.month for s in later.to_run] == ["2025-04"]


def test_month_still_being_written_waits_for_the_settle_time(tmp_path):
    now = time.time()
    _write(tmp_path / "2025-01/a.json", mtime=now - 5)
    plan = plan_inbox_runs({}, scan_inbox(tmp_path), valid_months=VALID, now=now, settle_seconds=60)
    assert plan.to_run == [] and plan.settling == ["2025-01"] and plan.cursor == {}
    ready = plan_inbox_runs(plan.cursor, scan_inbox(tmp_path), valid_months=VALID, now=now + 60, settle_seconds=60)
    assert [s.month for s in ready.to_run] == ["2025-01"]
    # a change to a month already run keeps the old fingerprint until it settles
    _write(tmp_path / "2025-01/b.json", mtime=now + 100)
    pending = plan_inbox_runs(ready.cursor, scan_inbox(tmp_path), valid_months=VALID, now=now + 110, settle_seconds=60)
    assert pending.to_run == [] and pending.cursor == ready.cursor


def test_months_ingested_after_their_newest_file_are_adopted_without_a_run(tmp_path):
    _write(tmp_path / "2025-01/a.json", mtime=OLD)
    _write(tmp_path / "2025-02/a.json", mtime=OLD)
    plan = plan_inbox_runs(
        {},
        scan_inbox(tmp_path),
        valid_months=VALID,
        now=time.time(),
        ingested_at={"2025-01": OLD + 1, "2025-02": OLD - 1},
    )
    assert plan.adopted == ["2025-01"] and [s.month for s in plan.to_run] == ["2025-02"]
    assert set(plan.cursor) == {"2025-01", "2025-02"}


def test_empty_and_removed_folders(tmp_path):
    _write(tmp_path / "2025-01/a.json")
    (tmp_path / "2025-02").mkdir()
    plan = plan_inbox_runs({"2025-03": "old"}, scan_inbox(tmp_path), valid_months=VALID, now=time.time())
    assert plan.empty == ["2025-02"] and "2025-03" not in plan.cursor
    assert [s.month for s in plan.to_run] == ["2025-01"]


def test_keys_and_cursor_round_trip():
    assert partition_key("2025-03") == "2025-03-01"
    assert run_key("2025-03", "ab" * 32) == "inbox:2025-03:" + "ab" * 8
    cursor = {"2025-02": "x", "2025-01": "y"}
    assert load_cursor(dump_cursor(cursor)) == cursor
    assert load_cursor(None) == {} and load_cursor("not json") == {} and load_cursor("[1]") == {}
    assert load_cursor('{"_truth": "z", "2025-01": "y"}') == {"2025-01": "y"}


def test_the_fingerprint_of_an_unchanged_month_is_what_earlier_releases_computed(tmp_path):
    """The same files hash to the same fingerprint as the os.walk-based scan did, so an upgrade does
    not run every month again (cursor and run keys are fingerprints)."""
    import hashlib

    for rel in ("z.json", "b/x.json", "b/a/y.json", "b/c.csv", "a.json", "_notes/n.txt", ".hidden/h.json"):
        _write(tmp_path / "2025-01" / rel)
    earlier = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(tmp_path / "2025-01"):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(n for n in filenames if not n.startswith(".")):
            st = os.stat(os.path.join(dirpath, name))
            rel = os.path.relpath(os.path.join(dirpath, name), tmp_path / "2025-01").replace(os.sep, "/")
            earlier.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    assert scan_inbox(tmp_path)["2025-01"].fingerprint == earlier.hexdigest()
