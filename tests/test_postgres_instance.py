"""The "beyond one machine" configuration (docs/beyond_one_machine.md), on real engines where possible.

* deploy/postgres/dagster.yaml on a real PostgreSQL server (pgserver: PostgreSQL binaries in a wheel,
  no system install, no network): Postgres run/event/schedule storage, the QueuedRunCoordinator with
  four concurrent runs, the one-slot "duckdb" pool; a real ``ingest_job`` run and a queued run,
  both read back from Postgres with psycopg2.
* The dbt ``server`` target (MotherDuck): the profile renders to dbt-duckdb with an ``md:`` path and
  ``dbt parse --target server`` works offline. Nothing here connects to MotherDuck.

pgserver under root: it creates a system user "pgserver" (useradd) to run the server as, and gives
"other" read/traverse permission on the folders above its data dir and its own binaries. The data dir is
a fresh ``mkdtemp`` folder under the temp dir, so no folder of the project or of pytest is loosened.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.xhs_samples import comment, creator, hex_id, note, write_json, write_jsonl

REPO = Path(__file__).resolve().parents[1]
PG_INSTANCE_YAML = REPO / "deploy" / "postgres" / "dagster.yaml"
DBT_DIR = REPO / "dbt_project"
MONTH = "2025-01-01"


@pytest.fixture(scope="module")
def postgres_url():
    """A PostgreSQL server of its own for this module (database "dagster"), stopped and deleted after."""
    pgserver = pytest.importorskip("pgserver", reason="pgserver not installed (pip install -e '.[dev]')")
    pytest.importorskip("psycopg2", reason="psycopg2 not installed (pip install -e '.[dev]')")
    pytest.importorskip("dagster_postgres", reason="dagster-postgres not installed (pip install -e '.[dev]')")
    # A short path: the server's unix socket lives in the data dir (socket paths are limited to ~100 bytes).
    base = Path(tempfile.mkdtemp(prefix="rednote-pg-"))
    try:
        server = pgserver.get_server(base / "pgdata", cleanup_mode="stop")
    except Exception as exc:
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"pgserver could not start PostgreSQL here: {type(exc).__name__}: {exc}")
    try:
        server.psql("CREATE DATABASE dagster;")
        yield server.get_uri("dagster")  # postgresql://postgres:@/dagster?host=<socket dir>
    finally:
        server.cleanup()  # pg_ctl stop (this process holds the only handle)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_instance(postgres_url, data_root, monkeypatch):
    """DagsterInstance.get() on a DAGSTER_HOME holding a copy of deploy/postgres/dagster.yaml."""
    import dagster as dg

    home = Path(os.environ["DAGSTER_HOME"])  # data_root made it; empty
    shutil.copy(PG_INSTANCE_YAML, home / "dagster.yaml")
    # SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3; dagster-postgres ships psycopg2, so the
    # URL names its driver (deploy/postgres/dagster.yaml says so too).
    monkeypatch.setenv("DAGSTER_PG_URL", postgres_url.replace("postgresql://", "postgresql+psycopg2://", 1))
    with dg.DagsterInstance.get() as instance:
        yield instance


def pg_rows(url: str, sql: str, params=()) -> list[tuple]:
    import psycopg2

    with psycopg2.connect(url) as con, con.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    con.close()
    return rows


def tiny_inbox(data_root: Path) -> None:
    """A January 2025 collection month: three notes, three comments, two creators."""
    month = data_root / "inbox" / MONTH[:7]
    write_jsonl(month / "xhs/jsonl/search_contents_2025-01-19.jsonl", [note(1), note(2, user=3), note(3)])
    write_jsonl(
        month / "xhs/jsonl/search_comments_2025-01-19.jsonl",
        [comment(1, 1), comment(2, 1, parent=hex_id(1, "6790aaaa")), comment(3, 2)],
    )
    write_json(month / "xhs/json/creator_creator_2025-01-19.json", [creator(1), creator(3)])


def test_instance_on_postgres_runs_a_job_and_queues_a_run(pg_instance, postgres_url, data_root):
    import dagster as dg
    from dagster._core.events import DagsterEventType
    from dagster._core.storage.base_storage import DagsterStorage
    from dagster._core.storage.dagster_run import DagsterRunStatus
    from dagster._core.test_utils import in_process_test_workspace
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage
    from dagster_postgres.storage import DagsterPostgresStorage

    from rednote_dagster.definitions import defs
    from rednote_dagster.defs.resources import DUCKDB_POOL

    instance = pg_instance
    # storage: all three stores are the Postgres ones, on the server of this test
    storage = instance.get_ref().storage_data  # the `storage:` block, as the instance loaded it
    assert isinstance(storage.rehydrate(as_type=DagsterStorage), DagsterPostgresStorage)
    assert isinstance(instance.run_storage, PostgresRunStorage)
    assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
    assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
    assert instance.run_storage.postgres_url == os.environ["DAGSTER_PG_URL"]
    # run queue: the explicit QueuedRunCoordinator, limits from `concurrency:`
    assert isinstance(instance.run_coordinator, dg.QueuedRunCoordinator)
    concurrency = instance.get_concurrency_config()
    assert concurrency.run_queue_config.max_concurrent_runs == 4
    assert concurrency.run_queue_config.op_concurrency_slot_buffer == 3
    assert concurrency.pool_config.default_pool_limit == 1
    # The pool row is created lazily, with default_limit, the first time a step asks for a slot.
    assert DUCKDB_POOL not in instance.event_log_storage.get_concurrency_keys()

    # a real run, in process, against the Postgres-backed instance
    tiny_inbox(data_root)
    ingest_job = defs().resolve_job_def("ingest_job")
    started = time.monotonic()
    result = ingest_job.execute_in_process(partition_key=MONTH, instance=instance)
    print(f"ingest_job on the Postgres instance: {time.monotonic() - started:.1f} s")
    assert result.success
    run_id = result.run_id

    # the steps (all in the "duckdb" pool) initialized it with default_limit 1, and gave their slot back
    info = instance.event_log_storage.get_concurrency_info(DUCKDB_POOL)
    assert info.slot_count == 1
    assert info.claimed_slots == [] and info.pending_steps == []

    # stored in Postgres: the run row, its events, the materializations with their partition
    assert pg_rows(postgres_url, "SELECT status FROM runs WHERE run_id = %s", (run_id,)) == [("SUCCESS",)]
    counts = dict(
        pg_rows(
            postgres_url, "SELECT dagster_event_type, count(*) FROM event_logs WHERE run_id = %s GROUP BY 1", (run_id,)
        )
    )
    assert counts[DagsterEventType.RUN_SUCCESS.value] == 1  # stored as "PIPELINE_SUCCESS"
    assert counts[DagsterEventType.ASSET_MATERIALIZATION.value] >= 3
    materialized = {
        key
        for (key,) in pg_rows(
            postgres_url,
            "SELECT asset_key FROM event_logs WHERE run_id = %s AND dagster_event_type = "
            "'ASSET_MATERIALIZATION' AND partition = %s",
            (run_id, MONTH),
        )
    }
    assert {dg.AssetKey(["raw", t]).to_string() for t in ("notes", "comments", "creators")} <= materialized
    assert pg_rows(postgres_url, 'SELECT concurrency_key, "limit" FROM concurrency_limits') == [(DUCKDB_POOL, 1)]
    # the warehouse (local DuckDB) got the month
    import duckdb

    with duckdb.connect(str(data_root / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw.notes").fetchone()[0] == 3

    # a run submitted through the queue stays QUEUED: no daemon runs here to dequeue it
    origin = LoadableTargetOrigin(
        executable_path=sys.executable, module_name="rednote_dagster.definitions", working_directory=str(REPO)
    )
    with in_process_test_workspace(instance, origin) as workspace:
        (location,) = workspace.code_location_names
        repo = workspace.get_code_location(location).get_repository("__repository__")
        remote_job = repo.get_full_job("ingest_job")
        run = instance.create_run_for_job(
            job_def=ingest_job,
            tags={"dagster/partition": MONTH},
            remote_job_origin=remote_job.get_remote_origin(),
            job_code_origin=remote_job.get_python_origin(),
        )
        submitted = instance.submit_run(run.run_id, workspace)
    assert submitted.status == DagsterRunStatus.QUEUED
    assert pg_rows(postgres_url, "SELECT status FROM runs WHERE run_id = %s", (run.run_id,)) == [("QUEUED",)]
    assert pg_rows(
        postgres_url,
        "SELECT count(*) FROM event_logs WHERE run_id = %s AND dagster_event_type = %s",
        (run.run_id, DagsterEventType.RUN_ENQUEUED.value),
    ) == [(1,)]
    queued = instance.get_runs(filters=dg.RunsFilter(statuses=[DagsterRunStatus.QUEUED]))
    assert [r.run_id for r in queued] == [run.run_id]


# ---- dbt server target (MotherDuck) ---------------------------------------------------------------

RENDER_PROFILE = """
import json, os, sys
from argparse import Namespace
from dbt.flags import set_from_args
from dbt.config.runtime import load_profile
from dbt_common.context import set_invocation_context

