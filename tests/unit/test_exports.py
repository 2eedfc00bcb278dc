"""lib/exports.py and its users: no export carries a live spreadsheet formula or a NUL, a full disk leaves
the previous good file and no debris, and a failed warehouse write reports its own error."""

from __future__ import annotations

import csv
import errno
import os
from pathlib import Path

import dagster as dg
import duckdb
import openpyxl
import polars as pl
import pyarrow as pa
import pytest
from dagster_duckdb import DuckDBResource

from rednote_dagster.defs.analysis.qualitative import SamplingFrameConfig, sampling_frame
from rednote_dagster.defs.resources import RednoteData
from rednote_dagster.lib import exports
from rednote_dagster.lib.exports import atomic_path, neutralise_cell, write_csv, write_xlsx
from rednote_dagster.lib.report import build
from rednote_dagster.lib.report.build import StudyReport, export_tables, write_report
from rednote_dagster.lib.warehouse import PartitionWrite, replace_partitions

FORMULAS = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x","click")']
NUL = "a\x00b"
PLAIN = ["plain text", "猫税 cat tax", "1+1=2"]


def frame() -> pl.DataFrame:
    texts = [*FORMULAS, NUL, *PLAIN]
    return pl.DataFrame({"text": texts, "n": [-5, *range(len(texts) - 1)], "x": [-0.5] * len(texts)})


def expected_text(value: str) -> str:
    return "'" + value if value in FORMULAS else value.replace("\x00", "")


def assert_safe_rows(rows: list[dict], text_cols: list[str], number_cols: list[str] = (), xml: bool = False) -> None:
    """Every formula-leading cell prefixed, no NUL anywhere, ordinary text and numbers as they were.
    ``xml``: read from XLSX, whose XML reads a stored CR back as LF."""
    assert rows
    seen = set()
    for row in rows:
        for col in text_cols:
            value = row[col]
            assert "\x00" not in value
            assert not value.startswith(exports.FORMULA_LEADS), value
            seen.add(value)
        for col in number_cols:
            assert not str(row[col]).startswith("'")
    assert (
        {"'" + (f.replace("\r", "\n") if xml else f) for f in FORMULAS} <= seen and "ab" in seen and set(PLAIN) <= seen
    )


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def read_xlsx(path: Path) -> list[dict]:
    ws = openpyxl.load_workbook(path).active
    header, *rows = ws.iter_rows(values_only=True)
    for row in ws.iter_rows(min_row=2):  # text cells are stored as text, never as formulas
        assert all(c.data_type in ("s", "n") for c in row)
    return [dict(zip(header, row)) for row in rows]


def test_neutralise_cell():
    for value in FORMULAS:
        assert neutralise_cell(value) == "'" + value
    assert neutralise_cell(NUL) == "ab" and neutralise_cell("\x00=1") == "'=1"
    for value in PLAIN:
        assert neutralise_cell(value) == value


def test_csv_and_xlsx_writers(tmp_path):
    df = frame()
    rows = read_csv(write_csv(df, tmp_path / "t.csv"))
    assert_safe_rows(rows, ["text"], ["n", "x"])
    assert [int(r["n"]) for r in rows] == df["n"].to_list() and rows[0]["x"] == "-0.5"
    assert [r["text"] for r in rows] == [expected_text(v) for v in df["text"]]

    sheet = read_xlsx(write_xlsx(df, tmp_path / "t.xlsx", sheet="t"))
    assert_safe_rows(sheet, ["text"], ["n", "x"], xml=True)
    assert [r["n"] for r in sheet] == df["n"].to_list()  # numbers stay numbers: -5 is an int, not "'-5"
    assert sheet[0]["x"] == -0.5
    assert sorted(os.listdir(tmp_path)) == ["t.csv", "t.xlsx"]


