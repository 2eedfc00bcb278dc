"""End to end on a bundled corpus: wall time and peak memory per stage and in total, the dbt
rollups' time, the June re-crawl's model calls per new text, and the model calls of a re-run.

What runs is what ``make run`` runs: ``ingest_job`` for every month, ``labelling_job`` for every
month, then ``rollups_job`` (BERTopic, κ, influence, dbt, analysis, report), in process against a
fresh warehouse under data/bench/, with the offline backends (``HF_HUB_OFFLINE=1``).
``--no-models`` runs ingest and the dbt models over the raw layer only (the 10× configuration).

* **Per stage** = per Dagster step, summed over months: wall seconds between the step's start and
  success events, and the peak resident memory of this process plus its children (dbt runs in a
  child) sampled every 0.1 s while the step ran. Python keeps memory that earlier steps freed, so a
  step's figure is an upper bound of what that step needs; the total is exact.
* **Re-crawl**: the corpus's June partition is a homepage re-crawl of notes collected earlier. Its
  labelling run follows every earlier month's; per label table, model calls (cache misses in the
  step's metadata) are divided by its new texts: June rows whose model input (content or prompt
  hash) no earlier month of that table holds. Target ≤ 1.05.
* **Unchanged re-run**: ``labelling_job`` for January again; target 0 model calls.
* **Quality** of what was measured: Cohen's κ of the taxonomy, emotion and stance labels against
  the corpus's planted labels (emotion and stance outside the training set), the taxonomy's κ
  against the human consensus, and BERTopic's adjusted Rand index against the planted codes — so a
  faster embedding model (``--embedding-model static``) is judged on both.

Targets (2 cores, offline backends): paper scale end to end ≤ 10 min and ≤ 3 GiB peak; dbt ≤ 30 s
at paper scale, ≤ 3 min at 10×.

Run: .venv/bin/python benchmarks/pipeline.py --scale small|paper|paper10 [--no-models]
         [--embedding-model static]   (any REDNOTE_EMBEDDING_MODEL value; default USE multilingual)
"""

from __future__ import annotations

import argparse
import os
import shutil
import threading
import time
from collections import defaultdict
from pathlib import Path

from common import BENCH_DIR, corpus

DBT_STEPS = ("rednote_dbt_models", "rednote_dbt_analysis_models")
LABEL_TABLES = ("note_sentiment", "comment_sentiment", "note_topics", "comment_emotion", "comment_stance")
RECRAWL_MONTH = "2025-06-01"


# --- memory --------------------------------------------------------------------------------------------


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return 0


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                found += [int(c) for c in fh.read().split()]
    except OSError:
        pass
    return found + [g for c in found for g in _children(c)]


class MemorySampler:
    """RSS of this process and its descendants every ``interval`` seconds: (time, MiB) samples."""

    def __init__(self, interval: float = 0.1):
        self.interval, self.samples, self._stop = interval, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        me = os.getpid()
        while not self._stop.is_set():
            kib = _rss_kib(me) + sum(_rss_kib(c) for c in _children(me))
            self.samples.append((time.time(), kib / 1024))
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def peak(self, start: float = 0.0, end: float = float("inf")) -> float:
        return max((mib for t, mib in self.samples if start <= t <= end), default=0.0)


# --- the runs ------------------------------------------------------------------------------------------


class Stages:
    """Per step: wall seconds and peak MiB over all its runs; model calls per (step, partition)."""

    def __init__(self, sampler: MemorySampler):
        self.sampler = sampler
        self.seconds: dict[str, float] = defaultdict(float)
        self.peak: dict[str, float] = defaultdict(float)
        self.calls: dict[tuple[str, str], int] = {}
        self.job_seconds: dict[str, float] = defaultdict(float)

    def execute(self, defs, instance, job_name: str, partition: str | None = None, timed: bool = True) -> dict:
        """Run the job; add its steps' times when ``timed``. Returns {label table: model calls}."""
        import dagster as dg

        started = time.perf_counter()
        result = defs.resolve_job_def(job_name).execute_in_process(
            partition_key=partition, instance=instance, raise_on_error=True
        )
        seconds = time.perf_counter() - started
        if timed:
            self.job_seconds[job_name] += seconds
        # progress as it happens, so a run stopped part-way still reports the stages it finished
        print(
            f"  [{job_name} {(partition or '')[:7]}: {seconds:.1f} s, "
            f"peak {self.sampler.peak(time.time() - seconds):.0f} MiB]",
            flush=True,
        )
        begun = {}
        for record in instance.get_records_for_run(result.run_id).records:
            entry = record.event_log_entry
            event = entry.dagster_event
            if event is None or event.step_key is None:
                continue
            if event.event_type == dg.DagsterEventType.STEP_START:
                begun[event.step_key] = entry.timestamp
            elif event.event_type == dg.DagsterEventType.STEP_SUCCESS and timed:
                start = begun[event.step_key]
                self.seconds[event.step_key] += entry.timestamp - start
                self.peak[event.step_key] = max(self.peak[event.step_key], self.sampler.peak(start, entry.timestamp))
        calls = {}
        for materialization in result.get_asset_materialization_events():
            meta = materialization.materialization.metadata
            if "cache_misses" in meta:
                calls[materialization.asset_key.path[-1]] = meta["cache_misses"].value
                self.calls[(materialization.asset_key.path[-1], partition)] = meta["cache_misses"].value
        return calls


