"""What ``python -m rednote_dagster run`` shows a person: one line per step and job, warnings once.

Dagster's default console logger prints every event at DEBUG, several hundred lines for the small
corpus. The command line gives its jobs one logger instead, :class:`RunConsole`, which

* writes every event, at DEBUG, to a log file whose path it prints (the full record, as the UI has it);
* prints one line per finished step with what it wrote (rows, rejects, labels and cache hits), its
  rate and elapsed time, and one line per finished job;
* prints each warning once per ``make run`` (a fallback that every month's labelling step reports is
  said once), and every error with the step it came from;
* with ``verbose``, also streams the full event log to the console.

What libraries print to stdout while a job runs (dbt's own log lines, which dagster-dbt re-prints) goes
to the log file too.

Long loops inside a step draw their own progress bars (lib/progress.py).
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import dagster as dg
from dagster._core.log_manager import LOG_RECORD_METADATA_ATTR

FILE_FORMAT = "%(asctime)s %(levelname)-7s %(message)s"
RATE_MIN_ITEMS = 1_000  # below this a rate says more about start-up than throughput


def _number(value: Any) -> float | None:
    value = getattr(value, "value", value)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def step_summary(step: str, materialized: list[tuple[str, dict[str, Any]]], seconds: float) -> str:
    """'raw/notes  500 rows (3 rejected) · 0.8 s · 620 rows/s' from the step's materialization metadata."""
    if len(materialized) != 1:
        what = f"{len(materialized)} assets" if materialized else "checks"
        return f"{step:<34} {what} · {seconds:.1f} s"
    key, meta = materialized[0]
    rows = _number(meta.get("dagster/partition_row_count")) or _number(meta.get("dagster/row_count"))
    parts = [f"{int(rows):,} row{'' if rows == 1 else 's'}" if rows is not None else ""]
    extras = [f"{int(v):,} {name}" for name in ("rejected", "duplicates") if (v := _number(meta.get(name)))]
    misses, hits = _number(meta.get("cache_misses")), _number(meta.get("cache_hits"))
    if misses is not None:
        backend = getattr(meta.get("backend"), "value", None)
        extras.append(f"{int(misses):,} labelled" + (f" by {backend}" if backend else ""))
        if hits:
            extras.append(f"{int(hits):,} cached")
    if extras:
        parts.append(f"({', '.join(extras)})")
    line = f"{key:<34} {' '.join(p for p in parts if p)} · {seconds:.1f} s"
    done = misses if misses is not None else rows
    if done and done >= RATE_MIN_ITEMS and seconds >= 0.5:
        line += f" · {done / seconds:,.0f} {'texts' if misses is not None else 'rows'}/s"
    return line


class _StepLines(logging.Handler):
    """Turns Dagster's event records into the console lines described in the module docstring."""

    def __init__(self, out: IO[str], said: set[str] | None = None, level: int = logging.DEBUG):
        super().__init__(level)
        self.out = out
        self.started: dict[str, float] = {}
        self.materialized: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        self.said: set[str] = set() if said is None else said  # warnings already shown

    def say(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()

    def once(self, line: str) -> None:
        if line not in self.said:
            self.said.add(line)
            self.say(line)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._emit(record)
        except Exception:  # a console line must never fail a step
            self.handleError(record)

    def _emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, LOG_RECORD_METADATA_ATTR, None) or {}
        event, step = meta.get("dagster_event"), meta.get("step_key") or ""
        kind = event.event_type_value if event is not None else None
        if kind == "STEP_START":
            self.started[step] = time.perf_counter()
            self.materialized[step] = []
        elif kind == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            self.materialized.setdefault(step, []).append(
                ("/".join(materialization.asset_key.path), dict(materialization.metadata))
            )
        elif kind == "STEP_SUCCESS":
            seconds = time.perf_counter() - self.started.pop(step, time.perf_counter())
            materialized = self.materialized.pop(step, [])
            if materialized:  # steps that only run checks speak when a check fails
                self.say("  ✓ " + step_summary(step, materialized, seconds))
        elif kind == "STEP_FAILURE":
            error = event.event_specific_data.error
            while error is not None and error.cause is not None:  # the user's exception, not Dagster's wrapper
                error = error.cause
            first = (error.message if error else meta.get("orig_message") or "").strip().splitlines()
            self.say(f"  ✗ {step} failed: {first[0] if first else 'see the log'}")
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                key = "/".join(evaluation.asset_key.path)
                self.once(
                    f"  ! check {evaluation.check_name} on {key} did not pass"
                    f" ({evaluation.severity.value.lower()}): {evaluation.description or ''}".rstrip(": ")
                )
        elif event is None and record.levelno >= logging.WARNING:
            message = str(meta.get("orig_message") or record.getMessage()).strip()
            self.once(f"  ! {message.splitlines()[0] if message else ''}")


