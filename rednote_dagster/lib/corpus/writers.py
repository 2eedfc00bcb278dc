"""Serialise file plans exactly as MediaCrawler's writers lay them out, and count what was written.

* json_indent: `json.dumps(items, ensure_ascii=False, indent=4)`, no trailing newline (the
  pre-ORM writer rewrites the whole array for every item);
* json_oneline: the same without indent (installs before 2024-09-04);
* jsonl: one `json.dumps(item, ensure_ascii=False)` per line;
* csv: header from the first item's keys, `encoding="utf-8-sig"` (one BOM), `newline=""`, the csv
  module's `\\r\\n` row ends, multi-line `desc` values quoted.

`dump_json_indent` builds the indented text itself (the stdlib encoder falls back to pure Python
when `indent` is set, which is slow at paper scale); a unit test checks it is byte-identical.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from json.encoder import encode_basestring  # ensure_ascii=False string encoder (C-accelerated)
from pathlib import Path

from .crawl import FilePlan
from .damage import corrupt
from .records import RecordBuilder

ID_KEY = {"note": "note_id", "comment": "comment_id", "creator": "user_id"}


def _scalar(value) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return int.__repr__(value)
    if type(value) is str:
        return encode_basestring(value)
    return json.dumps(value, ensure_ascii=False)


def _indent_item(item) -> str:
    if isinstance(item, dict):
        if not item:
            return "    {}"
        body = ",\n".join(f"        {encode_basestring(k)}: {_scalar(v)}" for k, v in item.items())
        return "    {\n" + body + "\n    }"
    if not item:
        return "    []"
    return "    [\n" + ",\n".join("        " + _scalar(v) for v in item) + "\n    ]"


def dump_json_indent(items: list, cut_last: bool = False) -> str:
    """Byte-identical to json.dumps(items, ensure_ascii=False, indent=4) for flat records."""
    if not items:
        return "[]"
    parts = [_indent_item(i) for i in items]
    if cut_last:  # the process died while rewriting: the array ends inside its last record
        last = parts[-1]
        return "[\n" + ",\n".join(parts[:-1] + [last[: len(last) // 2]])
    return "[\n" + ",\n".join(parts) + "\n]"


def dump_json_oneline(items: list) -> str:
    return json.dumps(items, ensure_ascii=False)


def dump_jsonl(items: list, tear_last: bool = False) -> str:
    lines = [json.dumps(i, ensure_ascii=False) for i in items]
    if tear_last:
        last = lines.pop()
        return "".join(line + "\n" for line in lines) + last[: len(last) // 2]
    return "".join(line + "\n" for line in lines)


def dump_csv(items: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if items:
        writer.writerow(items[0].keys())
        for item in items:
            writer.writerow(item.values())
    return buffer.getvalue()


@dataclass
class FileStat:
    month: str
    path: str
    entity: str
    fmt: str
    vintage: str
    crawler_type: str
    crawl_date: str
    records_written: int
    damaged: int
    valid: int
    duplicates_within_month: int
    new_ids_in_month: int


@dataclass
class DamageRow:
    month: str
    path: str
    record_index: int
    entity: str
    kind: str
    original_id: str


class CorpusWriter:
    def __init__(self, out_dir: Path, builder: RecordBuilder):
        self.out_dir = out_dir
        self.builder = builder
        self.stats: list[FileStat] = []
        self.damage: list[DamageRow] = []
        self._seen: dict[tuple[str, str], set[str]] = {}  # (month, entity) -> ids (membership only)

    def write_all(self, plans: list[FilePlan]) -> None:
        for plan in sorted(plans, key=lambda p: (p.month, p.path)):
            if plan.entries:
                self._write(plan)

    def _build(self, entry: tuple, plan: FilePlan):
        tag = entry[0]
        if tag == "note":
            return self.builder.note(entry[1], entry[2], entry[3], plan.container)
        if tag == "comment":
            return self.builder.comment(entry[1], entry[2], entry[3], plan.container)
        if tag == "creator":
            return self.builder.creator(entry[1], entry[2], plan.container, plan.month)
        raise ValueError(tag)

    def _write(self, plan: FilePlan) -> None:
        items, ids, damaged = [], [], 0
        for index, entry in enumerate(plan.entries):
            if entry[0] == "damaged":
                base = self._build(entry[1], plan)
                items.append(corrupt(base, entry[2], plan.container.fmt))
                ids.append(None)
                damaged += 1
                self.damage.append(
                    DamageRow(plan.month, plan.path, index, plan.entity, entry[2], base[ID_KEY[plan.entity]])
                )
            else:
                record = self._build(entry, plan)
                items.append(record)
                ids.append(record[ID_KEY[plan.entity]])
        if plan.truncate or plan.torn:
            ids[-1] = None
            damaged += 1
            kind = "truncated_array_remainder" if plan.truncate else "torn_jsonl_line"
            original = items[-1][ID_KEY[plan.entity]]
            self.damage.append(DamageRow(plan.month, plan.path, len(items) - 1, plan.entity, kind, original))
        self._emit(plan, items)
        self._count(plan, items, ids, damaged)

    def _emit(self, plan: FilePlan, items: list) -> None:
        fmt = plan.container.fmt
        if fmt == "json_indent":
            data = dump_json_indent(items, cut_last=plan.truncate).encode("utf-8")
        elif fmt == "json_oneline":
            data = dump_json_oneline(items).encode("utf-8")
        elif fmt == "jsonl":
            data = dump_jsonl(items, tear_last=plan.torn).encode("utf-8")
        else:
            data = dump_csv(items).encode("utf-8-sig")
        target = self.out_dir / plan.month / plan.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    def _count(self, plan: FilePlan, items: list, ids: list, damaged: int) -> None:
        seen = self._seen.setdefault((plan.month, plan.entity), set())
        duplicates = new = 0
        for record_id in ids:
            if record_id is None:
                continue
            if record_id in seen:
                duplicates += 1
            else:
                seen.add(record_id)
                new += 1
        self.stats.append(
            FileStat(
                plan.month,
                plan.path,
                plan.entity,
                plan.container.fmt,
                plan.container.vintage,
                plan.crawler_type,
                plan.crawl_date.isoformat(),
                len(items),
                damaged,
                len(items) - damaged,
                duplicates,
                new,
            )
        )
