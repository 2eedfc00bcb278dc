"""When each note was crawled, by which teammate's MediaCrawler install, into which file.

Two collections, as in Feng et al. §3:

* **Rolling search crawl** (2025-01-02 .. ~03-25): a session every 1-3 evenings (New York). Each
  session runs the four keywords one after another; every note published since the previous
  session (at least 3 h old) is fetched once per keyword it matches, with its comments. One or two
  teammates' installs ("containers") write a session's files; some runs are repeated later the same
  evening (a re-run appends the same notes again). Profile-only creator sweeps run twice a month.
* **June homepage re-crawl** (2025-06-28 .. 30): creator mode over every creator's homepage, notes
  published from 2025-03-01, with comments and the profile; a few homepages by a HEAD-era
  (teaching edition) install.

File names use the New York crawl date; the collection month is the month of that date.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from dataclasses import dataclass, field

from rednote_dagster.lib.phases import ny_date_of_ms

from .model import Comment, Note, User
from .params import KEYWORDS, Knobs
from .timeline import HOUR_MS, ny_ms, parse_ny

MINUTE_MS = 60_000


@dataclass(frozen=True)
class Container:
    """One teammate's install: where it writes and in which vintage."""

    kind: str
    fmt: str  # json_indent | json_oneline | jsonl | csv  (files.csv `format`)
    vintage: str
    folder: str
    ext: str
    numbered: bool = False  # old CSV writer's `{N}_` prefix
    count_style: str = "wan"  # "wan" -> 1.2万, "w" -> 1.2w


CONTAINERS: dict[str, Container] = {
    "json4": Container("json4", "json_indent", "pre_orm_2024_06", "xhs/json/", "json"),
    "json1": Container("json1", "json_oneline", "old_install_2024", "xhs/", "json", count_style="w"),
    "jsonl": Container("jsonl", "jsonl", "jsonl_writer", "xhs/jsonl/", "jsonl"),
    "csv": Container("csv", "csv", "csv_numbered_2024", "xhs/", "csv", numbered=True),
    "head": Container("head", "jsonl", "head_teaching_2026", "xhs/jsonl/", "jsonl"),
}
ROLLING_KINDS = ("json4", "json1", "jsonl", "csv")


@dataclass
class FilePlan:
    month: str
    path: str  # relative to the month folder
    entity: str  # note | comment | creator
    container: Container
    crawler_type: str
    crawl_date: dt.date
    entries: list = field(default_factory=list)
    truncate: bool = False  # cut inside the last record (a killed JSON rewrite)
    torn: bool = False  # last JSONL line written half


@dataclass
class NoteSnap:
    note: Note
    ts: int
    keyword: str
    contents: FilePlan
    comments: FilePlan


@dataclass
class Session:
    date: dt.date
    start_ms: int
    kinds: list[str]
    keyword_kind: dict[str, str]


