"""Schedules, sensors, declarative automation and the partitioned checks, evaluated in process."""

import datetime as dt
import os
import time

import dagster as dg
import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from rednote_dagster.definitions import defs as load_defs
from rednote_dagster.defs.automation import REFRESH_AFTER_UPSTREAM, automation_defs, month_just_crawled
from rednote_dagster.defs.checks import Coverage, coverage_verdict, label_coverages, raw_row_counts, row_count_verdict
from rednote_dagster.defs.partitions import collection_month
from rednote_dagster.defs.resources import CheckThresholds, RednoteData
from rednote_dagster.lib.settings import automation_enabled

DEFS = load_defs()
new_crawl_sensor = DEFS.resolve_sensor_def("new_crawl_sensor")
monthly_refresh_schedule = DEFS.resolve_schedule_def("monthly_refresh_schedule")

OLD = time.time() - 3600
UTC = dt.UTC


def _drop(inbox, month, name="xhs/json/search_contents.json", mtime=OLD):
    path = inbox / month / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[]")
    os.utime(path, (mtime, mtime))


def _tick(instance, data_root, cursor=None):
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"rednote": RednoteData(data_dir=str(data_root))}
    )
    result = new_crawl_sensor(context)
    return result.run_requests or [], result.cursor, result.skip_reason


@pytest.fixture
def instance():
    # ephemeral, not instance_for_test: the latter leaves a dangling global the defs loader trips over later
    return dg.DagsterInstance.ephemeral()


def test_sensor_one_request_per_new_or_changed_month_and_none_on_the_next_tick(data_root, instance):
    inbox = data_root / "inbox"
    _drop(inbox, "2025-01")
    _drop(inbox, "2025-03")
    _drop(inbox, "2025-03", "xhs/json/search_comments.json")
    (inbox / "_truth").mkdir()

    requests, cursor, _ = _tick(instance, data_root)
    assert [r.partition_key for r in requests] == ["2025-01-01", "2025-03-01"]
    assert len({r.run_key for r in requests}) == 2

    again, cursor2, skip = _tick(instance, data_root, cursor)
    assert again == [] and cursor2 == cursor and "unchanged: 2025-01, 2025-03" in skip.skip_message

    # a new file in one month, a touched file in another: one request each, new run keys
    _drop(inbox, "2025-01", "xhs/json/search_contents_2.json")
    os.utime(inbox / "2025-03/xhs/json/search_comments.json", (OLD + 5, OLD + 5))
    changed, cursor3, _ = _tick(instance, data_root, cursor2)
    assert [r.partition_key for r in changed] == ["2025-01-01", "2025-03-01"]
    assert not {r.run_key for r in changed} & {r.run_key for r in requests}
    assert _tick(instance, data_root, cursor3)[0] == []


def test_sensor_waits_for_files_still_being_written(data_root, instance, monkeypatch):
    monkeypatch.setenv("REDNOTE_INBOX_SETTLE_SECONDS", "600")
    _drop(data_root / "inbox", "2025-02", mtime=time.time())
    requests, cursor, skip = _tick(instance, data_root)
    assert requests == [] and "still being written: 2025-02" in skip.skip_message
    monkeypatch.setenv("REDNOTE_INBOX_SETTLE_SECONDS", "0")
    assert [r.partition_key for r in _tick(instance, data_root, cursor)[0]] == ["2025-02-01"]


def test_sensor_leaves_future_months_for_later(data_root, instance):
    future = (dt.date.today().replace(day=1) + dt.timedelta(days=62)).strftime("%Y-%m")  # the month after next
    _drop(data_root / "inbox", future)
    _drop(data_root / "inbox", "2024-11")
    requests, cursor, skip = _tick(instance, data_root)
    assert requests == [] and cursor == "{}"
    assert f"2024-11, {future}" in skip.skip_message
    # the current month is a partition (end_offset=1): a crawl running now is picked up at once
    current = dt.date.today().strftime("%Y-%m")
    _drop(data_root / "inbox", current)
    assert [r.partition_key for r in _tick(instance, data_root, cursor)[0]] == [f"{current}-01"]


def test_fresh_sensor_adopts_months_already_ingested(data_root, instance):
    _drop(data_root / "inbox", "2025-01")
    _drop(data_root / "inbox", "2025-02")
    for table in ("notes", "comments", "creators"):  # 2025-01 was ingested (by `make run`) after its files
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=["raw", table], partition="2025-01-01"))
    requests, cursor, _ = _tick(instance, data_root)
    assert [r.partition_key for r in requests] == ["2025-02-01"]
    assert '"2025-01"' in cursor


