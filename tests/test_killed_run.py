"""A run killed while it holds the one "duckdb" pool slot must not block every later run.

Uses a real on-disk DAGSTER_HOME with the project's .dagster_home/dagster.yaml (one slot per pool), which
the ephemeral instance of tests/test_crash_recovery.py never exercises. Without ``release_dead_runs`` the
second run below waits on "Step blocked by limit for pool duckdb" until its 60 s timeout.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import dagster as dg
import pytest

from rednote_dagster.defs.run_recovery import HOST_TAG, PID_TAG, START_SLACK_S, owner_tags, release_dead_runs

REPO = Path(__file__).resolve().parents[1]
POOL = "duckdb"
# One asset in the "duckdb" pool that sleeps argv[1] seconds, run the way `python -m rednote_dagster run` does.
CHILD = """
import sys, time
import dagster as dg
from rednote_dagster.defs.run_recovery import owner_tags

@dg.asset(pool="duckdb")
def warehouse_step():
    time.sleep(float(sys.argv[1]))

defs = dg.Definitions(assets=[warehouse_step], jobs=[dg.define_asset_job("pool_job", [warehouse_step])])
result = defs.resolve_job_def("pool_job").execute_in_process(instance=dg.DagsterInstance.get(), tags=owner_tags())
sys.exit(0 if result.success else 1)
"""


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / ".dagster_home" / "dagster.yaml", home / "dagster.yaml")
    (tmp_path / "child.py").write_text(CHILD)
    return home


@pytest.fixture
def instance(home):
    with dg.DagsterInstance.from_config(str(home)) as instance:
        yield instance


def start_child(home: Path, sleep_s: float, name: str) -> subprocess.Popen:
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    # a file, not a pipe: nobody reads it while the run goes on (the child keeps its own copy of the descriptor)
    with open(home.parent / f"{name}.log", "wb") as log:
        return subprocess.Popen(
            [sys.executable, str(home.parent / "child.py"), str(sleep_s)],
            env=env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def child_log(home: Path, name: str) -> str:
    return (home.parent / f"{name}.log").read_text(errors="replace")[-3000:]


def wait_for(predicate, what: str, proc: subprocess.Popen, home: Path, name: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        assert proc.poll() is None, f"{name} exited ({proc.returncode}) before {what}:\n{child_log(home, name)}"
        time.sleep(0.2)
    pytest.fail(f"no {what} within {timeout:.0f} s:\n{child_log(home, name)}")


def pool_info(instance):
    return instance.event_log_storage.get_concurrency_info(POOL)


def kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def test_killed_run_is_failed_and_its_slot_freed_so_the_next_run_completes(home, instance):
    first = start_child(home, 60, "first")
    second = None
    try:
        slot = wait_for(lambda: pool_info(instance).claimed_slots, "claimed duckdb slot", first, home, "first")
        dead_run = slot[0].run_id
        assert instance.get_run_by_id(dead_run).tags[PID_TAG] == str(first.pid)
        assert release_dead_runs(instance) == [], "a run whose process is alive was released"
        assert instance.get_run_by_id(dead_run).status == dg.DagsterRunStatus.STARTED

        kill(first)
        assert [s.run_id for s in pool_info(instance).claimed_slots] == [dead_run]  # the killed run keeps it

        # Before the release: the next run waits on the pool, behind the dead run.
        second = start_child(home, 0, "second")
        waiting = wait_for(
            lambda: [p for p in pool_info(instance).pending_steps if p.run_id != dead_run],
            "queued step of the second run",
            second,
            home,
            "second",
        )
        time.sleep(2.0)
        assert second.poll() is None and [s.run_id for s in pool_info(instance).claimed_slots] == [dead_run]

        assert release_dead_runs(instance) == [dead_run]
        assert instance.get_run_by_id(dead_run).status == dg.DagsterRunStatus.FAILURE
        assert dead_run not in {s.run_id for s in pool_info(instance).claimed_slots}

        started = time.monotonic()
        assert second.wait(timeout=60) == 0, child_log(home, "second")
        print(f"second run completed {time.monotonic() - started:.1f} s after the release")
        assert instance.get_run_by_id(waiting[0].run_id).status == dg.DagsterRunStatus.SUCCESS
        assert pool_info(instance).claimed_slots == [] and release_dead_runs(instance) == []
    finally:
        for proc in (first, second):
            if proc is not None:
                kill(proc)


def _started_run(instance, tags: dict[str, str]) -> str:
    run_id = str(uuid.uuid4())
    instance.add_run(dg.DagsterRun(job_name="probe_job", run_id=run_id, status=dg.DagsterRunStatus.STARTED, tags=tags))
    return run_id


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_only_runs_whose_process_is_gone_on_this_host_are_released(instance):
    from dagster._core.events import EngineEventData

    host = owner_tags()[HOST_TAG]
    dead = _dead_pid()
    elsewhere = _started_run(instance, {PID_TAG: str(dead), HOST_TAG: "another-host"})
    alive = _started_run(instance, owner_tags())
    tagged_dead = _started_run(instance, {PID_TAG: str(dead), HOST_TAG: host})
    untagged_dead = _started_run(instance, {})
    instance.report_engine_event(
        f"Executing steps in process (pid: {dead})",
        instance.get_run_by_id(untagged_dead),
        EngineEventData.in_process(dead),
    )
    # Tags copied from a killed parent run on re-execution: the run's own pid event (alive) wins.
    reexecuted = _started_run(instance, {PID_TAG: str(dead), HOST_TAG: host})
    instance.report_engine_event(
        f"Started process for run (pid: {os.getpid()}).",
        instance.get_run_by_id(reexecuted),
        EngineEventData.in_process(os.getpid()),
    )
    # The run's pid now belongs to a process that started after the run was created.
    reused = _started_run(instance, {PID_TAG: "0", HOST_TAG: host})
    time.sleep(START_SLACK_S + 1.5)
    newcomer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        instance.add_run_tags(reused, {PID_TAG: str(newcomer.pid)})
        storage = instance.event_log_storage
        for pool in (POOL, "other_pool"):  # as a run's first step in a pool does
            storage.initialize_concurrency_limit_to_default(pool)
        assert storage.claim_concurrency_slot(POOL, elsewhere, "step").is_claimed
        assert storage.claim_concurrency_slot("other_pool", tagged_dead, "step").is_claimed
        ended = _started_run(instance, owner_tags())
        instance.report_run_failed(instance.get_run_by_id(ended), "ended without freeing its slot")
        assert not storage.claim_concurrency_slot(POOL, ended, "step").is_claimed  # queued behind `elsewhere`

        lines = []
        released = release_dead_runs(instance, log=type("Log", (), {"info": lines.append, "warning": lines.append}))
        assert sorted(released) == sorted([tagged_dead, untagged_dead, reused, ended]), lines
        for run_id in (elsewhere, alive, reexecuted):
            assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED
        for run_id in (tagged_dead, untagged_dead, reused):
            assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
        assert [s.run_id for s in pool_info(instance).claimed_slots] == [elsewhere]
        assert storage.get_concurrency_info("other_pool").claimed_slots == []
        assert storage.get_concurrency_run_ids() == {elsewhere}
        assert (
            f"released run {tagged_dead[:8]} (probe_job): its process {dead} is gone; freed 1 other_pool slot(s)"
            in lines
        )
        assert (
            f"released run {reused[:8]} (probe_job): its process {newcomer.pid} is gone; freed 0 duckdb slot(s)"
            in lines
        )
    finally:
        newcomer.kill()
        newcomer.wait()
