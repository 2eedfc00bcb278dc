"""Crash test: SIGKILL a process materializing a collection month at several points of its run. After
every kill the warehouse opens, and each raw table holds the month either completely or not at all
(each asset writes its partition in one DuckDB transaction; DuckDB's WAL replays only committed ones).
Re-running then gives tables identical to a clean run's.
"""

import os
import shutil
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from rednote_dagster.lib.corpus import generate_corpus

MONTH = "2025-01-01"
TABLES = ("raw.notes", "raw.comments", "raw.creators", "raw.rejects", "raw.ingest_log")
SHARED = ("raw.rejects", "raw.ingest_log")
INGEST = (
    "import dagster as dg\n"
    "from rednote_dagster.definitions import defs\n"
    f"r = defs().resolve_job_def('ingest_job').execute_in_process(partition_key='{MONTH}', "
    "instance=dg.DagsterInstance.ephemeral())\n"
    "assert r.success\n"
)


def run_ingest(env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", INGEST],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def kill_after_step_starts(proc: subprocess.Popen, step: str, delay: float) -> bool:
    """SIGKILL the run ``delay`` s after it logs the start of ``step``; False if it ended first."""
    marker = f'Started execution of step "{step}"'.encode()
    for line in proc.stderr:
        if marker in line:
            time.sleep(delay)
            break
    if proc.poll() is not None:
        return False
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    return True


def month_state(warehouse) -> dict[str, tuple[int, str] | None]:
    """Per table (per entity for the shared rejects and ingest log, which each entity asset writes its
    own part of): (rows, content digest) of the month, or None when the table does not exist yet."""
    state = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table in TABLES:
            schema, name = table.split(".")
            exists = con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                [schema, name],
            ).fetchall()[0][0]
            parts = (
                [(f"{table}[{e}]", e) for e in ("note", "comment", "creator")] if table in SHARED else [(table, None)]
            )
            for key, entity in parts:
                if not exists:
                    state[key] = None
                    continue
                where = "collection_month = ?" + (" AND entity = ?" if entity else "")
                state[key] = tuple(
                    con.execute(
                        f"SELECT count(*), coalesce(md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)), '') "
                        f"FROM {table} t WHERE {where}",
                        [MONTH, entity] if entity else [MONTH],
                    ).fetchall()[0]
                )
    return state


@pytest.mark.slow
def test_sigkill_mid_materialization_loses_nothing_and_leaves_no_half_partition(tmp_path):
    inbox = tmp_path / "corpus"
    generate_corpus(inbox, scale="small", seed=0)
    env = {**os.environ, "REDNOTE_PSEUDONYM_KEY": "crash-key", "HF_HUB_OFFLINE": "1"}

    clean_root = tmp_path / "clean"
    (clean_root / "inbox").mkdir(parents=True)
    shutil.copytree(inbox / "2025-01", clean_root / "inbox" / "2025-01")
    started = time.monotonic()
    clean = run_ingest({**env, "REDNOTE_DATA_DIR": str(clean_root)})
    assert clean.wait(timeout=300) == 0, clean.stderr.read().decode()[-2000:]
    duration = time.monotonic() - started
    expected = month_state(clean_root / "warehouse.duckdb")
    assert all(v is not None and v[0] > 0 for t, v in expected.items() if not t.startswith("raw.rejects"))

    root = tmp_path / "crashed"
    (root / "inbox").mkdir(parents=True)
    shutil.copytree(inbox / "2025-01", root / "inbox" / "2025-01")
    crashed_env = {**env, "REDNOTE_DATA_DIR": str(root)}
    seen = []
    # Kill while a step writes: a moment after the step starts (its log line), for the largest table
    # (comments) and the notes; first into an empty warehouse, then over a complete earlier month.
    kills = {
        False: (
            ("raw__comments", 0.5),
            ("raw__comments", 1.0),
            ("raw__comments", 1.5),
            ("raw__notes", 0.1),
            ("raw__notes", 0.3),
        ),
        True: (("raw__comments", 0.5), ("raw__comments", 1.5), ("raw__notes", 0.2)),
    }
    for rewrite in (False, True):
        for step, delay in kills[rewrite]:
            if not rewrite:
                for leftover in root.glob("warehouse.duckdb*"):
                    leftover.unlink()
            proc = run_ingest(crashed_env)
            if not kill_after_step_starts(proc, step, delay):
                continue
            state = month_state(root / "warehouse.duckdb") if (root / "warehouse.duckdb").exists() else {}
            for table, value in state.items():
                # all of the month or none of it: never a half partition
                assert value is None or value[0] == 0 or value == expected[table], (step, delay, table, value)
            seen.append((rewrite, step, delay, tuple(t for t, v in state.items() if v and v[0])))
        if not rewrite:  # the rewrite round starts from a complete month
            assert run_ingest(crashed_env).wait(timeout=300) == 0

    final = run_ingest(crashed_env)
    assert final.wait(timeout=300) == 0, final.stderr.read().decode()[-2000:]
    assert month_state(root / "warehouse.duckdb") == expected
    print(f"clean run {duration:.1f} s; tables holding the month after each kill:")
    for row in seen:
        print("  ", row)
    assert len(seen) >= 6, "most kills must land while the run is still going"
