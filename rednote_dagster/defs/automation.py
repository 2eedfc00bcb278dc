"""Schedules and sensors: a new crawl in the inbox flows through without anyone pressing a button.

* ``new_crawl_sensor`` watches ``$REDNOTE_DATA_DIR/inbox/<YYYY-MM>/`` and launches ``collection_month_job``
  (ingest + label) for each month whose files are new or changed (logic: ``lib/inbox_watch.py``).
* ``rollups_automation_sensor`` evaluates the declarative automation condition that
  :func:`with_rollup_automation` puts on every *unpartitioned* asset (BERTopic, κ, influence, dbt models,
  marts, report): refresh once any upstream partition has landed and nothing upstream is still running.
* ``monthly_refresh_schedule`` on the 1st of each month materializes the month just crawled and everything
  downstream of it (``month_refresh_job``), one run.

All three start RUNNING in a new instance; ``REDNOTE_AUTOMATION=off`` makes them start STOPPED (tests that
drive runs themselves; turning them on later is a toggle in the UI's Automation tab). The switch is read
when the definitions load (:func:`automation`), not at import.
"""

import datetime as dt
import time
import warnings

import dagster as dg

from rednote_dagster.defs.jobs import collection_month_job, month_refresh_job
from rednote_dagster.defs.partitions import COLLECTION_START, collection_month
from rednote_dagster.defs.resources import RednoteData
from rednote_dagster.defs.run_recovery import release_dead_runs
from rednote_dagster.lib.inbox_watch import (
    dump_cursor,
    load_cursor,
    partition_key,
    plan_inbox_runs,
    run_key,
    scan_inbox,
)
from rednote_dagster.lib.settings import DEFAULT_SETTLE_SECONDS, SETTLE_ENV, automation_enabled, inbox_settle_seconds
from rednote_dagster.lib.xhs.discovery import walk

RAW_KEYS = [dg.AssetKey(["raw", name]) for name in ("notes", "comments", "creators")]


# --- unpartitioned assets: declarative automation -------------------------------------------------------

# eager() would never fire here: it waits while *any* upstream partition is missing, and most months have
# no crawl. This fires when any upstream (partition) updated since the asset was last requested, once no
# upstream is in progress, so a backfill of twelve months gives one refresh at its end, not twelve.
REFRESH_AFTER_UPSTREAM = (
    dg.AutomationCondition.any_deps_updated().since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("refresh after an upstream partition lands")


def with_rollup_automation(defs: dg.Definitions) -> dg.Definitions:
    """Give every unpartitioned asset without a condition of its own :data:`REFRESH_AFTER_UPSTREAM`."""

    def _apply(spec: dg.AssetSpec) -> dg.AssetSpec:
        if spec.partitions_def is not None or spec.automation_condition is not None:
            return spec
        return spec.replace_attributes(automation_condition=REFRESH_AFTER_UPSTREAM)

    with warnings.catch_warnings():  # map_resolved_asset_specs is marked preview in 1.13
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return defs.map_resolved_asset_specs(func=_apply, selection=dg.AssetSelection.all())


def rollups_automation_sensor(status: dg.DefaultSensorStatus) -> dg.AutomationConditionSensorDefinition:
    return dg.AutomationConditionSensorDefinition(
        "rollups_automation_sensor",
        target=dg.AssetSelection.all(),
        default_status=status,
        minimum_interval_seconds=30,
        description="Refreshes the unpartitioned assets (BERTopic, κ, influence, dbt models, marts, report) after "
        "any collection month lands, once nothing upstream is still running.",
    )


# --- the inbox ----------------------------------------------------------------------------------------


def _ingested_at(instance: dg.DagsterInstance, months: list[str]) -> dict[str, float]:
    """Per month: when its raw layer was last materialized (the oldest of the three raw assets)."""
    out: dict[str, float] = {}
    for month in months:
        stamps = []
        for key in RAW_KEYS:
            records = instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=key, asset_partitions=[partition_key(month)]), limit=1
            ).records
            if not records:
                break
            stamps.append(records[0].timestamp)
        else:
            out[month] = min(stamps)
    return out


