"""Draw (or grow) a scheme's sample and write what coders and the adjudicator get, under
``$REDNOTE_DATA_DIR/coding/<scheme>/``:

* ``sample.csv`` — the sample: entity, item_id, strata, why each item is in it (no texts). The next draw keeps
  every item in it, so delete it to start a sample afresh (coded items are kept all the same).
* ``workbooks/<scheme>-<coder>-<N>items-<digest>.xlsx`` — per coder, the sample items that coder has neither
  coded nor been handed yet, in an order of their own (seeded by the coder's name, so two coders do not tire
  on the same items).
* ``label_studio/<scheme>-tasks-<N>items-<digest>.json`` — the sample items not handed to Label Studio yet, as
  tasks to import into the project; ``<scheme>-config.xml``, the labelling config (rewritten each time).
* ``adjudication/<scheme>-disagreements-<N>items-<digest>.xlsx`` — the items the coders disagree on that are
  neither resolved nor handed to the adjudicator yet, with each coder's code.
* ``handed_out.csv`` — which item went to whom in which file. It is what keeps a grown sample from handing an
  item out twice; delete it to hand every item still uncoded out again, in one new file per coder.

A file's name carries its item count and a digest of its items, and an existing file is never overwritten: a
workbook a coder is filling in stays as it is whatever the next ``make run`` does.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from rednote_dagster.lib.coding_workflow.adjudication import unresolved
from rednote_dagster.lib.coding_workflow.coding_files import read_codes
from rednote_dagster.lib.coding_workflow.items import codable_items
from rednote_dagster.lib.coding_workflow.label_studio import label_studio_tasks, labelling_config
from rednote_dagster.lib.coding_workflow.sample import (
    CODED,
    KEY,
    PREVIOUS,
    SAMPLE_SCHEMA,
    SampleSize,
    draw_order,
    draw_sample,
    strata_summary,
)
from rednote_dagster.lib.coding_workflow.targets import CodingTarget
from rednote_dagster.lib.coding_workflow.workbook import ADJUDICATION, CODING, coder_column, write_workbook
from rednote_dagster.lib.exports import atomic_path

CODING_DIR = "coding"  # under $REDNOTE_DATA_DIR
DEFAULT_CODERS = ("coder_a", "coder_b")


@dataclass(frozen=True)
class CodingFolder:
    """Where one scheme's hand-outs live."""

    root: Path  # $REDNOTE_DATA_DIR/coding/<scheme>
    scheme: str

    @property
    def sample(self) -> Path:
        return self.root / "sample.csv"

    @property
    def workbooks(self) -> Path:
        return self.root / "workbooks"

    @property
    def label_studio(self) -> Path:
        return self.root / "label_studio"

    @property
    def label_studio_config(self) -> Path:
        return self.label_studio / f"{self.scheme}-config.xml"

    @property
    def handed_out(self) -> Path:
        return self.root / "handed_out.csv"

    @property
    def adjudication(self) -> Path:
        return self.root / "adjudication"


def coding_folder(data_root: Path, target: CodingTarget) -> CodingFolder:
    return CodingFolder(data_root / CODING_DIR / target.name, target.name)


def read_sample(path: Path) -> pl.DataFrame | None:
    if not path.exists():
        return None
    return pl.read_csv(path, schema_overrides=SAMPLE_SCHEMA)


def write_sample(path: Path, sample: pl.DataFrame) -> Path:
    with atomic_path(path) as tmp:
        sample.write_csv(tmp)
    return path


def _digest(keys: pl.DataFrame) -> str:
    joined = "\n".join(f"{e}:{i}" for e, i in keys.select(KEY).sort(KEY).iter_rows())
    return hashlib.sha256(joined.encode()).hexdigest()[:8]


def _file_for(folder: Path, stem: str, rows: pl.DataFrame, suffix: str) -> Path:
    safe = re.sub(r"[^\w.@-]+", "_", stem)  # a coder may be "Ana M./2"
    return folder / f"{safe}-{rows.height}items-{_digest(rows)}{suffix}"


HANDED_OUT_SCHEMA = {"entity": pl.String, "item_id": pl.String, "handed_to": pl.String, "file": pl.String}
LABEL_STUDIO, ADJUDICATOR = "label studio", "adjudication"  # handed_to of what is not a coder's workbook


def read_handed_out(path: Path) -> pl.DataFrame:
    if not path.exists():
        return pl.DataFrame(schema=HANDED_OUT_SCHEMA)
    return pl.read_csv(path, schema_overrides=HANDED_OUT_SCHEMA).select(list(HANDED_OUT_SCHEMA))


