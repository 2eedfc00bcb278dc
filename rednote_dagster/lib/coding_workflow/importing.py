"""Returned codes into the coding files, checked, all or nothing.

A *submission* is one returned file: a filled coder workbook, a filled disagreement sheet, or a Label Studio
JSON export. Each is read into rows (entity, item id, coder, the code as written, remark, when, from where)
and checked:

* **errors** stop the whole import, and nothing is written: a code that is not one of the scheme's codes, an
  item coded twice with different codes in one file, an entity the scheme does not code, a file that is not
  this project's, a coder without a name;
* **reported** but imported: items left uncoded, an item coded twice with the same code (kept once), items
  that are not in the current sample, codes that replace a different earlier code of the same coder and item,
  and each coder's sample items still without a code.

Valid rows are merged into ``manual/<scheme>_coding.csv`` (adjudications into ``<scheme>_adjudication.csv``)
by (entity, item, coder): a new pair is added, the same code is left as it was (its first timestamp kept), a
different code replaces the old one and is listed. Each file is written once, atomically, after every
submission has passed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from rednote_dagster.lib.coding_workflow.adjudication import disagreements
from rednote_dagster.lib.coding_workflow.coding_files import CODES_SCHEMA, read_codes, write_codes
from rednote_dagster.lib.coding_workflow.label_studio import CHOICE_SEPARATOR, export_rows
from rednote_dagster.lib.coding_workflow.sample import KEY
from rednote_dagster.lib.coding_workflow.targets import CodingTarget, coding_target
from rednote_dagster.lib.coding_workflow.workbook import ADJUDICATION, CODING, read_workbook
from rednote_dagster.lib.labelling.scheme import LabelScheme

SHOWN = 5  # examples listed per kind of problem


@dataclass
class Submission:
    """One returned file, read: rows as :data:`~label_studio.ROWS_SCHEMA`, and what reading it found."""

    source: str
    target: CodingTarget
    kind: str  # coding | adjudication
    rows: pl.DataFrame
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def workbook_submission(path: Path) -> Submission:
    book = read_workbook(path)
    target = coding_target(book.scheme)
    errors = [] if book.coder.strip() else [f"{path.name}: sheet About names no coder"]
    rows = book.rows.select(
        "entity",
        "item_id",
        pl.lit(book.coder.strip()).alias("coder"),
        "raw_code",
        "remark",
        pl.lit(book.saved_at, pl.String).alias("coded_at"),
        pl.lit(path.name).alias("source"),
    )
    return Submission(path.name, target, book.kind, rows, errors)


def label_studio_submission(
    path: Path, scheme: str | None = None, coder_names: Mapping[str, str] | None = None
) -> Submission:
    """A Label Studio JSON export; its scheme from the tasks' ``data.scheme`` unless given."""
    export = json.loads(path.read_text(encoding="utf-8"))
    named = scheme or next(
        (t["data"].get("scheme") for t in export if isinstance(t, dict) and isinstance(t.get("data"), dict)), None
    )
    if not named:
        raise ValueError(f"{path}: its tasks do not say their scheme; pass the scheme")
    target = coding_target(named)
    rows, errors, notes = export_rows(export, target, path.name, coder_names)
    return Submission(path.name, target, CODING, rows, errors, notes)


def read_submission(path: Path, scheme: str | None = None, coder_names: Mapping[str, str] | None = None) -> Submission:
    """A workbook (``.xlsx``) or a Label Studio export (``.json``)."""
    if path.suffix.lower() == ".xlsx":
        return workbook_submission(path)
    if path.suffix.lower() == ".json":
        return label_studio_submission(path, scheme, coder_names)
    raise ValueError(f"{path}: neither a coding workbook (.xlsx) nor a Label Studio JSON export (.json)")


def parse_code(raw: str, scheme: LabelScheme) -> str | None:
    """The scheme's code for what a coder wrote: the code itself (any case), a Label Studio choice
    ("1a · About TikTok Ban / Censorship") or a label name ("Very Negative"); None if it is none of them.
    Exact codes are tried before names, so sentiment's "-2" is never read as "2"."""
    text = raw.strip()
    for candidate in (text, text.split(CHOICE_SEPARATOR)[0].strip()):
        if candidate.lower() in scheme.codes:
            return candidate.lower()
    return scheme.code_for_name(text)


def _examples(values: Iterable) -> str:
    values = list(values)
    shown = ", ".join(str(v) for v in values[:SHOWN])
    return shown + (f" … ({len(values)} in all)" if len(values) > SHOWN else "")


@dataclass
class ImportReport:
    """What one submission contributed (after :func:`import_submissions` merged it) and what was wrong."""

    source: str
    scheme: str
    kind: str
    coders: list[str]
    rows: int = 0  # rows read
    coded: int = 0  # rows with a valid code
    added: int = 0
    unchanged: int = 0
    changed: list[tuple] = field(default_factory=list)  # (entity, item, coder, old code, new code)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def lines(self) -> list[str]:
        out = [
            f"{self.source}: {self.kind} of {self.scheme} by {', '.join(self.coders) or '?'} — {self.rows} rows, "
            f"{self.coded} coded: {self.added} added, {self.unchanged} unchanged, {len(self.changed)} changed"
        ]
        out += [f"  ✗ {e}" for e in self.errors]
        if self.changed:
            out.append(f"  ! codes replaced: {_examples(f'{i} {c}: {a}→{b}' for _, i, c, a, b in self.changed)}")
        out += [f"  ! {n}" for n in self.notes]
        return out


class CodingImportError(ValueError):
    """Some submission had errors; nothing was written. ``reports`` has every submission's findings."""

    def __init__(self, reports: list[ImportReport]):
        self.reports = reports
        super().__init__("\n".join(line for r in reports for line in r.lines()))