class _LinesToLog(io.TextIOBase):
    """A text stream that logs each complete line it is given."""

    def __init__(self, logger: logging.Logger):
        self.logger, self.pending = logger, ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        *lines, self.pending = (self.pending + text).split("\n")
        for line in lines:
            self.logger.info(line)
        return len(text)

    def flush(self) -> None:
        if self.pending:
            self.logger.info(self.pending)
            self.pending = ""


class RunConsole:
    """One logger for every job a command runs; see the module docstring."""

    def __init__(self, log_path: Path, *, verbose: bool = False, out: IO[str] | None = None):
        self.log_path = log_path
        self.out = out or sys.stdout
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.file_handler = logging.FileHandler(log_path, encoding="utf-8")
        self.file_handler.setFormatter(logging.Formatter(FILE_FORMAT))
        self.steps = _StepLines(self.out)
        self.logger = logging.Logger("rednote_dagster.run", logging.DEBUG)
        self.printed = logging.Logger("rednote_dagster.stdout", logging.DEBUG)  # what libraries print
        for logger in (self.logger, self.printed):
            logger.addHandler(self.file_handler)
        self.logger.addHandler(self.steps)
        if verbose:
            live = logging.StreamHandler(sys.stderr)
            live.setFormatter(logging.Formatter(FILE_FORMAT))
            self.logger.addHandler(live)
            self.printed.addHandler(live)
        # transformers' own "Loading weights" bar, drawn each time a model is loaded
        with contextlib.suppress(ImportError):
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()
        # The project's own library warnings (e.g. PNG previews skipped) are console lines too, once each.
        self.library = logging.getLogger("rednote_dagster")
        self.library_lines = _StepLines(self.out, said=self.steps.said, level=logging.WARNING)
        self.library.addHandler(self.library_lines)
        # Every library log and Python warning (sklearn, transformers, ...) goes to the file, not the console.
        logging.captureWarnings(True)
        root = logging.getLogger()
        self._root_before = (root.level, [] if verbose else list(root.handlers))  # restored by close()
        for handler in self._root_before[1]:
            root.removeHandler(handler)
        root.addHandler(self.file_handler)
        root.setLevel(min(root.level or logging.WARNING, logging.INFO))

    def say(self, line: str) -> None:
        self.steps.say(line)

    def once(self, line: str) -> None:
        self.steps.once(line)

    # a logger's interface, for helpers that report through one (run_recovery.release_dead_runs)
    def info(self, message: str) -> None:
        self.say(f"  {message}")

    warning = info

    LOGGER = "rednote_console"

    def job(self, job: dg.JobDefinition) -> dg.JobDefinition:
        """The job with this console as its logger; run it with ``run_config=RunConsole.RUN_CONFIG``."""
        return job.with_logger_defs({self.LOGGER: dg.LoggerDefinition(lambda _: self.logger)})

    # Naming a logger in the run config replaces Dagster's default DEBUG console logger.
    RUN_CONFIG = {"loggers": {LOGGER: {}}}

    @contextlib.contextmanager
    def printing_to_log(self) -> Iterator[None]:
        """Inside the block, what is printed to stdout goes to the log file; the console keeps its lines."""
        stream = _LinesToLog(self.printed)
        with contextlib.redirect_stdout(stream):
            try:
                yield
            finally:
                stream.flush()

    def close(self) -> None:
        self.library.removeHandler(self.library_lines)
        root = logging.getLogger()
        root.removeHandler(self.file_handler)
        level, handlers = self._root_before
        root.setLevel(level)
        for handler in handlers:
            root.addHandler(handler)
        logging.captureWarnings(False)
        self.logger.removeHandler(self.file_handler)
        self.file_handler.close()