def test_sampling_frame_exports_are_safe(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    texts = [*FORMULAS, NUL, *PLAIN]
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA intermediate")
        notes = pl.DataFrame(
            {
                "note_id": [f"n{i}" for i in range(len(texts))],
                "title": texts,
                "description": [f"{t} #cattax[话题]#" for t in texts],
                "liked_count": list(range(len(texts))),
                "comment_count": [1] * len(texts),
                "collected_count": [0] * len(texts),
            }
        )
        comments = pl.DataFrame(
            {
                "comment_id": [f"c{i}" for i in range(len(texts))],
                "note_id": notes["note_id"],
                "parent_comment_id": [None] * len(texts),
                "content": texts,
                "like_count": [-5] * len(texts),
                "created_at": pl.datetime_range(
                    pl.datetime(2025, 1, 14),
                    pl.datetime(2025, 1, 14, 0, len(texts) - 1),
                    "1m",
                    time_zone="UTC",
                    eager=True,
                ),
            }
        )
        con.register("notes", notes)
        con.register("comments", comments)
        con.execute("CREATE TABLE intermediate.int_notes_current AS SELECT * FROM notes")
        con.execute("CREATE TABLE intermediate.int_comments_current AS SELECT * FROM comments")
    sampling_frame(
        dg.build_asset_context(),
        SamplingFrameConfig(hashtags=["cattax"], volumes=[1.0], posts=len(texts)),
        duckdb=DuckDBResource(database=str(db)),
        rednote=RednoteData(data_dir=str(tmp_path)),
    )
    out = tmp_path / "reports" / "sampling_frame"
    assert sorted(p.name for p in out.iterdir()) == ["comments.csv", "comments.xlsx", "posts.csv", "posts.xlsx"]
    assert_safe_rows(read_csv(out / "posts.csv"), ["title"], ["ranked_value"])
    assert_safe_rows(read_xlsx(out / "posts.xlsx"), ["title"], xml=True)
    assert_safe_rows(read_csv(out / "comments.csv"), ["content"], ["like_count"])
    sheet = read_xlsx(out / "comments.xlsx")
    assert_safe_rows(sheet, ["content"], ["like_count"], xml=True)
    assert {r["like_count"] for r in sheet} == {-5}


def exported_warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    df = frame()  # noqa: F841 - read by the query below
    con.execute("CREATE TABLE marts.t AS SELECT text, n, x, [text, 'y'] AS pair FROM df")
    return con


def test_export_tables_neutralises_csv_and_keeps_parquet_raw(tmp_path):
    con = exported_warehouse()
    written = export_tables(con, tmp_path)
    assert sorted(p.name for p in written) == ["t.csv", "t.parquet"]
    rows = read_csv(tmp_path / "marts" / "t.csv")
    assert_safe_rows(rows, ["text"], ["n", "x"])
    assert rows[0]["n"] == "-5" and rows[0]["pair"] == "['=1+1', y]"  # nested columns as DuckDB's text
    raw = pl.read_parquet(tmp_path / "marts" / "t.parquet")
    assert raw["text"].to_list() == frame()["text"].to_list()  # data for code: the values as they are
    assert sorted(os.listdir(tmp_path / "marts")) == ["t.csv", "t.parquet"]


def enospc() -> OSError:
    return OSError(errno.ENOSPC, "No space left on device")


def partial_then_full(error: OSError):
    """A writer that gets a few bytes onto the disk and then runs out of space."""

    def write(self, path, *args, **kwargs):
        Path(path).write_bytes(b"partial,out")
        raise error

    return write


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_full_disk_during_csv_and_xlsx_keeps_the_good_file(tmp_path, monkeypatch):
    df = frame()
    write_csv(df, tmp_path / "t.csv")
    write_xlsx(df, tmp_path / "t.xlsx")
    good = snapshot(tmp_path)
    error = enospc()
    monkeypatch.setattr(pl.DataFrame, "write_csv", partial_then_full(error))
    monkeypatch.setattr(openpyxl.Workbook, "save", partial_then_full(error))
    with pytest.raises(OSError) as raised:
        write_csv(df.head(2), tmp_path / "t.csv")
    assert raised.value is error
    with pytest.raises(OSError) as raised:
        write_xlsx(df.head(2), tmp_path / "t.xlsx")
    assert raised.value is error
    assert snapshot(tmp_path) == good


def test_full_disk_during_report_keeps_the_good_report(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "render_html", lambda report, stamp: f"<html>{stamp}</html>")
    path = tmp_path / "report.html"
    write_report(StudyReport.__new__(StudyReport), path, generated_at="first")
    good = snapshot(tmp_path)

    error = enospc()
    real_write_text = Path.write_text

    def write_text(self, data, *args, **kwargs):
        real_write_text(self, data[:5], *args, **kwargs)
        raise error

    monkeypatch.setattr(Path, "write_text", write_text)
    with pytest.raises(OSError) as raised:
        write_report(StudyReport.__new__(StudyReport), path, generated_at="second")
    assert raised.value is error
    assert snapshot(tmp_path) == good  # no report.tmp, no half report


@pytest.mark.parametrize("stage", ["csv", "parquet"])
def test_full_disk_during_export_tables_keeps_the_good_exports(tmp_path, monkeypatch, stage):
    con = exported_warehouse()
    export_tables(con, tmp_path)
    good = snapshot(tmp_path / "marts")
    con.execute("UPDATE marts.t SET n = n + 100")
    error = enospc()
    if stage == "csv":
        monkeypatch.setattr(pl.DataFrame, "write_csv", partial_then_full(error))
    else:  # DuckDB's COPY has written the parquet; the disk fills while flushing it
        real_fsync = os.fsync

        def fsync(fd):
            if os.readlink(f"/proc/self/fd/{fd}").endswith(".tmp") and ".parquet" in os.readlink(f"/proc/self/fd/{fd}"):
                raise error
            real_fsync(fd)

        monkeypatch.setattr(exports.os, "fsync", fsync)
    with pytest.raises(OSError) as raised:
        export_tables(con, tmp_path)
    assert raised.value is error
    # Each file is replaced whole or not at all: the one being written when the disk filled is the
    # previous good one, byte for byte, and no temp file is left (a CSV finished before stays new).
    after = snapshot(tmp_path / "marts")
    assert after.keys() == good.keys() and after[f"t.{stage}"] == good[f"t.{stage}"]


def test_atomic_path_removes_the_temp_file_on_error(tmp_path):
    (tmp_path / "f").write_text("good")
    with pytest.raises(ValueError), atomic_path(tmp_path / "f") as tmp:
        tmp.write_text("half")
        raise ValueError("boom")
    assert snapshot(tmp_path) == {"f": b"good"}


class FailingConnection:
    """A DuckDB connection whose statements fail the way a full disk makes them fail."""

    def __init__(self, con: duckdb.DuckDBPyConnection, fail_on: str, error: Exception):
        self.con, self.fail_on, self.error = con, fail_on, error

    def execute(self, sql: str, *args):
        if sql.startswith(self.fail_on):
            if sql == "COMMIT":  # the commit is what failed: DuckDB has ended the transaction
                self.con.execute("ROLLBACK")
            raise self.error
        return self.con.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self.con, name)


