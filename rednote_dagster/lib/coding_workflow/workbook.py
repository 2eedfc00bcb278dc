"""Coder workbooks and disagreement sheets: one XLSX layout, one writer, one reader.

Sheet ``Code``: one row per item — its id (and entity, when a scheme codes notes and comments), the context
(and, on a disagreement sheet, every coder's code), all locked; then ``code``, a drop-down of the scheme's
codes, and ``remark``, free text, the only cells a coder can change. The sheet is protected without a
password: a guard against typing over the text by accident, not a lock. Sheet ``Codes``: each code with its
name and description. Sheet ``About``: what the workbook is (scheme, kind, coder, when written), which the
importer reads back, so a returned file names its own coder and scheme.

Text cells are made inert for spreadsheets (``lib/exports.neutralise_cell``) and typed as text; every file is
written through a temporary file and renamed into place (``lib/exports.atomic_path``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from rednote_dagster.lib.coding_workflow.targets import FIELD_HEADERS, CodingTarget
from rednote_dagster.lib.exports import FORMULA_LEADS, atomic_path, neutralise_cell

ITEMS_SHEET, CODES_SHEET, ABOUT_SHEET = "Code", "Codes", "About"
CODING, ADJUDICATION = "coding", "adjudication"
CODE_COLUMN, REMARK_COLUMN = "code", "remark"
MAX_CELL = 32_767  # characters an Excel cell holds
MARKER = "rednote_dagster coding workbook"

INSTRUCTIONS = {
    CODING: (
        "Read each row and choose its code in the column 'code' (the drop-down; sheet Codes says what each code "
        "means). Use 'remark' for doubts. Code on your own, save, and hand the file back unchanged otherwise."
    ),
    ADJUDICATION: (
        "The coders disagree on these items; their codes are in the columns 'code by …'. Choose the resolved "
        "code in the column 'code' (drop-down; sheet Codes says what each means) and note why in 'remark'."
    ),
}
_WIDTHS = {"item_id": 27, "entity": 9, "comments": 80, CODE_COLUMN: 12, REMARK_COLUMN: 30}


def coder_column(coder: str) -> str:
    """The locked column of a disagreement sheet that shows ``coder``'s code."""
    return f"code by {coder}"


def _text(value: object) -> str:
    text = "" if value is None else str(value)
    text = ILLEGAL_CHARACTERS_RE.sub("", neutralise_cell(text))
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _restore(value: object) -> str | None:
    """A cell's text as written before :func:`_text` made it inert."""
    if value is None:
        return None
    text = str(value)
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_LEADS) else text