def check_submission(
    submission: Submission, sample_keys: pl.DataFrame | None = None
) -> tuple[ImportReport, pl.DataFrame]:
    """(report, valid rows as :data:`CODES_SCHEMA`). ``sample_keys``: entity, item_id of the current sample."""
    rows, target = submission.rows, submission.target
    report = ImportReport(
        submission.source,
        target.name,
        submission.kind,
        sorted(rows["coder"].unique().drop_nulls().to_list()),
        rows=rows.height,
        errors=list(submission.errors),
        notes=list(submission.notes),
    )
    bad_entity = rows.filter(~pl.col("entity").is_in(list(target.entities)))
    if bad_entity.height:
        report.errors.append(
            f"{bad_entity.height} rows of an entity {target.name} does not code "
            f"({', '.join(target.entities)} only): {_examples(bad_entity['item_id'])}"
        )
    uncoded = rows.filter(pl.col("raw_code").is_null())
    if uncoded.height:
        report.notes.append(f"{uncoded.height} items left uncoded (not imported): {_examples(uncoded['item_id'])}")
    coded = rows.filter(pl.col("raw_code").is_not_null()).with_columns(
        pl.col("raw_code")
        .map_elements(lambda raw: parse_code(raw, target.scheme), return_dtype=pl.String)
        .alias("code")
    )
    unknown = coded.filter(pl.col("code").is_null())
    if unknown.height:
        report.errors.append(
            f"{unknown.height} codes that are not {target.name} codes ({', '.join(target.scheme.codes)}): "
            + _examples(f"{i} {r!r}" for i, r in unknown.select("item_id", "raw_code").iter_rows())
        )
    coded = coded.filter(pl.col("code").is_not_null())
    per_key = coded.group_by([*KEY, "coder"]).agg(pl.col("code").n_unique().alias("codes"), pl.len().alias("rows"))
    conflicts = per_key.filter(pl.col("codes") > 1)
    if conflicts.height:
        report.errors.append(
            f"{conflicts.height} items coded more than once with different codes by the same coder: "
            + _examples(conflicts["item_id"])
        )
    repeats = per_key.filter((pl.col("codes") == 1) & (pl.col("rows") > 1))
    if repeats.height:
        report.notes.append(f"{repeats.height} items coded twice with the same code (kept once)")
    valid = coded.unique([*KEY, "coder"], keep="last", maintain_order=True).select(list(CODES_SCHEMA))
    report.coded = valid.height
    if sample_keys is not None and valid.height:
        outside = valid.join(sample_keys, on=KEY, how="anti")
        if outside.height:
            report.notes.append(
                f"{outside.height} coded items are not in the current sample: {_examples(outside['item_id'])}"
            )
    return report, valid


def merge_codes(existing: pl.DataFrame, new: pl.DataFrame) -> tuple[pl.DataFrame, int, int, list[tuple]]:
    """(merged, added, unchanged, changed) by (entity, item_id, coder); see the module docstring."""
    key = [*KEY, "coder"]
    joined = new.join(existing.select(*key, pl.col("code").alias("old")), on=key, how="left")
    added = joined.filter(pl.col("old").is_null())
    same = joined.filter(pl.col("old") == pl.col("code"))
    changed = joined.filter(pl.col("old").is_not_null() & (pl.col("old") != pl.col("code")))
    replacing = pl.concat([added, changed]).select(list(CODES_SCHEMA))
    merged = pl.concat([existing.join(changed.select(key), on=key, how="anti"), replacing])
    return (
        merged,
        added.height,
        same.height,
        [tuple(r) for r in changed.select(*KEY, "coder", "old", "code").iter_rows()],
    )


def import_submissions(
    submissions: list[Submission], manual_dir: Path, sample_keys: Mapping[str, pl.DataFrame] | None = None
) -> list[ImportReport]:
    """Check every submission, then merge them into the coding (and adjudication) files; raise
    :class:`CodingImportError` and write nothing if any has errors. ``sample_keys``: scheme → the current
    sample's entity, item_id (for the "not in the sample" and "still to code" notes)."""
    samples = sample_keys or {}
    checked = [check_submission(s, samples.get(s.target.name)) for s in submissions]
    reports = [report for report, _ in checked]
    if any(not r.ok for r in reports):
        raise CodingImportError(reports)
    files: dict[Path, tuple[CodingTarget, pl.DataFrame]] = {}
    for submission, (report, valid) in zip(submissions, checked):
        target = submission.target
        name = target.adjudication_file if submission.kind == ADJUDICATION else target.coding_file
        path = manual_dir / name
        current = files[path][1] if path in files else read_codes(path, target)
        merged, report.added, report.unchanged, report.changed = merge_codes(current, valid)
        files[path] = (target, merged)
    for submission, (report, valid) in zip(submissions, checked):
        target = submission.target
        coding_path = manual_dir / target.coding_file
        coding = files[coding_path][1] if coding_path in files else read_codes(coding_path, target)
        if submission.kind == ADJUDICATION:
            stale = valid.join(disagreements(coding).select(KEY), on=KEY, how="anti")
            if stale.height:
                report.notes.append(
                    f"{stale.height} resolved items on which the coders (now) agree: {_examples(stale['item_id'])}"
                )
        elif target.name in samples:
            for coder in report.coders:
                todo = samples[target.name].join(coding.filter(pl.col("coder") == coder), on=KEY, how="anti")
                if todo.height:
                    report.notes.append(f"{coder} still has {todo.height} sample items to code")
    for path, (target, merged) in files.items():
        write_codes(path, merged, target)
    return reports
