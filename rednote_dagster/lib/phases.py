"""Migration phases of Feng et al. (2025) Study 1.

Boundaries are New York calendar dates and half-open: a note belongs to the first phase
whose start is <= its New York date and whose end is > it. With the defaults:

* Pre-Ban:        date <  2025-01-19
* Refugee Surge:  2025-01-19 <= date < 2025-04-04
* Stabilization:  date >= 2025-04-04

So the peak day (Jan 19) opens the Surge and the trough day (Apr 4) opens Stabilization,
matching the paper's "Refugee Surge Phase (Jan 19 to Apr 4)" and "after Apr 4" as closely
as a partition of days allows.

This module is where the boundaries are defined. dbt assigns phases (macro ``phase_of``) from the
vars that ``dbt_vars`` gives the dbt step; the defaults in dbt_project.yml, used only when dbt runs
outside Dagster, are checked against these by tests/unit/test_timeline.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

STUDY_TZ = ZoneInfo("America/New_York")
PHASES: tuple[str, ...] = ("pre_ban", "surge", "stabilization")
PHASE_LABELS: dict[str, str] = {
    "pre_ban": "Pre-Ban",
    "surge": "Refugee Surge",
    "stabilization": "Stabilization",
}
DEFAULT_SURGE_START = dt.date(2025, 1, 19)
DEFAULT_STABILIZATION_START = dt.date(2025, 4, 4)


@dataclass(frozen=True)
class PhaseBoundaries:
    surge_start: dt.date = DEFAULT_SURGE_START
    stabilization_start: dt.date = DEFAULT_STABILIZATION_START

    def phase_of(self, ny_date: dt.date) -> str:
        if ny_date < self.surge_start:
            return "pre_ban"
        if ny_date < self.stabilization_start:
            return "surge"
        return "stabilization"


def dbt_vars(boundaries: PhaseBoundaries | None = None) -> dict[str, str]:
    """The dbt vars the macro ``phase_of`` reads (dbt_project/macros/phases.sql), as ISO dates."""
    bounds = boundaries or PhaseBoundaries()
    return {
        "phase_surge_start": bounds.surge_start.isoformat(),
        "phase_stabilization_start": bounds.stabilization_start.isoformat(),
    }


def ny_date_of_ms(epoch_ms: int) -> dt.date:
    """New York calendar date of a millisecond epoch."""
    return dt.datetime.fromtimestamp(epoch_ms / 1000, tz=STUDY_TZ).date()
