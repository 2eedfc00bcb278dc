"""Planted damage: records a correct ingester must reject, and two broken file endings.

Every damaged record is an *extra*, corrupted copy of a record that is also written intact in the
same file (right after it, with a later `last_modify_ts`), so the set of unique notes, comments and
creators per collection month is the same whether or not an ingester rejects the damage:

* garbage records (~0.3 % of note and comment records): a note without `note_id`, a `time` of
  "abc", a count of "lots", a comment with an empty `note_id` or a `create_time` of "yesterday",
  and a record that is a JSON list instead of an object (JSON / JSONL only);
* one truncated JSON array (a killed rewrite): its last record is cut in the middle; it is an
  extra copy of a note earlier in the same file;
* one torn last JSONL line: likewise an extra copy of a comment earlier in the same file.
"""

from __future__ import annotations

import random

from .crawl import FilePlan

NOTE_KINDS = ("missing_note_id", "bad_time", "garbage_count", "not_an_object")
COMMENT_KINDS = ("empty_note_id", "bad_create_time", "garbage_count", "not_an_object")


def plant_damage(files: list[FilePlan], rate: float, rng: random.Random) -> None:
    _plant_garbage(files, "note", NOTE_KINDS, rate, rng)
    _plant_garbage(files, "comment", COMMENT_KINDS, rate, rng)
    _plant_broken_end(files, "note", "json_indent", "2025-02", rng, truncate=True)
    _plant_broken_end(files, "comment", "jsonl", "2025-03", rng, truncate=False)


def _eligible(plan: FilePlan, entity: str) -> bool:
    return plan.entity == entity and plan.container.kind != "head" and bool(plan.entries)


def _plant_garbage(files: list[FilePlan], entity: str, kinds: tuple[str, ...], rate: float, rng: random.Random) -> None:
    targets = [f for f in files if _eligible(f, entity)]
    total = sum(len(f.entries) for f in targets)
    n = max(len(kinds), round(rate * total))
    picks: dict[int, list[int]] = {}
    for _ in range(n):
        g = rng.randrange(total)
        for f_index, plan in enumerate(targets):  # map a global position to (file, entry)
            if g < len(plan.entries):
                picks.setdefault(f_index, []).append(g)
                break
            g -= len(plan.entries)
    counter = 0
    for f_index in sorted(picks):
        plan = targets[f_index]
        before = {}
        for position in sorted(set(picks[f_index])):
            kind = kinds[counter % len(kinds)]
            counter += 1
            if kind == "not_an_object" and plan.container.fmt == "csv":
                kind = kinds[counter % (len(kinds) - 1)]  # a CSV row cannot be a list
            before[position] = ("damaged", _earlier(plan.entries[position], rng), kind)
        rebuilt = []
        for position, entry in enumerate(plan.entries):
            if position in before:
                rebuilt.append(before[position])
            rebuilt.append(entry)
        plan.entries = rebuilt


def _earlier(entry: tuple, rng: random.Random) -> tuple:
    """The same snapshot a second or two earlier (a failed first write of the record)."""
    return entry[:2] + (entry[2] - rng.randint(1000, 3000),) + entry[3:]


def _plant_broken_end(files, entity, fmt, month, rng, truncate: bool) -> None:
    candidates = [f for f in files if _eligible(f, entity) and f.container.fmt == fmt and f.container.kind != "head"]
    in_month = [f for f in candidates if f.month == month] or candidates
    plan = max(in_month, key=lambda f: (len(f.entries), f.path))
    source = rng.choice([e for e in plan.entries if e[0] == entity])
    last_ts = max(e[2] for e in plan.entries if e[0] != "damaged")
    plan.entries.append(source[:2] + (last_ts + rng.randint(1000, 5000),) + source[3:])
    if truncate:
        plan.truncate = True
    else:
        plan.torn = True


def corrupt(record: dict, kind: str, fmt: str) -> dict | list:
    """Apply one damage kind to a freshly built record."""
    bad = dict(record)
    if kind == "missing_note_id":
        if fmt == "csv":
            bad["note_id"] = ""  # a CSV row keeps the column; the cell is empty
        else:
            del bad["note_id"]
    elif kind == "bad_time":
        bad["time"] = "abc"
    elif kind == "bad_create_time":
        bad["create_time"] = "yesterday"
    elif kind == "empty_note_id":
        bad["note_id"] = ""
    elif kind == "garbage_count":
        bad["liked_count" if "liked_count" in bad else "like_count"] = "lots"
    elif kind == "not_an_object":
        return list(bad.values())
    else:
        raise ValueError(kind)
    if kind in ("missing_note_id", "empty_note_id") and "note_url" in bad:
        # the id goes from the URL too: the ingest takes a missing note_id from note_url, and this
        # record must stay one it cannot identify
        bad["note_url"] = ""
    return bad
