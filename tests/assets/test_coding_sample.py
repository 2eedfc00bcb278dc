"""The manual coding workflow on the bundled small corpus, end to end (issue: the manual coding workflow).

The corpus generator's simulated coders coded 20 % of the notes (``_manual/taxonomy_coding.csv``). Here that
draw is the sample drawn before; analysis/coding_sample_taxonomy hands it out as two workbooks, the simulated
coders' codes are filled in as a coder would (openpyxl), ``python -m rednote_dagster coding import`` takes them
back, the disagreement sheet is resolved and imported; the coding file then equals the original and κ
(lib/coding.table_agreement, what analysis/coding_agreement computes) is the same table to the last digit."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import dagster as dg
import duckdb
import openpyxl
import polars as pl
import pytest

from rednote_dagster.__main__ import main
from rednote_dagster.defs.analysis.coding_sample import coding_samples
from rednote_dagster.defs.ingest.assets import raw_comments, raw_notes
from rednote_dagster.defs.resources import build_resources
from rednote_dagster.lib.coding import CODED_TABLES, read_manual_coding, table_agreement
from rednote_dagster.lib.coding_workflow.adjudication import adjudicated_consensus
from rednote_dagster.lib.coding_workflow.coding_files import read_codes
from rednote_dagster.lib.coding_workflow.handout import coding_folder, read_sample, write_sample
from rednote_dagster.lib.coding_workflow.targets import TARGETS
from rednote_dagster.lib.coding_workflow.workbook import ITEMS_SHEET
from rednote_dagster.lib.corpus import generate_corpus
from rednote_dagster.lib.settings import DataPaths

TAXONOMY = TARGETS["taxonomy"]
(TAXONOMY_TABLE,) = [c for c in CODED_TABLES if c.table == "enrich.note_topics"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The small corpus (seed 0) ingested into a warehouse; the simulated codings left in inbox/_manual."""
    root = tmp_path_factory.mktemp("coding") / "data"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("REDNOTE_DATA_DIR", str(root))
        env.setenv("REDNOTE_PSEUDONYM_KEY", "test-key")
        env.setenv("DAGSTER_HOME", str(root.parent / "dagster_home"))
        (root.parent / "dagster_home").mkdir()
        generate_corpus(root / "inbox", "small", seed=0)
        paths = DataPaths(root)
        resources = build_resources(paths)
        for month in paths.inbox_months():
            assert dg.materialize([raw_notes, raw_comments], resources=resources, partition_key=f"{month}-01").success
        yield paths, resources


def materialize(name: str, resources, **config):
    """One scheme's sample (the multi-asset can be subset), with its own config."""
    return dg.materialize(
        [coding_samples],
        selection=[dg.AssetKey(["analysis", name])],
        resources=resources,
        run_config={"ops": {"coding_samples": {"config": config}}},
    )


def fill(path: Path, code_of: dict[str, str], column: str = "code") -> int:
    """A coder at work: a code for every row, then save. Returns the rows filled."""
    wb = openpyxl.load_workbook(path)
    ws = wb[ITEMS_SHEET]
    at = [c.value for c in ws[1]].index(column)
    rows = 0
    for row in ws.iter_rows(min_row=2):
        row[at].value = code_of[row[0].value]
        rows += 1
    wb.save(path)
    return rows


def model_codes(con: duckdb.DuckDBPyConnection, truth: pl.DataFrame) -> None:
    """enrich.note_topics as a model that is right on most notes: the planted code, or '7' for one note in six."""
    wrong = pl.col("note_id").map_elements(
        lambda n: hashlib.sha256(n.encode()).digest()[0] < 43, return_dtype=pl.Boolean
    )
    con.register(
        "model", truth.with_columns(pl.when(wrong).then(pl.lit("7")).otherwise("code").alias("code")).to_arrow()
    )
    con.execute("CREATE SCHEMA IF NOT EXISTS enrich")
    con.execute("""CREATE OR REPLACE TABLE enrich.note_topics AS
                   SELECT n.note_id, n.collection_month, m.code FROM raw.notes n JOIN model m USING (note_id)""")


