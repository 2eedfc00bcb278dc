"""Which collection months of the inbox are new or changed: the pure part of the new-crawl sensor.

The inbox holds one folder per collection month, ``inbox/<YYYY-MM>/``, with MediaCrawler files in any
layout below it. A month's *fingerprint* is a hash of every file's relative path, size and mtime, so a
new, removed, re-written or touched file changes it. The sensor keeps ``{month: fingerprint}`` of the
months it has requested as its cursor; a month is requested when its fingerprint differs from the
cursor's. Everything here is Dagster-free and works on plain values, so it is unit-tested directly.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rednote_dagster.lib.xhs.discovery import walk

MONTH_FOLDER = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class MonthSnapshot:
    """What one inbox month folder holds right now."""

    month: str  # "YYYY-MM"
    fingerprint: str  # sha256 over (relative path, size, mtime_ns) of every file, sorted by path
    files: int  # files, and entries the ingest will skip with a reason
    newest_mtime: float  # seconds since the epoch; 0.0 when the folder holds no file


def snapshot_month(folder: Path) -> MonthSnapshot:
    """Fingerprint one month folder as the ingest walks it (``discovery.walk``: hidden entries left
    out, no symbolic link followed out of the inbox or round a loop). An entry the ingest will skip
    with a reason (a link out of the inbox, an unreadable file) counts too, so the month runs and the
    run says why; nothing here raises on what the folder holds."""
    digest = hashlib.sha256()
    files, newest = 0, 0.0
    for entry in sorted(walk(folder), key=lambda e: _hash_order(e.relative_path)):
        if entry.stat is None:
            digest.update(f"{entry.relative_path}\0{entry.problem}\n".encode())
        else:
            digest.update(f"{entry.relative_path}\0{entry.stat.st_size}\0{entry.stat.st_mtime_ns}\n".encode())
            newest = max(newest, entry.stat.st_mtime)
        files += 1
    return MonthSnapshot(folder.name, digest.hexdigest(), files, newest)


def _hash_order(relative_path: str) -> tuple[tuple[int, str], ...]:
    """The order files have always been hashed in (``os.walk``'s, top-down): a folder's own files by
    name, then each subfolder's, so a month's fingerprint is what an earlier release computed and an
    unchanged month does not run again after an upgrade."""
    *folders, name = relative_path.split("/")
    return (*((1, folder) for folder in folders), (0, name))


def scan_inbox(inbox: Path) -> dict[str, MonthSnapshot]:
    """Snapshot of every ``YYYY-MM`` folder of the inbox (other entries such as ``_truth/`` are ignored);
    empty when the inbox cannot be listed."""
    try:
        months = sorted(p for p in inbox.iterdir() if MONTH_FOLDER.match(p.name) and p.is_dir())
    except OSError:  # no inbox yet, or one this process may not read
        return {}
    return {p.name: snapshot_month(p) for p in months}


def partition_key(month: str) -> str:
    """Inbox folder name ``YYYY-MM`` → Dagster monthly partition key ``YYYY-MM-01``."""
    return f"{month}-01"


def run_key(month: str, fingerprint: str) -> str:
    """One run per (month, content): Dagster never launches two runs with the same sensor run key."""
    return f"inbox:{month}:{fingerprint[:16]}"


@dataclass(frozen=True)
class InboxPlan:
    """What one sensor tick should do."""

    to_run: list[MonthSnapshot]  # new or changed months to materialize, in month order
    cursor: dict[str, str]  # the cursor to store after this tick
    adopted: list[str] = field(default_factory=list)  # already ingested after their newest file: no run
    settling: list[str] = field(default_factory=list)  # a file changed less than settle_seconds ago
    not_a_partition: list[str] = field(default_factory=list)  # no such partition (yet): future or too early
    empty: list[str] = field(default_factory=list)  # folder holds no file
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = []
        for label, months in (
            ("to run", [s.month for s in self.to_run]),
            ("already ingested", self.adopted),
            ("still being written", self.settling),
            ("not a partition yet / out of range", self.not_a_partition),
            ("empty", self.empty),
            ("unchanged", self.unchanged),
        ):
            if months:
                parts.append(f"{label}: {', '.join(months)}")
        return "; ".join(parts) or "inbox holds no YYYY-MM folder"


def plan_inbox_runs(
    cursor: Mapping[str, str],
    snapshot: Mapping[str, MonthSnapshot],
    *,
    valid_months: Collection[str],
    now: float,
    settle_seconds: float = 0.0,
    ingested_at: Mapping[str, float] | None = None,
) -> InboxPlan:
    """Decide which months to request, and the next cursor.

    * ``cursor``: ``{month: fingerprint}`` of the months already requested (the previous tick's cursor).
    * ``valid_months``: months that are partitions now (``YYYY-MM``). A folder for a month that is not a
      partition (dated in the future, or before the first partition) is reported and left out of the
      cursor, so it is requested on the first tick after its partition exists.
    * ``settle_seconds``: a month whose newest file is younger than this is still being copied in; it is
      left for a later tick (and out of the cursor) rather than ingested half-way.
    * ``ingested_at``: ``{month: timestamp}`` of the month's latest raw materialization. Only consulted
      for months the cursor has never seen (a fresh sensor on an instance where ``make run`` already
      ingested the inbox): such a month materialized after its newest file is adopted without a run.

    Months whose folder disappeared are dropped from the cursor (so a re-added folder runs again).
    """
    ingested_at = ingested_at or {}
    valid = set(valid_months)
    next_cursor: dict[str, str] = {}
    plan = InboxPlan(to_run=[], cursor=next_cursor)
    for month in sorted(snapshot):
        snap = snapshot[month]
        if month not in valid:
            plan.not_a_partition.append(month)
            continue
        if snap.files == 0:
            plan.empty.append(month)
            continue
        if cursor.get(month) == snap.fingerprint:
            plan.unchanged.append(month)
            next_cursor[month] = snap.fingerprint
            continue
        if now - snap.newest_mtime < settle_seconds:
            plan.settling.append(month)
            if month in cursor:  # keep the old fingerprint: the change is still pending
                next_cursor[month] = cursor[month]
            continue
        if month not in cursor and ingested_at.get(month, float("-inf")) >= snap.newest_mtime:
            plan.adopted.append(month)
        else:
            plan.to_run.append(snap)
        next_cursor[month] = snap.fingerprint
    return plan


def dump_cursor(cursor: Mapping[str, str]) -> str:
    return json.dumps(dict(sorted(cursor.items())), separators=(",", ":"))


def load_cursor(raw: str | None) -> dict[str, str]:
    """The sensor cursor; an unreadable or foreign cursor counts as empty (every month is then re-checked)."""
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if MONTH_FOLDER.match(str(k))}