def write_workbook(path: Path, target: CodingTarget, rows: pl.DataFrame, *, kind: str, coder: str) -> Path:
    """``rows``: entity, item_id, then the locked columns to show (context fields, coders' codes), in order."""
    shown = [c for c in rows.columns if c not in ("entity", "item_id")]
    columns = ["item_id", *(["entity"] if len(target.entities) > 1 else []), *shown, CODE_COLUMN, REMARK_COLUMN]
    wb = Workbook()
    ws = wb.active
    ws.title = ITEMS_SHEET
    ws.append([FIELD_HEADERS.get(c, c) for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    editable = Protection(locked=False)
    locked = [c for c in columns if c not in (CODE_COLUMN, REMARK_COLUMN)]
    for r, row in enumerate(rows.select(locked).iter_rows(), start=2):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=_text(value))
            cell.data_type = "s"
            cell.alignment = wrap
        for c in range(len(locked) + 1, len(columns) + 1):
            ws.cell(row=r, column=c).protection = editable
    for i, name in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = _WIDTHS.get(name, 18 if name.startswith("code by") else 50)
    ws.freeze_panes = "B2"

    codes = wb.create_sheet(CODES_SHEET)
    codes.append(["code", "name", "description"])
    for label in target.scheme.labels:
        codes.append([label.code, label.name, label.description])
    for letter, width in zip("ABC", (10, 34, 100)):
        codes.column_dimensions[letter].width = width
    last = len(target.scheme.labels) + 1
    code_letter = get_column_letter(columns.index(CODE_COLUMN) + 1)
    validation = DataValidation(
        type="list",
        formula1=f"{CODES_SHEET}!$A$2:$A${last}",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Not a code of this scheme",
        error="Choose one of the codes in the list (sheet Codes says what each means).",
        showInputMessage=True,
        promptTitle=f"{target.name} code",
        prompt="Choose from the list; sheet Codes describes each code.",
    )
    validation.add(f"{code_letter}2:{code_letter}{rows.height + 1}")
    ws.add_data_validation(validation)

    about = wb.create_sheet(ABOUT_SHEET)
    for key, value in (
        ("workbook", MARKER),
        ("scheme", target.name),
        ("scheme version", target.scheme.version),
        ("kind", kind),
        ("coder", coder),
        ("entities", ",".join(target.entities)),
        ("items", rows.height),
        ("written at", dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
        ("instructions", INSTRUCTIONS[kind]),
    ):
        about.append([key, value])
    about.column_dimensions["A"].width, about.column_dimensions["B"].width = 16, 110
    for sheet in (ws, codes, about):
        sheet.protection.sheet = True
        sheet.protection.formatColumns = False  # coders may widen columns and rows to read
        sheet.protection.formatRows = False
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


@dataclass(frozen=True)
class FilledWorkbook:
    """What a returned workbook says: its kind, scheme and coder (sheet About) and one row per item:
    entity, item_id, raw_code (the cell as text, None if empty), remark."""

    path: Path
    kind: str
    scheme: str
    coder: str
    saved_at: str | None  # when it was last saved (the file's own property), ISO 8601 UTC
    rows: pl.DataFrame


def _about(wb) -> dict[str, str]:
    return {str(k): ("" if v is None else str(v)) for k, v, *_ in wb[ABOUT_SHEET].iter_rows(values_only=True) if k}


def _cell_code(value: object) -> str | None:
    """A code cell as text: Excel may store a typed -2 as the number -2.0."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _column(line: tuple, at: dict[str, int], name: str) -> object:
    return line[at[name]] if name in at and at[name] < len(line) else None


def read_workbook(path: Path) -> FilledWorkbook:
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        about = _about(wb) if ABOUT_SHEET in wb.sheetnames else {}
        if about.get("workbook") != MARKER or ITEMS_SHEET not in wb.sheetnames:
            raise ValueError(
                f"{path}: not a coding workbook written by this project (its sheet {ABOUT_SHEET!r} says so)"
            )
        lines = wb[ITEMS_SHEET].iter_rows(values_only=True)
        header = [str(h) if h is not None else "" for h in next(lines, ())]
        missing = [c for c in ("item_id", CODE_COLUMN) if c not in header]
        if missing:
            raise ValueError(f"{path}: sheet {ITEMS_SHEET!r} has no column {missing[0]!r}")
        at = {name: header.index(name) for name in ("item_id", "entity", CODE_COLUMN, REMARK_COLUMN) if name in header}
        single = about.get("entities", "").split(",")[0]
        records = []
        for line in lines:
            item = _restore(_column(line, at, "item_id"))
            if not item:
                continue  # a blank line below the table
            records.append(
                {
                    "entity": _restore(_column(line, at, "entity")) or single,
                    "item_id": item.strip(),
                    "raw_code": _cell_code(_column(line, at, CODE_COLUMN)),
                    "remark": _restore(_column(line, at, REMARK_COLUMN)),
                }
            )
        modified = wb.properties.modified
    finally:
        wb.close()
    saved_at = modified.replace(tzinfo=dt.UTC).isoformat(timespec="seconds") if modified else None
    return FilledWorkbook(
        path=path,
        kind=about.get("kind", CODING),
        scheme=about.get("scheme", ""),
        coder=about.get("coder", ""),
        saved_at=saved_at,
        rows=pl.DataFrame(
            records, schema={"entity": pl.String, "item_id": pl.String, "raw_code": pl.String, "remark": pl.String}
        ),
    )
