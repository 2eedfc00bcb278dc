"""Peak and post-peak trough of the daily curve (Feng et al. §5) on synthetic curves."""

import datetime as dt

import polars as pl

from rednote_dagster.lib.phases import PhaseBoundaries
from rednote_dagster.lib.timeline import changepoints_l2, detect_breakpoints, peak_and_trough


def curve(peak=dt.date(2025, 1, 19), trough=dt.date(2025, 4, 4)):
    days, start = {}, dt.date(2025, 1, 1)
    for i in range(181):
        d = start + dt.timedelta(days=i)
        if d < peak:
            n = 10 + 5 * i  # anticipatory rise
        elif d == peak:
            n = 2106
        elif d < trough:
            n = max(70, 1500 - 15 * (d - peak).days)  # decline
        elif d == trough:
            n = 64
        else:
            n = 80 + (i % 7)  # low, stable
        days[d] = n
    return days


def test_peak_and_trough_on_synthetic_curve():
    assert peak_and_trough(curve()) == (dt.date(2025, 1, 19), dt.date(2025, 4, 4))
    shifted = curve(peak=dt.date(2025, 1, 21), trough=dt.date(2025, 4, 10))
    table = detect_breakpoints(shifted)
    main = {r["boundary"]: r for r in table.filter(pl.col("method") == "peak_trough").iter_rows(named=True)}
    assert main["surge_start"]["detected_date"] == dt.date(2025, 1, 21) and main["surge_start"]["days_off"] == 2
    assert main["stabilization_start"]["configured_date"] == dt.date(2025, 4, 4)
    assert main["stabilization_start"]["days_off"] == 6 and main["stabilization_start"]["notes_on_detected"] == 64


def test_ties_pick_the_earliest_day_and_zero_days_are_ignored():
    days = {
        dt.date(2025, 1, 1): 5,
        dt.date(2025, 1, 2): 9,
        dt.date(2025, 1, 3): 9,
        dt.date(2025, 1, 4): 2,
        dt.date(2025, 1, 5): 0,
        dt.date(2025, 1, 6): 2,
        dt.date(2025, 1, 7): 4,
    }
    assert peak_and_trough(days) == (dt.date(2025, 1, 2), dt.date(2025, 1, 4))
    assert peak_and_trough(days, ignore_zero_days=False) == (dt.date(2025, 1, 2), dt.date(2025, 1, 5))


def test_frame_input_sums_repeated_dates_and_configured_boundaries():
    frame = pl.DataFrame(
        {
            "ny_date": [dt.date(2025, 1, 1), dt.date(2025, 1, 2), dt.date(2025, 1, 2), dt.date(2025, 1, 3)],
            "phase": ["pre_ban", "pre_ban", "surge", "surge"],
            "notes": [3, 2, 2, 1],
        }
    )
    table = detect_breakpoints(frame, PhaseBoundaries(dt.date(2025, 1, 2), dt.date(2025, 1, 3)), changepoint=False)
    assert table["detected_date"].to_list() == [dt.date(2025, 1, 2), dt.date(2025, 1, 3)]
    assert table["days_off"].to_list() == [0, 0] and set(table["method"]) == {"peak_trough"}


def test_changepoint_alternative_finds_level_shifts():
    days = {dt.date(2025, 1, 1) + dt.timedelta(days=i): (10 if i < 20 else 1000 if i < 60 else 50) for i in range(90)}
    assert changepoints_l2(days) == [dt.date(2025, 1, 21), dt.date(2025, 3, 2)]
    table = detect_breakpoints(curve())
    assert table.filter(pl.col("method") == "changepoint_l2").height == 2


def test_phase_boundaries_are_defined_once():
    """lib/phases is the definition: the dbt step passes dbt_vars() as --vars, and the defaults in
    dbt_project.yml (for dbt run by hand) are the same dates."""
    from pathlib import Path

    import yaml

    from rednote_dagster.lib.phases import dbt_vars

    project = yaml.safe_load((Path(__file__).resolve().parents[2] / "dbt_project" / "dbt_project.yml").read_text())
    assert dbt_vars() == {"phase_surge_start": "2025-01-19", "phase_stabilization_start": "2025-04-04"}
    assert {k: str(v) for k, v in project["vars"].items() if k in dbt_vars()} == dbt_vars()
    moved = dbt_vars(PhaseBoundaries(dt.date(2025, 1, 20), dt.date(2025, 4, 3)))
    assert moved == {"phase_surge_start": "2025-01-20", "phase_stabilization_start": "2025-04-03"}