def new_texts(warehouse: Path, table: str, month: str) -> tuple[int, int]:
    """(rows of ``month``, those whose model input no earlier month of ``enrich.<table>`` holds)."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        cols = {
            c
            for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'enrich' AND table_name = ?",
                [table],
            ).fetchall()
        }
        key = "prompt_hash" if "prompt_hash" in cols else "content_hash"
        return con.execute(
            f"""
            WITH june AS (SELECT DISTINCT {key} AS k FROM enrich.{table} WHERE collection_month = ?::DATE),
                 before AS (SELECT DISTINCT {key} AS k FROM enrich.{table} WHERE collection_month < ?::DATE)
            SELECT (SELECT count(*) FROM enrich.{table} WHERE collection_month = ?::DATE),
                   (SELECT count(*) FROM june ANTI JOIN before USING (k))""",
            [month] * 3,
        ).fetchone()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="paper", choices=("small", "paper", "paper10"))
    parser.add_argument("--no-models", action="store_true", help="ingest + dbt over the raw layer only")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--embedding-model", default=None, help="REDNOTE_EMBEDDING_MODEL for this run, e.g. static")
    args = parser.parse_args()

    started = time.perf_counter()
    inbox = corpus(args.scale, args.seed)
    generation = time.perf_counter() - started
    variant = (
        "_nomodels" if args.no_models else f"_{args.embedding_model.split(':')[0]}" if args.embedding_model else ""
    )
    root = BENCH_DIR / f"run_{args.scale}{variant}"
    shutil.rmtree(root, ignore_errors=True)
    (root / "manual").mkdir(parents=True)
    (root / "inbox").symlink_to(inbox)
    for coding in (inbox / "_manual").glob("*_coding.csv"):
        shutil.copy(coding, root / "manual" / coding.name)
    os.environ.update(
        REDNOTE_DATA_DIR=str(root),
        HF_HUB_OFFLINE="1",
        REDNOTE_AUTOMATION="off",
        REDNOTE_PSEUDONYM_KEY=os.environ.get("REDNOTE_PSEUDONYM_KEY", "benchmark-key"),
    )
    if args.embedding_model:
        os.environ["REDNOTE_EMBEDDING_MODEL"] = args.embedding_model

    import dagster as dg

    from rednote_dagster.definitions import defs as load_defs
    from rednote_dagster.defs.transform.dbt import rednote_dbt_models
    from rednote_dagster.lib.labelling.embeddings import DEFAULT_EMBEDDING_MODEL
    from rednote_dagster.lib.settings import DataPaths

    paths = DataPaths.from_env()
    months = [f"{m}-01" for m in paths.inbox_months()]
    size = sum(
        p.stat().st_size for p in inbox.rglob("*") if p.is_file() and not p.relative_to(inbox).parts[0].startswith("_")
    )
    defs = load_defs()
    if args.no_models:
        defs = dg.Definitions.merge(
            defs,
            dg.Definitions(
                jobs=[dg.define_asset_job("raw_rollups_job", selection=dg.AssetSelection.assets(rednote_dbt_models))]
            ),
        )
    instance = dg.DagsterInstance.ephemeral()

    with MemorySampler() as sampler:
        stages = Stages(sampler)
        run_started = time.perf_counter()
        for job in ("ingest_job",) if args.no_models else ("ingest_job", "labelling_job"):
            for month in months:
                stages.execute(defs, instance, job, month)
        stages.execute(defs, instance, "raw_rollups_job" if args.no_models else "rollups_job")
        total = time.perf_counter() - run_started
        total_peak = sampler.peak()
        # the same month again, unchanged: nothing to label
        rerun = {} if args.no_models else stages.execute(defs, instance, "labelling_job", months[0], timed=False)

    print(
        f"pipeline, {args.scale} corpus (seed {args.seed}, {size / 1e6:.0f} MB in {len(months)} months; "
        f"generated in {generation:.0f} s{' or cached' if generation < 5 else ''}), "
        f"{'ingest + dbt over raw' if args.no_models else 'end to end, offline backends'}, "
        f"embeddings {os.environ.get('REDNOTE_EMBEDDING_MODEL') or DEFAULT_EMBEDDING_MODEL + ' (the default)'}, "
        f"{os.cpu_count()} cores"
    )
    print(f"{'stage (Dagster step)':<44} {'wall s':>9} {'peak MiB':>9}")
    for step in sorted(stages.seconds, key=stages.seconds.get, reverse=True):
        print(f"{step:<44} {stages.seconds[step]:>9.1f} {stages.peak[step]:>9.0f}")
    print(f"{'jobs':<44} " + ", ".join(f"{j} {s:.0f} s" for j, s in stages.job_seconds.items()))
    dbt = sum(stages.seconds.get(s, 0.0) for s in DBT_STEPS)
    limits = {"small": None, "paper": (600, 3072, 30), "paper10": (None, None, 180)}[args.scale]
    end_to_end = limits and not args.no_models  # the 10-minute / 3 GiB targets are for the whole pipeline
    print(_line("total wall clock", total, "s", end_to_end and limits[0]))
    print(_line("total peak memory", total_peak, "MiB", end_to_end and limits[1]))
    print(_line("dbt (all dbt steps)", dbt, "s", limits and limits[2]))
    if args.no_models:
        return
    print("re-crawl (June) model calls per new text, per label table:")
    for table in LABEL_TABLES:
        rows, new = new_texts(paths.warehouse, table, RECRAWL_MONTH)
        calls = stages.calls.get((table, RECRAWL_MONTH), 0)
        ratio = calls / new if new else float("nan")
        print(
            f"  {table:<22} June rows {rows:>8}  new texts {new:>8}  model calls {calls:>8}  "
            f"ratio {ratio:5.3f}  target ≤ 1.05 {'MET' if ratio <= 1.05 or (new == 0 and calls == 0) else 'MISSED'}"
        )
    print(
        f"re-run of labelling_job {months[0][:7]} (unchanged): model calls {sum(rerun.values())} "
        f"({', '.join(f'{t} {c}' for t, c in sorted(rerun.items()))})  target 0"
    )
    print("quality: " + "; ".join(f"{name} {value:.3f}" for name, value in quality(paths.warehouse, inbox).items()))


def quality(warehouse: Path, inbox: Path) -> dict[str, float]:
    """κ of the label tables against the planted labels and the human consensus; BERTopic's ARI."""
    import duckdb
    from sklearn.metrics import adjusted_rand_score, cohen_kappa_score

    out = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for name in ("notes", "comments"):
            con.execute(
                f"CREATE TEMP TABLE truth_{name} AS SELECT * FROM read_csv(?, all_varchar = true)",
                [str(inbox / "_truth" / f"{name}.csv")],
            )
        pairs = con.sql("""SELECT t.code, n.code FROM (SELECT note_id, arg_max(code, collection_month) AS code
                           FROM enrich.note_topics GROUP BY 1) n JOIN truth_notes t USING (note_id)""").fetchall()
        out["taxonomy κ vs planted"] = cohen_kappa_score(*zip(*pairs))
        ((out["taxonomy κ vs human consensus"],),) = con.sql(
            "SELECT kappa FROM analysis.coding_agreement WHERE label_table = 'enrich.note_topics' "
            "AND language = 'all' AND comparison = 'model_vs_consensus' AND level = 'code'"
        ).fetchall()
        for scheme in ("emotion", "stance"):
            pairs = con.sql(f"""SELECT l.code, t.{scheme} FROM enrich.comment_{scheme} l JOIN truth_comments t
                                USING (comment_id) WHERE l.code IS NOT NULL AND NOT l.in_training_set""").fetchall()
            out[f"{scheme} κ vs planted"] = cohen_kappa_score(*zip(*pairs))
        pairs = con.sql(
            "SELECT c.topic, t.code FROM enrich.note_clusters c JOIN truth_notes t USING (note_id)"
        ).fetchall()
        out["BERTopic ARI vs planted codes"] = adjusted_rand_score(*zip(*pairs))
    return out


def _line(name: str, value: float, unit: str, limit: float | None) -> str:
    verdict = f"target ≤ {limit:g} {unit}  {'MET' if value <= limit else 'MISSED'}" if limit else ""
    return f"{name:<44} {value:>9.1f} {unit:<4} {verdict}"


if __name__ == "__main__":
    main()