def test_the_taxonomy_sample_round_trip_reproduces_the_coding_and_its_kappa(corpus, capsys):
    paths, resources = corpus
    simulated = paths.inbox / "_manual" / "taxonomy_coding.csv"
    original = read_manual_coding(simulated)
    code_of = {(n, c): k for n, c, k in original.iter_rows()}
    folder = coding_folder(paths.root, TAXONOMY)
    # the generator's draw as the sample drawn before; nothing is coded in manual/ yet
    write_sample(
        folder.sample, original.select(pl.lit("note").alias("entity"), pl.col("note_id").alias("item_id")).unique()
    )

    assert materialize("coding_sample_taxonomy", resources, share=0.2).success
    sample = read_sample(folder.sample)
    assert sample.height == 400 and set(sample["reason"]) == {"previous"} and sample["in_warehouse"].all()
    workbooks = sorted(folder.workbooks.glob("*.xlsx"))
    assert [p.name.split("-")[1] for p in workbooks] == ["coder_a", "coder_b"]
    for path in workbooks:
        coder = path.name.split("-")[1]
        assert fill(path, {n: code_of[(n, coder)] for n in sample["item_id"]}) == 400

    assert main(["coding", "import", *map(str, workbooks)]) == 0
    printed = capsys.readouterr().out
    assert "400 coded: 400 added" in printed and "✗" not in printed
    imported = read_manual_coding(paths.manual / TAXONOMY.coding_file)
    assert imported.sort("note_id", "coder").equals(original.sort("note_id", "coder"))

    truth = pl.read_csv(paths.inbox / "_truth" / "notes.csv", infer_schema=False).select("note_id", "code")
    with duckdb.connect(str(paths.warehouse)) as con:
        model_codes(con, truth)
        before = table_agreement(con, TAXONOMY_TABLE, TAXONOMY_TABLE.read_coding(simulated.parent), 0.5)
        after = table_agreement(con, TAXONOMY_TABLE, TAXONOMY_TABLE.read_coding(paths.manual), 0.5)
    assert after.equals(before)
    headline = after.filter((pl.col("language") == "all") & (pl.col("level") == "code"))
    kappa = dict(headline.select("comparison", "kappa").iter_rows())
    assert 0.6 < kappa["coder_a_vs_coder_b"] < 0.9 and 0.5 < kappa["model_vs_consensus"] < 0.95

    # adjudication: the next materialization writes the disagreement sheet; the adjudicator picks the planted code
    assert materialize("coding_sample_taxonomy", resources, share=0.2).success
    (sheet,) = folder.adjudication.glob("*.xlsx")
    disputed = original.group_by("note_id").agg(pl.col("code").n_unique()).filter(pl.col("code") > 1)
    planted = dict(truth.iter_rows())
    assert fill(sheet, planted) == disputed.height > 0
    assert main(["coding", "import", str(sheet)]) == 0
    coding = read_codes(paths.manual / TAXONOMY.coding_file, TAXONOMY)
    adjudication = read_codes(paths.manual / TAXONOMY.adjudication_file, TAXONOMY)
    assert adjudication.height == disputed.height and set(adjudication["coder"]) == {"adjudicator"}
    consensus = adjudicated_consensus(coding, adjudication)
    assert consensus.height == 400 and consensus.filter(pl.col("how") == "adjudicated").height == disputed.height
    assert (
        read_manual_coding(paths.manual / TAXONOMY.coding_file)
        .sort("note_id", "coder")
        .equals(original.sort("note_id", "coder"))
    ), "adjudication leaves the coders' codes as they were"

    # the sample grows: 25 % keeps the 400 coded notes and draws 100; the filled workbooks are not touched
    stamps = {p: os.stat(p).st_mtime_ns for p in workbooks}
    assert materialize("coding_sample_taxonomy", resources, share=0.25).success
    grown = read_sample(folder.sample)
    assert grown.height == 500 and grown.filter(pl.col("reason") == "coded").height == 400
    assert {p: os.stat(p).st_mtime_ns for p in workbooks} == stamps
    new = sorted(set(folder.workbooks.glob("*.xlsx")) - set(workbooks))
    assert [p.name.split("-")[2] for p in new] == ["100items", "100items"]
    assert list(folder.adjudication.glob("*.xlsx")) == [sheet], "no new sheet: every disagreement is resolved"
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        stored = con.execute("SELECT count(*), count(note_id) FROM analysis.coding_sample_taxonomy").fetchall()[0]
    assert stored == (500, 500)


def test_a_comment_scheme_gets_the_comment_and_its_post_title(corpus):
    paths, resources = corpus
    result = materialize("coding_sample_emotion", resources, count=60, coders=["ana"])
    assert result.success
    folder = coding_folder(paths.root, TARGETS["emotion"])
    (workbook,) = folder.workbooks.glob("emotion-ana-60items-*.xlsx")
    header = [c.value for c in openpyxl.load_workbook(workbook)[ITEMS_SHEET][1]]
    assert header == ["item_id", "comment", "post title", "code", "remark"]
    (mat,) = result.get_asset_materialization_events()
    meta = mat.materialization.metadata
    assert meta["newly_drawn"].value == 60 and meta["to_code"].value == {"ana": 60}
    assert "language" in meta["strata"].value
    (tasks,) = folder.label_studio.glob("emotion-tasks-60items-*.json")
    assert tasks.read_text(encoding="utf-8").count('"item_id"') == 60
    assert materialize("coding_sample_emotion", resources, count=60, coders=["ana"]).success
    assert len(list(folder.workbooks.glob("*.xlsx"))) == 1, "nothing new to hand out: no new file"

    # the same from a terminal, on the warehouse read-only: a larger count hands ana only the 20 new comments
    assert main(["coding", "prepare", "--scheme", "emotion", "--count", "80", "--coder", "ana"]) == 0
    assert read_sample(folder.sample).filter(pl.col("reason") == "previous").height == 60
    (grown,) = folder.workbooks.glob("emotion-ana-20items-*.xlsx")
    handed = pl.read_csv(folder.handed_out)
    assert handed.filter(pl.col("handed_to") == "ana").height == 80 and handed["item_id"].n_unique() == 80
    assert handed.filter(pl.col("file") == grown.name).height == 20