class CrawlPlanner:
    def __init__(self, knobs: Knobs, rng: random.Random):
        self.knobs = knobs
        self.rng = rng
        self.files: dict[tuple[str, str], FilePlan] = {}
        self.snaps: list[NoteSnap] = []
        self._csv_runs: dict[str, int] = {}  # month -> last `{N}` used by the CSV teammate

    # -- files -------------------------------------------------------------------------------------
    def _file(self, container: Container, crawler_type: str, item: str, day: dt.date, number: int = 0) -> FilePlan:
        month = day.strftime("%Y-%m")
        prefix = f"{number}_" if container.numbered else ""
        path = f"{container.folder}{prefix}{crawler_type}_{item}_{day.isoformat()}.{container.ext}"
        key = (month, path)
        if key not in self.files:
            entity = {"contents": "note", "comments": "comment", "creator": "creator"}[item]
            self.files[key] = FilePlan(month, path, entity, container, crawler_type, day)
        return self.files[key]

    def _next_csv_number(self, day: dt.date) -> int:
        month = day.strftime("%Y-%m")
        self._csv_runs[month] = self._csv_runs.get(month, 0) + 1
        return self._csv_runs[month]

    # -- rolling search crawl ------------------------------------------------------------------------
    def rolling(self, notes: list[Note], users: list[User]) -> None:
        sessions = self._sessions()
        starts = [s.start_ms for s in sessions]
        delay = int(self.knobs.min_crawl_delay_hours * HOUR_MS)
        by_session: list[list[Note]] = [[] for _ in sessions]
        for note in notes:
            i = bisect.bisect_left(starts, note.publish_ms + delay)
            if i < len(sessions):
                by_session[i].append(note)
        for session, batch in zip(sessions, by_session):
            self._run_session(session, batch)
        self._creator_sweeps(sessions, users)

    def _sessions(self) -> list[Session]:
        rng = self.rng
        stop = parse_ny(self.knobs.rolling_stop)
        stop_day = ny_date_of_ms(stop)
        days, day = [], dt.date(2025, 1, 2)
        while day < stop_day:
            days.append(day)
            day += dt.timedelta(days=rng.choices((1, 2, 3), weights=(0.1, 0.45, 0.45))[0])
        days.append(stop_day)
        # each month cycles through the four installs in its own random order, so every month
        # folder mixes all vintages
        rotation: dict[str, list[str]] = {}
        position: dict[str, int] = {}
        sessions = []
        for day in days:
            month = day.strftime("%Y-%m")
            if month not in rotation:
                rotation[month] = rng.sample(ROLLING_KINDS, len(ROLLING_KINDS))
                position[month] = 0
            cycle, i = rotation[month], position[month]
            position[month] += 1
            kinds = [cycle[i % len(cycle)]]
            if rng.random() < self.knobs.second_container_prob:
                kinds.append(cycle[(i + 1) % len(cycle)])
            start = stop if day == stop_day else ny_ms(day, 17 * 3600 + 1800 + rng.randrange(3600))
            sessions.append(Session(day, start, kinds, self._split_keywords(kinds)))
        return sessions

    def _split_keywords(self, kinds: list[str]) -> dict[str, str]:
        if len(kinds) == 1:
            return dict.fromkeys(KEYWORDS, kinds[0])
        cut = self.rng.randint(1, len(KEYWORDS) - 1)
        return {k: kinds[0] if i < cut else kinds[1] for i, k in enumerate(KEYWORDS)}

    def _run_session(self, session: Session, batch: list[Note]) -> None:
        rng = self.rng
        numbers = {kind: self._next_csv_number(session.date) for kind in session.kinds if kind == "csv"}
        run_ms = 35 * MINUTE_MS
        last_run: dict[str, tuple[str, list[Note]]] = {}
        for k_index, keyword in enumerate(KEYWORDS):
            kind = session.keyword_kind[keyword]
            matched = [n for n in batch if keyword in n.keywords]
            start = session.start_ms + k_index * run_ms
            self._crawl_run(
                CONTAINERS[kind], session.date, "search", keyword, matched, start, run_ms, numbers.get(kind, 0)
            )
            if matched:
                last_run[kind] = (keyword, matched)
        end = session.start_ms + len(KEYWORDS) * run_ms
        for kind in session.kinds:
            if kind not in last_run or rng.random() >= self.knobs.rerun_prob:
                continue
            keyword, matched = last_run[kind]
            # JSON / JSONL re-runs append to the day's file; a CSV re-run opens a new {N} file
            number = self._next_csv_number(session.date) if kind == "csv" else 0
            start = end + rng.randint(20, 60) * MINUTE_MS
            self._crawl_run(CONTAINERS[kind], session.date, "search", keyword, matched, start, run_ms, number)

    def _crawl_run(self, container, day, crawler_type, keyword, notes, start, duration, number) -> None:
        if not notes:
            return
        contents = self._file(container, crawler_type, "contents", day, number)
        comments = self._file(container, crawler_type, "comments", day, number)
        step = max(300, duration // (len(notes) + 1))
        for i, note in enumerate(notes):
            ts = start + i * step + self.rng.randrange(step)
            note.crawl_times.append(ts)
            self.snaps.append(NoteSnap(note, ts, keyword, contents, comments))

    def _creator_sweeps(self, sessions: list[Session], users: list[User]) -> None:
        """Profile-only creator runs: mid-month (old install) and at the month's last session."""
        seen_at: dict[int, int] = {}  # user idx -> first crawl of one of their notes this month
        months = sorted({s.date.strftime("%Y-%m") for s in sessions})
        for month in months:
            in_month = [s for s in sessions if s.date.strftime("%Y-%m") == month]
            seen_at.clear()
            for snap in self.snaps:
                if snap.contents.month == month:
                    uidx = snap.note.user.idx
                    seen_at[uidx] = min(seen_at.get(uidx, snap.ts), snap.ts)
            mid, last = in_month[len(in_month) // 2], in_month[-1]
            swept: list[int] = []
            if mid is not last:
                swept = self._sweep(CONTAINERS["json1"], mid, users, seen_at, [])
            self._sweep(CONTAINERS["json4"], last, users, seen_at, swept)

    def _sweep(self, container, session, users, seen_at, already: list[int]) -> list[int]:
        start = session.start_ms + 5 * 35 * MINUTE_MS + self.rng.randint(40, 70) * MINUTE_MS
        already_set = set(already)
        again = [u for u in already if self.rng.random() < 0.3]  # re-fetched profiles: duplicates
        fresh = [u for u in sorted(seen_at) if seen_at[u] < start and u not in already_set]
        chosen = sorted(fresh + again)
        creator_file = self._file(container, "creator", "creator", session.date)
        ts = start
        for uidx in chosen:
            ts += self.rng.randint(800, 2500)
            creator_file.entries.append(("creator", users[uidx], ts))
        return chosen

    # -- June homepage re-crawl --------------------------------------------------------------------
    def june(self, notes: list[Note], users: list[User]) -> None:
        knobs, rng = self.knobs, self.rng
        since = ny_ms(dt.date.fromisoformat(knobs.recrawl_from))
        homepage = {u.idx: [n for n in reversed(u.notes) if n.publish_ms >= since] for u in users}
        order = rng.sample(users, len(users))
        with_notes = [u for u in order if homepage[u.idx]]
        n_head = max(2, round(knobs.head_user_share * len(users)))
        # one of them is a high-influence account, so the HEAD files surely hold comments too
        popular = next((u for u in with_notes if u.tier["stabilization"] == "high"), with_notes[0])
        head = [popular] + [u for u in with_notes if u is not popular][: n_head - 1]
        for u in head:
            u.head_era = True
        rest = [u for u in order if not u.head_era]
        days = [dt.date.fromisoformat(d) for d in knobs.recrawl_days]
        side_kind = {0: "json1", 1: "csv"}  # the second teammate on day 1 / day 2
        third = (len(rest) + 2) // 3
        for d_index, day in enumerate(days):
            chunk = rest[d_index * third : (d_index + 1) * third]
            side = side_kind.get(d_index)
            n_side = round(len(chunk) * 0.22) if side else 0
            self._homepages(CONTAINERS["json4"], day, chunk[n_side:], homepage, 0)
            if side:
                number = self._next_csv_number(day) if side == "csv" else 0
                self._homepages(CONTAINERS[side], day, chunk[:n_side], homepage, number)
                if side == "csv":  # the CSV teammate re-ran part of the list into a new {N} file
                    again = [u for u in chunk[:n_side] if rng.random() < 0.25]
                    self._homepages(CONTAINERS["csv"], day, again, homepage, self._next_csv_number(day), late=True)
        self._homepages(CONTAINERS["head"], days[-1], head, homepage, 0)

    def _homepages(self, container, day, users, homepage, number, late: bool = False) -> None:
        if not users:
            return
        rng = self.rng
        ts = ny_ms(day, (19 if late else 9) * 3600 + rng.randrange(1800))
        window_end = ny_ms(day, 23 * 3600 + 1800)
        budget = max(1, (window_end - ts) // max(1, sum(len(homepage[u.idx]) + 3 for u in users)))
        creator_file = None if container.kind == "head" else self._file(container, "creator", "creator", day, number)
        for user in users:
            ts += rng.randint(1, 3) * budget
            if creator_file is not None:
                creator_file.entries.append(("creator", user, ts))
            for note in homepage[user.idx]:
                ts += max(200, rng.randint(budget // 2, budget))
                note.crawl_times.append(ts)
                contents = self._file(container, "creator", "contents", day, number)
                comments = self._file(container, "creator", "comments", day, number)
                self.snaps.append(NoteSnap(note, ts, "", contents, comments))

    # -- comments ------------------------------------------------------------------------------------
    def attach_comments(self) -> None:
        """After comments exist: each note snapshot also writes the comments visible at that moment."""
        for snap in self.snaps:
            snap.contents.entries.append(("note", snap.note, snap.ts, snap.keyword))
            ts = snap.ts
            for comment in visible_comments(snap.note, snap.ts):
                ts += self.rng.randint(5, 60)
                snap.comments.entries.append(("comment", comment, ts, snap.ts))

    def ordered_files(self) -> list[FilePlan]:
        return [self.files[k] for k in sorted(self.files)]


def visible_comments(note: Note, crawl_ms: int) -> list[Comment]:
    """Comments created before the crawl, each top-level comment followed by its visible replies."""
    return [c for c in note.comments if c.create_ms < crawl_ms]