@pytest.mark.parametrize(
    "tick, expected",
    [
        (dt.datetime(2025, 4, 1, 6, tzinfo=UTC), "2025-03-01"),
        (dt.datetime(2026, 1, 1, 6, tzinfo=UTC), "2025-12-01"),
        (dt.datetime(2025, 3, 1, 0, 0, tzinfo=UTC), "2025-02-01"),
    ],
)
def test_month_just_crawled(tick, expected):
    assert month_just_crawled(tick) == expected


def test_schedule_requests_the_month_just_crawled(data_root, instance):
    _drop(data_root / "inbox", "2025-03")
    resources = {"rednote": RednoteData(data_dir=str(data_root))}

    def evaluate(when):
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=when, resources=resources)
        return monthly_refresh_schedule(context)

    request = evaluate(dt.datetime(2025, 4, 1, 6, tzinfo=UTC))
    assert isinstance(request, dg.RunRequest) and request.partition_key == "2025-03-01"
    assert request.partition_key in collection_month.get_partition_keys()
    assert monthly_refresh_schedule.job_name == "month_refresh_job"
    assert monthly_refresh_schedule.cron_schedule == "0 6 1 * *"
    assert isinstance(evaluate(dt.datetime(2025, 5, 1, 6, tzinfo=UTC)), dg.SkipReason)  # no 2025-04 crawl
    assert isinstance(evaluate(dt.datetime(2025, 1, 1, 6, tzinfo=UTC)), dg.SkipReason)  # before the first month


def test_automation_switch():
    assert automation_enabled({}) and automation_enabled({"REDNOTE_AUTOMATION": "on"})
    assert not automation_enabled({"REDNOTE_AUTOMATION": "off"})
    for enabled, sensor, schedule in (
        (True, dg.DefaultSensorStatus.RUNNING, dg.DefaultScheduleStatus.RUNNING),
        (False, dg.DefaultSensorStatus.STOPPED, dg.DefaultScheduleStatus.STOPPED),
    ):
        d = automation_defs(enabled)
        assert {s.default_status for s in d.sensors} == {sensor}
        assert {s.default_status for s in d.schedules} == {schedule}


def test_the_switch_is_read_when_the_definitions_load_not_at_import(monkeypatch):
    from rednote_dagster.defs import automation

    monkeypatch.setenv("REDNOTE_AUTOMATION", "off")
    assert (
        automation.automation().resolve_sensor_def("new_crawl_sensor").default_status == dg.DefaultSensorStatus.STOPPED
    )
    monkeypatch.setenv("REDNOTE_AUTOMATION", "on")
    assert (
        automation.automation().resolve_sensor_def("new_crawl_sensor").default_status == dg.DefaultSensorStatus.RUNNING
    )


def test_definitions_carry_the_automation():
    d = DEFS
    assert d.resolve_sensor_def("new_crawl_sensor").job_name == "collection_month_job"
    assert d.resolve_sensor_def("rollups_automation_sensor")
    assert d.resolve_schedule_def("monthly_refresh_schedule")
    graph = d.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if not node.is_executable:
            continue
        if node.is_partitioned:
            assert node.automation_condition is None, key  # months come from the sensor / schedule / backfills
        else:
            assert node.automation_condition == REFRESH_AFTER_UPSTREAM, key
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    for expected in [
        ("raw/notes", "conservation"),
        ("raw/notes", "row_count"),
        ("raw/creators", "row_count"),
        ("enrich/note_sentiment", "label_coverage"),
        ("enrich/comment_sentiment", "label_coverage"),
        ("enrich/note_topics", "label_coverage"),
        ("enrich/comment_emotion", "label_coverage"),
        ("enrich/comment_stance", "label_coverage"),
        ("enrich/note_sentiment", "labels_from_model"),
        ("analysis/coding_agreement", "kappa_above_minimum"),
    ]:
        assert expected in checks


