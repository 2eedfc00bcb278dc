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


def _rekey(args: argparse.Namespace) -> int:
    """Move the warehouse to the current key (REDNOTE_PSEUDONYM_KEY or $REDNOTE_DATA_DIR/.pseudonym_key)."""
    import duckdb

    from rednote_dagster.lib.pseudonym import Pseudonymizer, load_key, rekey_warehouse
    from rednote_dagster.lib.xhs.ingest import inbox_identity_hashes

    paths = DataPaths.from_env()
    old = Pseudonymizer(Path(args.old_key_file).read_text().strip())
    new = Pseudonymizer(load_key(paths.root))
    if old.fingerprint == new.fingerprint:
        print("the old and the current key are the same: nothing to do")
        return 0
    print(f"reading the identity hashes of every crawl record in {paths.inbox} …")
    hashes = inbox_identity_hashes(paths.inbox, paths.inbox_months())
    with duckdb.connect(str(paths.warehouse)) as con:
        rewritten = rekey_warehouse(con, old, new, hashes)
    for table, rows in rewritten.items():
        print(f"  {table}: {rows:,} rows re-keyed")
    print(f"the warehouse now uses the key with fingerprint {new.fingerprint}; keep the old key out of reach")
    return 0


def _share(args: argparse.Namespace) -> int:
    """The replication package (lib/share.py) of the warehouse under $REDNOTE_DATA_DIR."""
    from rednote_dagster.defs.transform.project import DBT_PROJECT_DIR
    from rednote_dagster.lib.pseudonym import load_key
    from rednote_dagster.lib.share import dbt_descriptions, write_share_package

    paths = DataPaths.from_env()
    if not paths.warehouse.exists():
        print(f"no warehouse at {paths.warehouse}: run `make run` first", file=sys.stderr)
        return 1
    out = Path(args.out) if args.out else paths.root / "share"
    manifest = write_share_package(
        paths.warehouse,
        paths.reports / "report.html",
        out,
        load_key(paths.root),
        dbt_descriptions(DBT_PROJECT_DIR / "target" / "manifest.json"),
    )
    dropped = sum(len(t.get("drop", {})) for t in manifest["tables"].values())
    renamed = sum(len(t.get("pseudonymise", {})) for t in manifest["tables"].values())
    print(
        f"replication package: {out}  ({len(manifest['tables'])} tables, {renamed} id columns pseudonymised, "
        f"{dropped} text or location columns removed; what and why: {out / 'manifest.json'})"
    )
    return 0


def _ensure_corpus(paths: DataPaths, scale: str, seed: int) -> None:
    if paths.inbox_months():
        print(f"inbox holds crawls for {', '.join(paths.inbox_months())}: using them")
        return
    from rednote_dagster.lib.corpus import generate_corpus

    print(
        f"inbox {paths.inbox} holds no crawl: generating the bundled synthetic corpus ({scale}, seed {seed})",
        end=" ",
        flush=True,
    )
    started = time.perf_counter()
    generate_corpus(paths.inbox, scale=scale, seed=seed)
    print(f"· {time.perf_counter() - started:.1f} s")
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

    from rednote_dagster.console import RunConsole
    from rednote_dagster.definitions import defs as load_defs
    from rednote_dagster.defs.partitions import collection_month
    from rednote_dagster.defs.run_recovery import release_dead_runs

    console = RunConsole(paths.root / "logs" / f"run-{time.strftime('%Y%m%d-%H%M%S')}.log", verbose=args.verbose)
    console.say(f"full event log: {console.log_path}")
    try:
        defs = load_defs()
        with dg.DagsterInstance.get() as instance:
            # a run killed while it held the warehouse slot would otherwise block this one forever
            release_dead_runs(instance, log=console)
            ok = _run_jobs(defs, instance, paths, console, collection_month.get_partition_keys())
    finally:
        console.close()
    if ok:
        _print_summary(paths, console.log_path)
    else:
        print(
            f"\nthe run failed: the full event log is {console.log_path}; `make ui` shows the failed run",
            file=sys.stderr,
        )
    return 0 if ok else 1


