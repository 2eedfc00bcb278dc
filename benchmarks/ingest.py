"""Ingest throughput on the paper-scale corpus: MB/s and records/s per core, peak memory.

Baseline: the cost of merely decoding every record with Python's json module (no typing,
validation, de-duplication or pseudonymisation) — the floor any pure-Python ingester pays.
Target (issue: foundation): >= 50 MB/s of JSONL per core.

Run: .venv/bin/python benchmarks/ingest.py [--scale paper|small]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time

from common import corpus, peak_rss_mib, pin_to_one_core, row

from rednote_dagster.lib.pseudonym import Pseudonymizer
from rednote_dagster.lib.xhs.discovery import discover
from rednote_dagster.lib.xhs.ingest import ingest_entity
from rednote_dagster.lib.xhs.readers import read_file


def baseline_json_decode(months: list) -> tuple[float, int, int]:
    """Seconds, bytes and records to json-decode every record of every file (the naive floor)."""
    seconds = 0.0
    size = records = 0
    for month_dir in months:
        for src in discover(month_dir)[0]:
            started = time.perf_counter()
            out = read_file(src.path, src.fmt)
            for text in out.texts:
                try:
                    json.loads(text)
                except ValueError:
                    pass  # torn lines: the baseline only pays for decoding
            seconds += time.perf_counter() - started
            size += out.bytes_read
            records += len(out.texts)
    return seconds, size, records


def run(scale: str) -> None:
    root = corpus(scale)
    pin_to_one_core()
    months = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("_"))
    pseudonymizer = Pseudonymizer("benchmark-key")

    total_s = total_b = total_r = 0.0
    for month_dir in months:
        month = dt.date.fromisoformat(month_dir.name + "-01")
        for entity in ("note", "comment", "creator"):
            result = ingest_entity(month_dir, month, entity, pseudonymizer)
            total_s += result.seconds
            total_b += result.bytes_read
            total_r += result.records_read
    # JSONL alone: ingest every JSONL file of the corpus through the same path
    jsonl_only = _jsonl_only(months, pseudonymizer)

    base_s, base_b, base_r = baseline_json_decode(months)
    print(f"ingest, {scale} corpus, 1 core ({total_b / 1e6:.1f} MB, {int(total_r)} records)")
    print(row("all containers: MB/s", total_b / 1e6 / total_s, "MB/s", base_b / 1e6 / base_s))
    print(row("all containers: records/s", total_r / total_s, "records/s", base_r / base_s))
    print(row("JSONL only: MB/s", jsonl_only[0], "MB/s", jsonl_only[1], target=50))
    print(row("peak memory", peak_rss_mib(), "MiB"))


def _jsonl_only(months, pseudonymizer) -> tuple[float, float]:
    """(our MB/s, baseline MB/s) over a folder holding only the corpus's JSONL files."""
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
        seconds = 0.0
        for month_dir in jmonths:
            month = dt.date.fromisoformat(month_dir.name + "-01")
            for entity in ("note", "comment", "creator"):
                seconds += ingest_entity(month_dir, month, entity, pseudonymizer).seconds
        base_s, base_b, _ = baseline_json_decode(jmonths)
    return size / 1e6 / seconds, base_b / 1e6 / base_s


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="paper", choices=("small", "paper"))
    run(parser.parse_args().scale)