def new_crawl(context: dg.SensorEvaluationContext, rednote: RednoteData) -> dg.SensorResult:
    """The body of ``new_crawl_sensor``."""
    # A killed run would hold the one "duckdb" slot forever and block every run this sensor launches.
    release_dead_runs(context.instance, log=context.log)
    cursor = load_cursor(context.cursor)
    snapshot = scan_inbox(rednote.paths.inbox)
    valid = {key[:7] for key in collection_month.get_partition_keys()}
    unseen = [m for m in snapshot if m in valid and m not in cursor]
    plan = plan_inbox_runs(
        cursor,
        snapshot,
        valid_months=valid,
        now=time.time(),
        settle_seconds=inbox_settle_seconds(),
        ingested_at=_ingested_at(context.instance, unseen) if unseen else {},
    )
    if plan.not_a_partition:
        context.log.warning(
            f"inbox folders that are not collection-month partitions (before {COLLECTION_START[:7]} or in the "
            f"future; a future month is picked up once it starts): {plan.not_a_partition}"
        )
    requests = [
        dg.RunRequest(
            run_key=run_key(snap.month, snap.fingerprint),
            partition_key=partition_key(snap.month),
            tags={"rednote/trigger": "new_crawl_sensor", "rednote/inbox_files": str(snap.files)},
        )
        for snap in plan.to_run
    ]
    return dg.SensorResult(
        run_requests=requests,
        cursor=dump_cursor(plan.cursor),
        skip_reason=None if requests else dg.SkipReason(plan.summary()),
    )


# --- the monthly schedule ------------------------------------------------------------------------------


def month_just_crawled(when: dt.datetime) -> str:
    """Partition key of the month before ``when`` (the schedule ticks on the 1st: last month's crawl is done)."""
    first = when.date().replace(day=1)
    return partition_key((first - dt.timedelta(days=1)).strftime("%Y-%m"))


def monthly_refresh(context: dg.ScheduleEvaluationContext, rednote: RednoteData):
    """The body of ``monthly_refresh_schedule``."""
    key = month_just_crawled(context.scheduled_execution_time)
    if key < COLLECTION_START:
        return dg.SkipReason(f"{key[:7]} is before the first collection month {COLLECTION_START[:7]}")
    folder = rednote.paths.month_dir(key)
    if not any(entry.stat is not None for entry in walk(folder)):  # the ingest's own walk: no loop, no link out
        return dg.SkipReason(f"no crawl in {folder}: nothing to refresh for {key[:7]}")
    return dg.RunRequest(
        run_key=f"monthly:{key}", partition_key=key, tags={"rednote/trigger": "monthly_refresh_schedule"}
    )


# --- the definitions -----------------------------------------------------------------------------------


def automation_defs(enabled: bool) -> dg.Definitions:
    """The two sensors and the schedule, starting RUNNING in a new instance when ``enabled``, else STOPPED."""
    sensor_status = dg.DefaultSensorStatus.RUNNING if enabled else dg.DefaultSensorStatus.STOPPED
    new_crawl_sensor = dg.sensor(
        name="new_crawl_sensor",
        job=collection_month_job,
        minimum_interval_seconds=30,
        default_status=sensor_status,
        description="Launches collection_month_job (ingest + label) for every inbox/<YYYY-MM>/ folder whose files "
        "are new or changed (cursor: a fingerprint of file names, sizes and mtimes per month; one run key per "
        f"fingerprint). Waits until no file changed for ${SETTLE_ENV} seconds (default {DEFAULT_SETTLE_SECONDS:.0f}).",
    )(new_crawl)
    monthly_refresh_schedule = dg.schedule(
        name="monthly_refresh_schedule",
        cron_schedule="0 6 1 * *",
        execution_timezone="UTC",
        job=month_refresh_job,
        default_status=dg.DefaultScheduleStatus.RUNNING if enabled else dg.DefaultScheduleStatus.STOPPED,
        description="06:00 UTC on the 1st: materializes the month just crawled (last month) and everything "
        "downstream of it in one run. Skips when that month has no inbox folder.",
    )(monthly_refresh)
    return dg.Definitions(
        sensors=[new_crawl_sensor, rollups_automation_sensor(sensor_status)], schedules=[monthly_refresh_schedule]
    )


@dg.definitions
def automation() -> dg.Definitions:
    return automation_defs(automation_enabled())