def _run_jobs(defs, instance, paths: DataPaths, console, partition_keys: list[str]) -> bool:
    from rednote_dagster.defs.run_recovery import owner_tags

    known = set(partition_keys)
    months = [f"{m}-01" for m in paths.inbox_months()]
    unknown = [m for m in months if m not in known]
    if unknown:
        console.say(f"warning: inbox folders outside the partition range are ignored: {unknown}")
    # Ingest every month before labelling any: the supervised taxonomy model then learns from the
    # same manually coded notes for every month.
    plan = [(name, key) for name in ("ingest_job", "labelling_job") for key in months if key in known]
    plan.append(("rollups_job", None))
    for job_name, key in plan:
        started = time.perf_counter()
        job = console.job(defs.resolve_job_def(job_name))
        with console.printing_to_log():
            result = job.execute_in_process(
                run_config=console.RUN_CONFIG,
                partition_key=key,
                instance=instance,
                tags=owner_tags(),
                raise_on_error=False,
            )
        label = f"{job_name} {key[:7]}" if key else job_name
        console.say(
            f"{'✓' if result.success else '✗'} {label} · {time.perf_counter() - started:.1f} s"
            + ("" if result.success else " · FAILED")
        )
        if not result.success:
            return False
    return True


def _print_summary(paths: DataPaths, log_path: Path) -> None:
    import duckdb
    import polars as pl

    from rednote_dagster.lib.preview import markdown_table

    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        summary = con.sql("SELECT * FROM marts.collection_summary ORDER BY collection_month").pl()
        rejects = con.sql(
            "SELECT reason, count(*) AS n FROM raw.rejects GROUP BY ALL ORDER BY n DESC, reason"
        ).fetchall()
    print("\nWhat each collection month contributed (marts.collection_summary):")
    print(markdown_table(summary.with_columns(pl.col("collection_month").cast(pl.Utf8)), escape=False))
    common = "; ".join(f"{reason} ({n})" for reason, n in rejects[:3])
    print(
        f"\nrejected: {sum(n for _, n in rejects):,} records, reasons in raw.rejects"
        + (f"; most common: {common}" if common else "")
    )
    print(f"\nreport:    {paths.reports / 'report.html'}  (tables as CSV and Parquet in {paths.reports})")
    print(f"warehouse: {paths.warehouse}  (crawls read from {paths.inbox})")
    print(f"event log: {log_path}")
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
    run.add_argument("--verbose", action="store_true", help="stream the full Dagster event log to the console too")
    run.set_defaults(func=_run)
    rekey = sub.add_parser("rekey", help="rewrite every author_key from an old pseudonym key to the current one")
    rekey.add_argument("--old-key-file", required=True, help="a file holding the key the warehouse was built with")
    rekey.set_defaults(func=_rekey)
    share = sub.add_parser("share", help="write the share-safe replication package (no texts, no platform ids)")
    share.add_argument("--out", help="folder to write (replaced whole); default $REDNOTE_DATA_DIR/share")
    share.set_defaults(func=_share)
    from rednote_dagster.lib.coding_workflow.commands import add_coding_parser  # the manual coding workflow

    add_coding_parser(sub)
    args = parser.parse_args(argv)
    return args.func(args)


def cli() -> None:
    """``python -m rednote_dagster`` and the ``rednote-dagster`` script."""
    code = main()
    # DuckDB's nanobind bindings list every DuckDB object still referenced while the interpreter tears
    # down (type constants, method signatures: ~60 lines of "nanobind: leaked instance", harmless by
    # nanobind's own account). By now the command has closed what it opened (warehouse connections, the
    # Dagster instance, the log file), so it ends the process without that teardown.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    cli()
