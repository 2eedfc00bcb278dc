"""Ingest throughput on the paper-scale corpus: MB/s and records/s per core, peak memory.

Baseline: the cost of merely decoding every record with Python's json module (no typing,
validation, de-duplication or pseudonymisation) — the floor any pure-Python ingester pays.
Target (issue: foundation): >= 50 MB/s of JSONL per core.

Every figure is given twice: over wall-clock time, and over the CPU time this process used.
The process is pinned to one core, so on a machine whose other users share that core the wall
clock also counts their turns; the CPU-time figure is the per-core throughput either way.

Run: .venv/bin/python benchmarks/ingest.py [--scale paper|small]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from contextlib import contextmanager
from dataclasses import dataclass

from common import corpus, peak_rss_mib, pin_to_one_core, row

from rednote_dagster.lib.pseudonym import Pseudonymizer
from rednote_dagster.lib.xhs.discovery import discover
from rednote_dagster.lib.xhs.ingest import ingest_entity, read_source


@dataclass
class Timing:
    """Wall-clock and CPU seconds, bytes and records of some work."""

    wall: float = 0.0
    cpu: float = 0.0
    size: int = 0
    records: int = 0

    @contextmanager
    def measure(self):
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        self.wall += time.perf_counter() - wall
        self.cpu += time.process_time() - cpu

    def mb_s(self, clock: str) -> float:
        return self.size / 1e6 / getattr(self, clock)

    def records_s(self, clock: str) -> float:
        return self.records / getattr(self, clock)


def baseline_json_decode(months: list) -> Timing:
    """Time, bytes and records to json-decode every record of every file (the naive floor)."""
    timing = Timing()
    for month_dir in months:
        for src in discover(month_dir)[0]:
            with timing.measure():
                # the same read as the ingest: workbook sheets and the other tools' files too
                out = read_source(src)
                for text in out.texts:
                    # not contextlib.suppress (SIM105): try/except is free when nothing is raised, suppress
                    # costs a context manager per record (~15 % of a small record's decode) in the timed loop
                    try:  # noqa: SIM105
                        json.loads(text)
                    except ValueError:
                        pass  # torn lines: the baseline only pays for decoding
            timing.size += out.bytes_read
            timing.records += len(out.lines)
    return timing


def ingest_all(months: list, pseudonymizer: Pseudonymizer) -> Timing:
    timing = Timing()
    for month_dir in months:
        month = dt.date.fromisoformat(month_dir.name + "-01")
        for entity in ("note", "comment", "creator"):
            with timing.measure():
                result = ingest_entity(month_dir, month, entity, pseudonymizer)
            timing.size += result.bytes_read
            timing.records += result.records_read
    return timing


def run(scale: str) -> None:
    root = corpus(scale)
    pin_to_one_core()
    months = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("_"))
    pseudonymizer = Pseudonymizer("benchmark-key")

    ours = ingest_all(months, pseudonymizer)
    # JSONL alone: ingest every JSONL file of the corpus through the same path
    jsonl, jsonl_base = _jsonl_only(months, pseudonymizer)
    base = baseline_json_decode(months)
    print(f"ingest, {scale} corpus, 1 core ({ours.size / 1e6:.1f} MB, {ours.records} records)")
    for clock, label in (("wall", "wall clock"), ("cpu", "CPU time")):
        print(f"-- over {label}")
        print(row("all containers: MB/s", ours.mb_s(clock), "MB/s", base.mb_s(clock)))
        print(row("all containers: records/s", ours.records_s(clock), "records/s", base.records_s(clock)))
        print(row("JSONL only: MB/s", jsonl.mb_s(clock), "MB/s", jsonl_base.mb_s(clock), target=50))
    print(row("peak memory", peak_rss_mib(), "MiB"))


def _jsonl_only(months, pseudonymizer) -> tuple[Timing, Timing]:
    """Our timing and the baseline's over a folder holding only the corpus's JSONL files."""
    import shutil
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        size = 0
        for month_dir in months:
            for src in discover(month_dir)[0]:
                if src.fmt == "jsonl":
                    dest = Path(tmp) / month_dir.name / src.relative_path
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(src.path, dest)
                    size += src.path.stat().st_size
        jmonths = sorted(Path(tmp).iterdir())
        ours = ingest_all(jmonths, pseudonymizer)
        assert ours.size == size
        return ours, baseline_json_decode(jmonths)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="paper", choices=("small", "paper"))
    run(parser.parse_args().scale)
