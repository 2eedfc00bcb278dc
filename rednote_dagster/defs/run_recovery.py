"""Release runs whose process died: a ``kill -9`` (or the OOM killer) during a warehouse step leaves the
run STARTED and its "duckdb" pool slot claimed, and with one slot every later run then waits forever
("Step blocked by limit for pool duckdb"). Dagster's run monitoring cannot see this with the default run
launcher (no worker health check), and ``python -m rednote_dagster run`` has no daemon at all.

:func:`release_dead_runs` marks such runs failed (canceled if they were CANCELING) and frees their slots
and queued pool steps; it also frees slots still held by runs that already ended or no longer exist.
Called at each ``new_crawl_sensor`` tick (defs/automation.py) and before ``python -m rednote_dagster run``.

Whose process is a run's:

* the ``rednote/pid`` and ``rednote/host`` tags (:func:`owner_tags`), which ``execute_in_process`` callers
  pass. A run tagged with another host is left alone: its pid means nothing here.
* else the pid that the run's own process logged ("Started process for run (pid: N)", "Executing steps in
  process (pid: N)"). That event names no host, so it is trusted only while the instance lives in SQLite
  files (or memory), which only processes on this machine can write; on PostgreSQL an untagged run may be
  on another host and is left alone.

A pid that is alive but belongs to a process started after the run's evidence (pid reuse) counts as gone.
That check needs psutil (installed here only through the dev extra's pgserver); without it a reused pid
reads as alive, which errs on the safe side.

Nothing here is a Dagster definition (defs/ is scanned by ``load_from_defs_folder``).
"""

from __future__ import annotations

import logging
import os
import socket
from collections import Counter

import dagster as dg

PID_TAG = "rednote/pid"
HOST_TAG = "rednote/host"
POOL = "duckdb"  # = resources.DUCKDB_POOL; not imported, as resources.py pulls in dbt (the log line only)
# The run's evidence (run creation, the pid event) is written by its process, so that process started
# before it; the slack covers timestamps stored at whole seconds (SQLite CURRENT_TIMESTAMP).
START_SLACK_S = 2.0
_IN_PROGRESS = (dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING)

_logger = logging.getLogger(__name__)


def owner_tags() -> dict[str, str]:
    """Tags naming this process as the run's owner; pass as ``tags=`` to ``execute_in_process``."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def release_dead_runs(instance: dg.DagsterInstance, log=None) -> list[str]:
    """Fail the in-progress runs whose process is gone and free the pool slots of those and of ended or
    deleted runs. Logs one line per released run; returns their run ids."""
    log = log or _logger
    records = {r.dagster_run.run_id: r for r in instance.get_run_records(dg.RunsFilter(statuses=list(_IN_PROGRESS)))}
    holders = set(_pool_holders(instance)) - set(records)
    if holders:
        records.update(
            {r.dagster_run.run_id: r for r in instance.get_run_records(dg.RunsFilter(run_ids=sorted(holders)))}
        )
    # Read again after the statuses: a slot still held by a run already seen ended is stale, not one the
    # run freed on its way out.
    held = _pool_holders(instance)

    released = []
    for run_id in sorted(set(records) | holders):
        try:
            record = records.get(run_id)
            run = record.dagster_run if record else None
            if run is None or run.is_finished:
                if run_id not in held:
                    continue
                why = f"it already ended ({run.status.value})" if run else "the run no longer exists"
            elif run.status in _IN_PROGRESS:
                pid = _dead_pid(instance, record)
                run = instance.get_run_by_id(run_id)  # it may have ended just before its process exited
                if pid is None or run.status not in _IN_PROGRESS:
                    continue
                why = f"its process {pid} is gone"
                if run.status == dg.DagsterRunStatus.CANCELING:
                    instance.report_run_canceled(run, f"Canceled: {why} (rednote run recovery).")
                else:
                    instance.report_run_failed(
                        run, f"Marked failed: {why} (killed?) (rednote run recovery).", _unexpected_termination()
                    )
            else:  # QUEUED / NOT_STARTED: no process yet
                continue
            if run_id in held:
                instance.event_log_storage.free_concurrency_slots_for_run(run_id)
            freed = ", ".join(f"{n} {pool} slot(s)" for pool, n in (held.get(run_id) or {POOL: 0}).items())
            log.info(f"released run {run_id[:8]} ({run.job_name if run else '?'}): {why}; freed {freed}")
            released.append(run_id)
        except Exception as exc:  # one odd run must not stop the others (or the sensor calling this)
            log.warning(f"could not check or release run {run_id[:8]}: {exc!r}")
    return released


def _pool_holders(instance: dg.DagsterInstance) -> dict[str, Counter]:
    """Run id -> claimed slots per pool, for every run holding a slot or with a step queued for one."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return {}
    held: dict[str, Counter] = {run_id: Counter() for run_id in storage.get_concurrency_run_ids()}
    for pool, info in storage.get_concurrency_infos(sorted(storage.get_concurrency_keys())).items():
        for slot in info.claimed_slots:
            held.setdefault(slot.run_id, Counter())[pool] += 1
    return held


def _dead_pid(instance: dg.DagsterInstance, record) -> int | None:
    """The pid of the run's process if that process is gone; None if it is alive or cannot be judged."""
    run = record.dagster_run
    logged = _logged_pid(instance, run.run_id)  # (pid, timestamp) of the run's last pid event
    tag_pid = run.tags.get(PID_TAG)
    if tag_pid and (logged is None or logged[0] == int(tag_pid)):
        if run.tags.get(HOST_TAG) != socket.gethostname():
            return None
        pid, since = int(tag_pid), logged[1] if logged else record.create_timestamp.timestamp()
    elif logged and _storage_is_local(instance):
        # untagged, or tags copied from a parent run on re-execution (the logged pid differs)
        pid, since = logged
    else:
        return None
    return None if _alive(pid, since) else pid


def _logged_pid(instance: dg.DagsterInstance, run_id: str) -> tuple[int, float] | None:
    events = instance.event_log_storage.get_logs_for_run(
        run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, ascending=False
    )
    for event in events:
        data = event.dagster_event.engine_event_data if event.dagster_event else None
        pid = data.metadata.get("pid") if data else None
        if pid is not None:
            return int(pid.value), event.timestamp
    return None


def _alive(pid: int, since: float) -> bool:
    """Is ``pid`` a live process that started no later than ``since`` (not a newer one reusing the pid)?"""
    try:
        import psutil
    except ImportError:  # (psutil is always there on Windows, where os.kill(pid, 0) would kill)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    try:
        proc = psutil.Process(pid)
        return proc.status() != psutil.STATUS_ZOMBIE and proc.create_time() <= since + START_SLACK_S
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def _storage_is_local(instance: dg.DagsterInstance) -> bool:
    from dagster._core.storage.event_log import (
        ConsolidatedSqliteEventLogStorage,
        InMemoryEventLogStorage,
        SqliteEventLogStorage,
    )

    return isinstance(
        instance.event_log_storage, (SqliteEventLogStorage, ConsolidatedSqliteEventLogStorage, InMemoryEventLogStorage)
    )


def _unexpected_termination():
    from dagster._core.events import JobFailureData, RunFailureReason

    return JobFailureData(error=None, failure_reason=RunFailureReason.UNEXPECTED_TERMINATION)