def render(target, **env):
    # dbt's env_var() reads the invocation context, set from the environment (as dagster-dbt does)
    set_invocation_context({**os.environ, **env})
    try:
        p = load_profile(sys.argv[1], {}, None, target)
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    c = p.credentials
    return {"target": p.target_name, "type": c.type, "path": c.path, "database": c.database,
            "threads": p.threads, "motherduck_token": c.motherduck_token,
            "plugins": [pl.module for pl in (c.plugins or [])]}

set_from_args(Namespace(profiles_dir=sys.argv[1]), None)
token = {"MOTHERDUCK_TOKEN": "test-token-not-real"}
print(json.dumps({
    "server": render("server", **token),
    "default": render(None),                                  # no MotherDuck variable at all
    "env_server": render(None, DBT_TARGET="server", MOTHERDUCK_DATABASE="rednote_ci", **token),
    "server_no_token": render("server"),
}))
"""


def dbt_env(**extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DBT_TARGET", "MOTHERDUCK_TOKEN", "MOTHERDUCK_DATABASE")}
    return {**env, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **extra}


def test_dbt_server_target_renders_to_motherduck():
    proc = subprocess.run(
        [sys.executable, "-c", RENDER_PROFILE, str(DBT_DIR)],
        cwd=DBT_DIR,
        env=dbt_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    profiles = json.loads(proc.stdout.strip().splitlines()[-1])
    server = profiles["server"]
    assert server["target"] == "server" and server["type"] == "duckdb"
    assert server["path"] == "md:rednote" and server["database"] == "rednote"
    assert server["motherduck_token"] == "test-token-not-real"  # from MOTHERDUCK_TOKEN
    assert "motherduck" in server["plugins"]  # dbt-duckdb recognised the md: path
    assert server["threads"] == 4
    # DBT_TARGET selects it too (the Dagster dbt resource passes no --target: the profile decides)
    env_server = profiles["env_server"]
    assert env_server["target"] == "server" and env_server["path"] == "md:rednote_ci"
    # local stays the default, and needs no MotherDuck variable
    default = profiles["default"]
    assert default["target"] == "local" and default["type"] == "duckdb" and not default["path"].startswith("md:")
    # the server target without a token is a clear error, not a silent local fallback
    assert "MOTHERDUCK_TOKEN" in profiles["server_no_token"]["error"]


def test_dbt_parse_with_server_target_works_offline(tmp_path):
    """`dbt parse --target server` renders the server profile but opens no connection: it succeeds with a
    fake token and no network, and the manifest's models live in the MotherDuck database."""
    dbt = Path(sys.executable).parent / "dbt"
    args = [
        str(dbt),
        "parse",
        "--quiet",
        "--profiles-dir",
        ".",
        "--target",
        "server",
        # never touch the project's own target/ (Dagster reads its manifest) or logs/
        "--target-path",
        str(tmp_path / "target"),
        "--log-path",
        str(tmp_path / "logs"),
    ]
    env = dbt_env(MOTHERDUCK_TOKEN="test-token-not-real", MOTHERDUCK_DATABASE="rednote_ci")
    proc = subprocess.run(args, cwd=DBT_DIR, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    assert manifest["metadata"]["adapter_type"] == "duckdb"
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert models and {n["database"] for n in models} == {"rednote_ci"}
