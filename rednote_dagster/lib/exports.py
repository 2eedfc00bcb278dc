"""The one writer for every file the project hands out (CSV, XLSX, parquet, the report HTML).

Two rules, applied here once so no export can forget them:

* Safe to open in a spreadsheet. Crawled note and comment text is written by strangers; a cell
  such as ``=HYPERLINK("http://x","click")`` would run as a formula when a coder opens the CSV in
  Excel. Following the OWASP CSV-injection advice, a text cell whose first character is one of
  ``= + - @ TAB CR`` gets a leading ``'``; NUL characters are dropped from every text cell (they
  truncate cells in some readers). Only text columns are touched: a negative number stays a number.
* Atomic. A file is written to a temporary name in the same folder, fsynced and renamed onto the
  target, so a full disk (or a crash) leaves the previous good file, no debris, and the original
  error (e.g. ENOSPC) as the error raised.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl

# First characters a spreadsheet reads as the start of a formula (OWASP "CSV Injection").
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
_LEAD_PATTERN = "^[" + "".join("\\" + c if c in "-\\]^" else c for c in FORMULA_LEADS) + "]"
_TEXT_TYPES = (pl.String, pl.Categorical, pl.Enum)


def neutralise_cell(value: str) -> str:
    """One text cell made inert: NULs dropped, a formula-leading cell prefixed with ``'``."""
    value = value.replace("\x00", "")
    return "'" + value if value.startswith(FORMULA_LEADS) else value


def neutralise_frame(df: pl.DataFrame) -> pl.DataFrame:
    """:func:`neutralise_cell` on every text column, vectorised (exports run to tens of thousands of rows)."""
    text = [name for name, dtype in df.schema.items() if isinstance(dtype, _TEXT_TYPES)]
    if not text:
        return df
    # NULs go first, so "\\x00=1" is seen as the formula it becomes.
    cleaned = pl.col(text).cast(pl.String).str.replace_all("\x00", "", literal=True)
    return df.with_columns(
        pl.when(cleaned.str.contains(_LEAD_PATTERN)).then(pl.lit("'") + cleaned).otherwise(cleaned).name.keep()
    )


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success fsync it and rename it onto ``path``,
    on any error remove it and re-raise, leaving the previous ``path`` as it was."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Same folder, so os.replace is a rename on one filesystem (atomic), never a copy.
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        # Whoever wrote the file (polars, openpyxl, DuckDB COPY), its bytes reach the disk before the
        # rename: otherwise a crash could leave the new name pointing at an empty file.
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        # mkstemp makes the file 0600; keep the mode of the file replaced, or the usual 0644.
        os.chmod(tmp, target.stat().st_mode & 0o777 if target.exists() else 0o644)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_folder(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield an empty temporary folder next to ``path``; on success it replaces ``path`` whole (the
    old folder is moved aside, the new one renamed in, the old one removed), on any error it is removed
    and ``path`` stays as it was. For outputs that are folders: model directories, the share package."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    previous = target.with_name(f".{target.name}.previous")
    try:
        yield scratch
        shutil.rmtree(previous, ignore_errors=True)  # left by a crash between the two renames
        if target.exists():
            target.rename(previous)
        scratch.rename(target)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    shutil.rmtree(previous, ignore_errors=True)


def write_csv(df: pl.DataFrame, path: str | os.PathLike[str]) -> Path:
    """``df`` as CSV at ``path``, text cells neutralised, written atomically."""
    with atomic_path(path) as tmp:
        neutralise_frame(df).write_csv(tmp)
    return Path(path)


def write_xlsx(df: pl.DataFrame, path: str | os.PathLike[str], sheet: str = "Sheet1") -> Path:
    """``df`` as one XLSX sheet for coders: text cells neutralised and typed as text (``s``, format
    ``@``) so Excel never evaluates them; numbers stay numbers. Written atomically."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    frame = neutralise_frame(df)
    # XLSX has no time zones: such timestamps go in as their text (with the offset) rather than fail.
    frame = frame.with_columns(
        pl.col(name).cast(pl.String)
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None
    )
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)

    def cell(value: object) -> WriteOnlyCell:
        if isinstance(value, str):
            # Control characters other than TAB/CR/LF are not allowed in the XML; openpyxl would refuse
            # the whole workbook for one stray \x0b in a comment.
            c = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", value))
            c.data_type = "s"
            c.number_format = "@"
            return c
        return WriteOnlyCell(ws, value=value)

    ws.append([cell(name) for name in frame.columns])
    for row in frame.iter_rows():
        ws.append([cell(v) for v in row])
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return Path(path)


def write_for_coders(frames: dict[str, pl.DataFrame], folder: str | os.PathLike[str]) -> list[Path]:
    """Each frame as ``folder/<name>.csv`` and ``folder/<name>.xlsx`` (sheet ``<name>``)."""
    out = Path(folder)
    written = []
    for name, df in frames.items():
        written += [write_csv(df, out / f"{name}.csv"), write_xlsx(df, out / f"{name}.xlsx", sheet=name)]
    return written