@dataclass
class Handout:
    target: CodingTarget
    size: SampleSize
    seed: int
    population: int
    sample: pl.DataFrame
    strata: pl.DataFrame
    to_code: dict[str, int] = field(default_factory=dict)  # coder -> sample items without their code
    pending: dict[str, int] = field(default_factory=dict)  # coder -> of those, handed out before
    new_files: dict[str, Path] = field(default_factory=dict)  # handed_to -> the file with their new items
    written: list[Path] = field(default_factory=list)  # every file written this time
    disagreements: int = 0  # unresolved

    def lines(self) -> list[str]:
        reasons = dict(self.sample.group_by("reason").len().iter_rows())
        out = [
            f"{self.target.name}: sample of {self.sample.height:,} of {self.population:,} items "
            f"(target {self.size}, seed {self.seed}): {reasons.get(CODED, 0):,} already coded, "
            f"{reasons.get(PREVIOUS, 0):,} drawn before, {reasons.get('drawn', 0):,} newly drawn"
        ]
        gone = self.sample.filter(~pl.col("in_warehouse")).height
        if gone:
            out.append(f"  ! {gone} coded items are no longer in the warehouse (kept in the sample)")
        for coder, n in self.to_code.items():
            line = f"  {coder}: {n:,} items to code"
            if self.pending.get(coder):
                line += f", {self.pending[coder]:,} of them in workbooks handed out before"
            if coder in self.new_files:
                line += f"; new: {self.new_files[coder]}"
            out.append(line)
        if LABEL_STUDIO in self.new_files:
            out.append(f"  Label Studio tasks to import: {self.new_files[LABEL_STUDIO]}")
        if self.disagreements:
            sheet = self.new_files.get(ADJUDICATOR)
            out.append(
                f"  {self.disagreements:,} unresolved disagreements" + (f"; new sheet: {sheet}" if sheet else "")
            )
        return out


def prepare_handout(
    con: duckdb.DuckDBPyConnection,
    target: CodingTarget,
    data_root: Path,
    manual_dir: Path,
    size: SampleSize | None = None,
    seed: int = 0,
    coders: tuple[str, ...] = DEFAULT_CODERS,
    adjudicator: str = "adjudicator",
) -> Handout:
    """Draw or grow the sample and write the files of the module docstring."""
    size = size or target.default_size
    folder = coding_folder(data_root, target)
    items = codable_items(con, target)
    coding = read_codes(manual_dir / target.coding_file, target)
    previous = read_sample(folder.sample)
    keep = pl.concat(
        [coding.select(KEY).with_columns(pl.lit(CODED).alias("reason"))]
        + ([previous.select(*KEY, pl.lit(PREVIOUS).alias("reason"))] if previous is not None else [])
    )
    sample = draw_sample(items, size, seed, keep)
    write_sample(folder.sample, sample)
    handout = Handout(target, size, seed, items.height, sample, strata_summary(items, sample))
    handed_out = read_handed_out(folder.handed_out)
    log: list[pl.DataFrame] = [handed_out]

    def hand_out(to: str, rows: pl.DataFrame, path_for, write) -> None:
        """Write ``rows`` not handed to ``to`` before into a new file (unless it exists), and log them."""
        new = rows.join(handed_out.filter(pl.col("handed_to") == to), on=KEY, how="anti")
        if not new.height:
            return
        path = handout.new_files[to] = path_for(new)
        if not path.exists():
            handout.written.append(write(path, new))
        log.append(new.select(*KEY, pl.lit(to).alias("handed_to"), pl.lit(path.name).alias("file")))

    context = sample.select(KEY).join(items.select(*KEY, *target.fields), on=KEY, how="left")
    every_coder = list(dict.fromkeys([*coders, *sorted(coding["coder"].unique().to_list())]))
    for coder in every_coder:
        todo = context.join(coding.filter(pl.col("coder") == coder), on=KEY, how="anti")
        handout.to_code[coder] = todo.height
        handout.pending[coder] = todo.join(handed_out.filter(pl.col("handed_to") == coder), on=KEY).height
        order = [draw_order(seed, f"{coder}:{e}", i) for e, i in todo.select(KEY).iter_rows()]
        hand_out(
            coder,
            todo.with_columns(pl.Series("order", order, dtype=pl.String)).sort("order").drop("order"),
            lambda rows, coder=coder: _file_for(folder.workbooks, f"{target.name}-{coder}", rows, ".xlsx"),
            lambda path, rows, coder=coder: write_workbook(path, target, rows, kind=CODING, coder=coder),
        )

    def write_tasks(path: Path, rows: pl.DataFrame) -> Path:
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(label_studio_tasks(rows, target), ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    coders_of = coding.filter(pl.col("coder").is_in(every_coder)).group_by(KEY).agg(pl.col("coder").n_unique())
    fully_coded = coders_of.filter(pl.col("coder") >= len(every_coder)).select(KEY)
    hand_out(
        LABEL_STUDIO,
        context.join(fully_coded, on=KEY, how="anti"),
        lambda rows: _file_for(folder.label_studio, f"{target.name}-tasks", rows, ".json"),
        write_tasks,
    )
    with atomic_path(folder.label_studio_config) as tmp:
        tmp.write_text(labelling_config(target), encoding="utf-8")
    handout.written.append(folder.label_studio_config)

    disputed = unresolved(coding, read_codes(manual_dir / target.adjudication_file, target))
    handout.disagreements = disputed.height
    if disputed.height:
        coder_codes = [c for c in disputed.columns if c not in KEY]
        hand_out(
            ADJUDICATOR,
            disputed.join(items.select(*KEY, *target.fields), on=KEY, how="left").select(
                *KEY, *target.fields, *(pl.col(c).alias(coder_column(c)) for c in coder_codes)
            ),
            lambda rows: _file_for(folder.adjudication, f"{target.name}-disagreements", rows, ".xlsx"),
            lambda path, rows: write_workbook(path, target, rows, kind=ADJUDICATION, coder=adjudicator),
        )
    if len(log) > 1:
        with atomic_path(folder.handed_out) as tmp:
            pl.concat(log).write_csv(tmp)
    return handout
