"""Shared helpers for the benchmark scripts: the cached bundled corpus and peak memory."""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

BENCH_DIR = Path(os.environ.get("REDNOTE_BENCH_DIR", REPO / "data" / "bench"))


def corpus(scale: str = "paper", seed: int = 0) -> Path:
    """The bundled corpus at ``scale``, generated once into data/bench/ and reused while the
    generator's parameters are unchanged (a corpus from an older generator is made again)."""
    from rednote_dagster.lib.corpus import generate_corpus
    from rednote_dagster.lib.corpus.params import SCALES, Knobs, params_dict

    out = BENCH_DIR / f"corpus_{scale}_{seed}"
    marker = out / "_truth" / "params.json"
    current = json.loads(json.dumps(params_dict(SCALES[scale], Knobs(), seed)))
    if not marker.exists() or json.loads(marker.read_text()) != current:
        started = time.perf_counter()
        generate_corpus(out, scale=scale, seed=seed)
        print(f"[generated {scale} corpus in {time.perf_counter() - started:.1f} s → {out}]", flush=True)
    return out


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pin_to_one_core() -> None:
    """Run on one core, so throughput is per core whatever threads the libraries start."""
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def row(name: str, value: float, unit: str, baseline: float | None = None, target: float | None = None) -> str:
    parts = [f"{name:<44} {value:>10.1f} {unit:<10}"]
    if baseline:
        parts.append(f"baseline {baseline:>8.1f}  ratio {value / baseline:>5.2f}x")
    if target:
        parts.append(f"target {target:g}  {'MET' if value >= target else 'MISSED'}")
    return "  ".join(parts)