def test_a_landed_partition_refreshes_the_unpartitioned_downstream_once():
    d = DEFS
    instance = dg.DagsterInstance.ephemeral()
    first = dg.evaluate_automation_conditions(defs=d, instance=instance)
    assert first.total_requested == 0  # a fresh instance launches nothing
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=["raw", "notes"], partition="2025-03-01"))
    second = dg.evaluate_automation_conditions(defs=d, instance=instance, cursor=first.cursor)
    requested = {r.key.to_user_string() for r in second.results if r.true_subset.size}
    assert {
        "enrich/topic_model",
        "staging/stg_raw__notes",
        "marts/collection_summary",
        "analysis/user_influence",
        "marts/engagement_by_phase_and_tier",
    } <= requested
    assert not any(k.startswith(("raw/", "enrich/note_sentiment", "enrich/note_topics")) for k in requested)
    third = dg.evaluate_automation_conditions(defs=d, instance=instance, cursor=second.cursor)
    assert third.total_requested == 0  # handled: not requested again


# --- checks --------------------------------------------------------------------------------------------


def test_verdicts():
    assert row_count_verdict({"2025-01": 3}) == (True, "3 rows")
    assert not row_count_verdict({"2025-01": 3, "2025-02": 0})[0]
    ok = Coverage(expected=10, labelled=10, missing=0, extra=0, duplicates=0, unknown=1)
    assert coverage_verdict({"2025-01": ok}, 0.2)[0]
    passed, severity, _ = coverage_verdict({"2025-01": ok}, 0.05)
    assert not passed and severity == dg.AssetCheckSeverity.WARN
    gap = Coverage(expected=10, labelled=9, missing=1, extra=0, duplicates=0, unknown=0)
    passed, severity, text = coverage_verdict({"2025-01": ok, "2025-02": gap}, 0.2)
    assert not passed and severity == dg.AssetCheckSeverity.ERROR and "2025-02" in text


def test_partitioned_checks_on_a_warehouse(tmp_path):
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA raw; CREATE SCHEMA enrich")
        con.execute(
            "CREATE TABLE raw.notes AS SELECT * FROM (VALUES ('n1', DATE '2025-03-01'), ('n2', DATE '2025-03-01'),"
            " ('n1', DATE '2025-04-01')) t(note_id, collection_month)"
        )
        con.execute("CREATE TABLE raw.comments AS SELECT 'c1' AS comment_id, DATE '2025-03-01' AS collection_month")
        con.execute(
            "CREATE TABLE enrich.note_sentiment AS SELECT * FROM (VALUES ('n1', DATE '2025-03-01', 'Neutral'),"
            " ('n2', DATE '2025-03-01', NULL)) t(note_id, collection_month, label)"
        )
        con.execute(
            "CREATE TABLE enrich.note_topics AS SELECT * FROM (VALUES ('n1', DATE '2025-03-01', '1a'))"
            " t(note_id, collection_month, code)"
        )
    # stand-ins for the assets the checks are on (the tables above are what they would have written)
    stubs = [
        dg.AssetSpec(k, partitions_def=collection_month)
        for k in (
            ["raw", "notes"],
            ["raw", "comments"],
            ["raw", "creators"],
            ["enrich", "note_sentiment"],
            ["enrich", "comment_sentiment"],
            ["enrich", "note_topics"],
            ["enrich", "comment_emotion"],
            ["enrich", "comment_stance"],
        )
    ]

    @dg.multi_asset(specs=stubs, can_subset=True)
    def tables(context: dg.AssetExecutionContext):
        for key in context.selected_asset_keys:
            yield dg.MaterializeResult(asset_key=key)

    selection = dg.AssetSelection.all() - dg.AssetSelection.assets(
        ["enrich", "comment_sentiment"], ["enrich", "comment_emotion"], ["enrich", "comment_stance"]
    )
    job = dg.Definitions(
        assets=[tables],
        asset_checks=[raw_row_counts, label_coverages],
        jobs=[dg.define_asset_job("checks_only", selection=selection)],
        resources={"duckdb": DuckDBResource(database=str(db)), "check_thresholds": CheckThresholds()},
    ).resolve_job_def("checks_only")
    result = job.execute_in_process(partition_key="2025-03-01", instance=dg.DagsterInstance.ephemeral())
    found = {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}
    assert found[("raw/notes", "row_count")].passed and found[("raw/comments", "row_count")].passed
    creators = found[("raw/creators", "row_count")]
    assert not creators.passed and creators.severity == dg.AssetCheckSeverity.WARN  # no such table: 0 rows
    sentiment = found[("enrich/note_sentiment", "label_coverage")]
    assert not sentiment.passed and sentiment.severity == dg.AssetCheckSeverity.WARN  # 1 of 2 without a label
    topics = found[("enrich/note_topics", "label_coverage")]
    assert not topics.passed and topics.severity == dg.AssetCheckSeverity.ERROR  # n2 has no row
    assert topics.metadata["missing"].value == 1
