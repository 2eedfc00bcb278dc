"""Command line: ``python -m rednote_dagster {corpus,run}``.

``run`` is what ``make run`` calls: generate the bundled corpus if the inbox holds no crawl,
materialize every collection month found in the inbox and then the rollups, recording runs
in ``$DAGSTER_HOME`` so ``make ui`` shows them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

from rednote_dagster.lib.settings import DataPaths


def _corpus(args: argparse.Namespace) -> int:
    from rednote_dagster.lib.corpus import generate_corpus

    summary = generate_corpus(Path(args.out), scale=args.scale, seed=args.seed)
    print(f"corpus written to {args.out}: {summary}")
    return 0


def _ensure_corpus(paths: DataPaths, scale: str, seed: int) -> None:
    if paths.inbox_months():
        print(f"inbox holds crawls for {', '.join(paths.inbox_months())}: using them")
        return
    from rednote_dagster.lib.corpus import generate_corpus

    print(f"inbox {paths.inbox} holds no crawl: generating the bundled synthetic corpus ({scale}, seed {seed})")
    started = time.perf_counter()
    generate_corpus(paths.inbox, scale=scale, seed=seed)
    print(f"  generated in {time.perf_counter() - started:.1f} s")
    # the simulated manual codings (taxonomy, emotion, stance), unless the user has their own
    for coding in sorted((paths.inbox / "_manual").glob("*_coding.csv")):
        if not (paths.manual / coding.name).exists():
            paths.manual.mkdir(parents=True, exist_ok=True)
            shutil.copy(coding, paths.manual / coding.name)


def _ensure_instance_config(home: Path) -> None:
    """Give a DAGSTER_HOME without a dagster.yaml the project's (DuckDB concurrency pool, run queue)."""
    project_yaml = Path(__file__).resolve().parents[1] / ".dagster_home" / "dagster.yaml"
    target = home / "dagster.yaml"
    if not target.exists() and project_yaml.exists():
        home.mkdir(parents=True, exist_ok=True)
        shutil.copy(project_yaml, target)
        print(f"instance config: copied {project_yaml} to {target}")


def _run(args: argparse.Namespace) -> int:
    os.environ.setdefault("DAGSTER_HOME", str(Path(".dagster_home").resolve()))
    _ensure_instance_config(Path(os.environ["DAGSTER_HOME"]))
    paths = DataPaths.from_env()
    _ensure_corpus(paths, args.scale, args.seed)

    import dagster as dg

    from rednote_dagster.definitions import defs as load_defs
    from rednote_dagster.defs.partitions import collection_month

    defs = load_defs()
    instance = dg.DagsterInstance.get()
    known = set(collection_month.get_partition_keys())
    months = [f"{m}-01" for m in paths.inbox_months()]
    unknown = [m for m in months if m not in known]
    if unknown:
        print(f"warning: inbox folders outside the partition range are ignored: {unknown}", file=sys.stderr)
    # Ingest every month before labelling any: the supervised taxonomy model then learns from the
    # same manually coded notes for every month.
    for job_name in ("ingest_job", "labelling_job"):
        job = defs.resolve_job_def(job_name)
        for key in (m for m in months if m in known):
            started = time.perf_counter()
            result = job.execute_in_process(partition_key=key, instance=instance, raise_on_error=False)
            print(f"  {job_name} {key[:7]}: {'ok' if result.success else 'FAILED'} ({time.perf_counter() - started:.1f} s)")
            if not result.success:
                return 1
    started = time.perf_counter()
    result = defs.resolve_job_def("rollups_job").execute_in_process(instance=instance, raise_on_error=False)
    print(f"  rollups_job: {'ok' if result.success else 'FAILED'} ({time.perf_counter() - started:.1f} s)")
    if not result.success:
        return 1
    _print_summary(paths)
    return 0


def _print_summary(paths: DataPaths) -> None:
    import duckdb
    import polars as pl

    from rednote_dagster.lib.preview import markdown_table

    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        summary = con.sql("SELECT * FROM marts.collection_summary ORDER BY collection_month").pl()
        rejects = con.sql(
            "SELECT entity, reason, count(*) AS records FROM raw.rejects GROUP BY ALL ORDER BY records DESC LIMIT 10"
        ).pl()
    print("\nWhat each collection month contributed (marts.collection_summary):")
    print(markdown_table(summary.with_columns(pl.col("collection_month").cast(pl.Utf8))))
    print("\nMost common reject reasons (raw.rejects):")
    print(markdown_table(rejects))
    print(f"\nreport:    {paths.reports / 'report.html'}  (tables as CSV and Parquet in {paths.reports})")
    print(f"warehouse: {paths.warehouse}")
    print(f"inbox:     {paths.inbox}")
    print(f"UI:        make ui  (runs are recorded in {os.environ['DAGSTER_HOME']})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rednote_dagster")
    sub = parser.add_subparsers(dest="command", required=True)
    corpus = sub.add_parser("corpus", help="write the bundled synthetic corpus as MediaCrawler files")
    corpus.add_argument("--scale", choices=("small", "paper"), default="small")
    corpus.add_argument("--seed", type=int, default=0)
    corpus.add_argument("--out", required=True)
    corpus.set_defaults(func=_corpus)
    run = sub.add_parser("run", help="ingest the inbox (generating the corpus if empty) and build everything")
    run.add_argument("--scale", choices=("small", "paper"), default="small")
    run.add_argument("--seed", type=int, default=0)
    run.set_defaults(func=_run)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