@pytest.mark.parametrize(
    "fail_on,error",
    [
        ("INSERT", OSError(errno.ENOSPC, "No space left on device")),
        ("COMMIT", duckdb.IOException("Could not write file: No space left on device")),
    ],
)
def test_failed_warehouse_write_surfaces_its_own_error(fail_on, error):
    con = duckdb.connect()
    replace_partitions(con, [PartitionWrite("raw.t", pa.table({"m": ["x"], "n": [1]}), {"m": "x"})])
    with pytest.raises(type(error)) as raised:
        replace_partitions(
            FailingConnection(con, fail_on, error),
            [PartitionWrite("raw.t", pa.table({"m": ["x"], "n": [2]}), {"m": "x"})],
        )
    assert raised.value is error
    assert "cannot rollback" not in str(raised.value)
    assert con.execute("SELECT * FROM raw.t").fetchall() == [("x", 1)]


def test_atomic_folder_replaces_the_whole_folder_or_nothing(tmp_path):
    from rednote_dagster.lib.exports import atomic_folder

    target = tmp_path / "model"
    target.mkdir()
    (target / "old.bin").write_bytes(b"old")
    with pytest.raises(OSError, match="No space"), atomic_folder(target) as scratch:
        (scratch / "half.bin").write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # no scratch folder left
    assert [p.name for p in target.iterdir()] == ["old.bin"]

    with atomic_folder(target) as scratch:
        (scratch / "new.bin").write_bytes(b"new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    assert [p.name for p in target.iterdir()] == ["new.bin"]  # nothing stale from the old one
