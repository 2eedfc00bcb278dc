"""The manual coding workflow (lib/coding_workflow): the stratified growing sample, the coder workbook round
trip, Label Studio's config and documented export format, validated imports, adjudication. The same workflow on
the bundled corpus, with κ reproduced, is tests/assets/test_coding_sample.py; against a running Label Studio,
tests/test_label_studio_round_trip.py."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import polars as pl
import pytest

from rednote_dagster.lib.apportion import largest_remainder
from rednote_dagster.lib.coding import coding_agreement, read_adjudication, read_manual_coding
from rednote_dagster.lib.coding import consensus as consensus_of
from rednote_dagster.lib.coding_workflow.adjudication import adjudicated_consensus, disagreements, unresolved
from rednote_dagster.lib.coding_workflow.coding_files import read_codes, write_codes
from rednote_dagster.lib.coding_workflow.importing import (
    CodingImportError,
    import_submissions,
    label_studio_submission,
    parse_code,
    read_submission,
)
from rednote_dagster.lib.coding_workflow.label_studio import (
    CODE_CONTROL,
    choice_value,
    label_studio_tasks,
    labelling_config,
)
from rednote_dagster.lib.coding_workflow.sample import STRATA, SampleSize, draw_sample
from rednote_dagster.lib.coding_workflow.targets import TARGETS
from rednote_dagster.lib.coding_workflow.workbook import (
    ABOUT_SHEET,
    ADJUDICATION,
    CODES_SHEET,
    CODING,
    ITEMS_SHEET,
    coder_column,
    write_workbook,
)
from rednote_dagster.lib.labelling.schemes import SENTIMENT
from rednote_dagster.lib.taxonomy import TOPIC_CODES

TAXONOMY, EMOTION = TARGETS["taxonomy"], TARGETS["emotion"]


def population(n: int = 3000, seed: int = 1) -> pl.DataFrame:
    """Notes over uneven strata: three months, three phases, four languages."""
    rng = random.Random(seed)
    return pl.DataFrame(
        {
            "entity": ["note"] * n,
            "item_id": [f"n{i:05d}" for i in range(n)],
            "first_month": [
                rng.choice([dt.date(2025, 1, 1)] * 6 + [dt.date(2025, 2, 1)] * 3 + [dt.date(2025, 6, 1)])
                for _ in range(n)
            ],
            "phase": [rng.choice(["pre_ban", "surge", "surge", "surge", "stabilization"]) for _ in range(n)],
            "language": [rng.choice(["en"] * 5 + ["zh"] * 3 + ["mixed", "none"]) for _ in range(n)],
        }
    )


def by_stratum(frame: pl.DataFrame) -> dict:
    return {tuple(r[:-1]): r[-1] for r in frame.group_by(STRATA).len().iter_rows()}


def test_the_sample_is_proportional_per_stratum_seeded_and_independent_of_row_order():
    items = population()
    sample = draw_sample(items, SampleSize(share=0.1), seed=7)
    assert sample.height == 300 and set(sample["reason"]) == {"drawn"} and sample["in_warehouse"].all()
    sizes = by_stratum(items)
    strata = sorted(sizes)
    quotas = dict(zip(strata, largest_remainder(300, [sizes[s] for s in strata])))
    got = by_stratum(sample)
    assert {s: got.get(s, 0) for s in strata} == quotas
    shuffled = items.sample(fraction=1.0, shuffle=True, seed=3)
    assert draw_sample(shuffled, SampleSize(share=0.1), seed=7).equals(sample)
    other = draw_sample(items, SampleSize(share=0.1), seed=8)
    assert len(set(other["item_id"]) & set(sample["item_id"])) < 100  # another seed, another sample
    assert draw_sample(items, SampleSize(count=300), seed=7).equals(sample)


def test_the_sample_grows_keeping_coded_and_earlier_items():
    items = population()
    small = draw_sample(items, SampleSize(share=0.1), seed=7)
    larger = draw_sample(items, SampleSize(share=0.2), seed=7)
    assert set(small["item_id"]) < set(larger["item_id"]) and larger.height == 600

    # 250 coded items all in one stratum, plus 2 coded items no longer in the warehouse
    one_stratum = (
        (pl.col("first_month") == dt.date(2025, 1, 1)) & (pl.col("phase") == "surge") & (pl.col("language") == "en")
    )
    stratum = items.filter(one_stratum).head(250)
    keep = pl.concat(
        [
            stratum.select("entity", "item_id", pl.lit("coded").alias("reason")),
            pl.DataFrame({"entity": ["note", "note"], "item_id": ["gone1", "gone2"], "reason": ["coded", "coded"]}),
        ]
    )
    grown = draw_sample(items, SampleSize(share=0.1), seed=7, keep=keep)
    assert set(keep["item_id"]) <= set(grown["item_id"])
    assert grown.filter(~pl.col("in_warehouse"))["item_id"].to_list() == ["gone1", "gone2"]
    in_warehouse = grown.filter(pl.col("in_warehouse"))
    assert in_warehouse.height == 300, "kept items count towards the size"
    # the shortfall goes to the strata below their quota, none to the over-full one
    over = stratum.row(0, named=True)
    over_key = tuple(over[c] for c in STRATA)
    assert by_stratum(in_warehouse)[over_key] == 250
    # more kept items than the target: nothing is drawn, nothing dropped
    everything = draw_sample(items, SampleSize(count=100), seed=7, keep=keep)
    assert everything.height == 252 and "drawn" not in set(everything["reason"])


def test_sample_size_is_a_share_or_a_count():
    assert SampleSize(share=0.2).of(1001) == 200 and SampleSize(count=50).of(20) == 20
    for bad in ({}, {"share": 0.2, "count": 3}, {"share": 0.0}, {"share": 1.5}, {"count": -1}):
        with pytest.raises(ValueError):
            SampleSize(**bad)


def taxonomy_items() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "entity": ["note"] * 4,
            "item_id": ["a1", "a2", "a3", "a4"],
            "title": ['=HYPERLINK("http://x","click")', "dumplings", "ban", "cats"],
            "description": ["x\x0by", "I made dumplings", "the ban is coming", "cat tax " * 5000],
            "comments": ["1. hi", "1. recipe please\n2. looks tasty", "No comments available.", "1. meow"],
        }
    )


def fill(path: Path, codes: dict[str, object], column: str = "code", remarks: dict[str, str] | None = None) -> None:
    """What a coder does in Excel: pick codes (and write a remark), save."""
    wb = openpyxl.load_workbook(path)
    ws = wb[ITEMS_SHEET]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        item = row[0].value
        if item in codes:
            row[header.index(column)].value = codes[item]
        if remarks and item in remarks:
            row[header.index("remark")].value = remarks[item]
    wb.save(path)


def test_a_coder_workbook_locks_the_text_offers_the_codes_and_reads_back(tmp_path):
    path = write_workbook(tmp_path / "wb.xlsx", TAXONOMY, taxonomy_items(), kind=CODING, coder="coder_a")
    assert not list(tmp_path.glob(".*tmp")), "written through a temporary file"
    wb = openpyxl.load_workbook(path)
    ws = wb[ITEMS_SHEET]
    header = [c.value for c in ws[1]]
    assert header == ["item_id", "post title", "post text", "top 10 comments, most liked first", "code", "remark"]
    assert ws.protection.sheet and wb[CODES_SHEET].protection.sheet
    code_col, text_col = header.index("code"), header.index("post text")
    for row in ws.iter_rows(min_row=2):
        assert row[text_col].protection.locked and row[0].protection.locked
        assert not row[code_col].protection.locked and not row[code_col + 1].protection.locked
    assert ws["B2"].value.startswith("'=") and ws["B2"].data_type == "s", "a formula from a stranger stays text"
    assert ws["C2"].value == "xy" and len(ws["C5"].value) == 32_767
    (validation,) = ws.data_validations.dataValidation
    assert validation.type == "list" and validation.formula1 == f"{CODES_SHEET}!$A$2:$A$15"
    assert str(validation.sqref) == "E2:E5"
    codes = list(wb[CODES_SHEET].iter_rows(min_row=2, values_only=True))
    assert [c[0] for c in codes] == list(TAXONOMY.scheme.codes) and codes[0][2] == TAXONOMY.scheme.labels[0].description
    about = dict(wb[ABOUT_SHEET].iter_rows(values_only=True))
    assert about["scheme"] == "taxonomy" and about["coder"] == "coder_a" and about["kind"] == CODING

    # any case, a name instead of a code, one left empty
    fill(path, {"a1": "1A", "a2": "Food, Lifestyle & Fashion", "a3": " 1a "}, remarks={"a3": "unsure"})
    submission = read_submission(path)
    assert submission.target is TAXONOMY and submission.kind == CODING
    reports = import_submissions([submission], tmp_path / "manual")
    (report,) = reports
    assert report.ok and (report.added, report.coded, report.rows) == (3, 3, 4)
    assert any("1 items left uncoded" in n and "a4" in n for n in report.notes)
    coding = read_manual_coding(tmp_path / "manual" / "taxonomy_coding.csv")
    assert coding.rows() == [("a1", "coder_a", "1a"), ("a2", "coder_a", "2c"), ("a3", "coder_a", "1a")]
    recorded = read_codes(tmp_path / "manual" / "taxonomy_coding.csv", TAXONOMY)
    assert recorded["source"].to_list() == ["wb.xlsx"] * 3 and recorded["remark"].to_list()[2] == "unsure"
    assert dt.datetime.fromisoformat(recorded["coded_at"][0]) > dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)


def test_an_import_with_errors_writes_nothing_and_names_every_problem(tmp_path):
    manual = tmp_path / "manual"
    good = write_workbook(tmp_path / "good.xlsx", TAXONOMY, taxonomy_items(), kind=CODING, coder="coder_b")
    fill(good, {"a1": "1a", "a2": "2c"})
    bad = write_workbook(tmp_path / "bad.xlsx", TAXONOMY, taxonomy_items(), kind=CODING, coder="coder_a")
    fill(bad, {"a1": "food", "a2": "2c", "a3": "9z"})
    with pytest.raises(CodingImportError) as raised:
        import_submissions([read_submission(good), read_submission(bad)], manual)
    assert not (manual / "taxonomy_coding.csv").exists(), "all or nothing: the good file is not written either"
    message = str(raised.value)
    assert "2 codes that are not taxonomy codes" in message and "a1 'food'" in message and "a3 '9z'" in message
    assert [r.ok for r in raised.value.reports] == [True, False]


def export_task(item: str, *annotations: dict, scheme: str = "taxonomy") -> dict:
    """A task of Label Studio's JSON export as its docs show it (guide/task_format and export)."""
    return {
        "id": 10 + len(item),
        "data": {"item_id": item, "entity": "note", "scheme": scheme, "title": "t", "description": "d", "comments": ""},
        "annotations": list(annotations),
        "predictions": [{"model_version": "m1", "result": [choice("7")]}],
        "drafts": [],
        "meta": {},
        "project": 83,
        "created_at": "2021-03-09T21:52:49.513742Z",
    }


def choice(*values: str) -> dict:
    return {"from_name": CODE_CONTROL, "to_name": "title", "type": "choices", "value": {"choices": list(values)}}


def annotation(completed_by, *result: dict, cancelled: bool = False, at: str = "2021-03-09T22:16:08.728378Z") -> dict:
    return {
        "id": 1000 + random.Random(str(result)).randrange(1000),
        "completed_by": completed_by,
        "result": list(result),
        "was_cancelled": cancelled,
        "ground_truth": False,
        "created_at": "2021-03-09T22:16:08.728353Z",
        "updated_at": at,
        "lead_time": 4.288,
        "task": 1,
    }


def write_json(path: Path, obj) -> Path:
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


def test_a_label_studio_export_in_its_documented_format_becomes_coding_rows(tmp_path):
    remark = {"from_name": "remark", "to_name": "title", "type": "textarea", "value": {"text": ["not sure"]}}
    export = [
        export_task(
            "a1", annotation(10, choice("1a")), annotation({"id": 11, "email": "b@uni.edu"}, choice("1b"), remark)
        ),
        # the shown value instead of the alias, as a config without alias would export
        export_task("a2", annotation(10, choice(choice_value(TAXONOMY.scheme.label("2c"))))),
        export_task("a3", annotation(10, cancelled=True), annotation(11)),  # skipped; submitted without a choice
        export_task("a4"),  # nobody annotated it yet
    ]
    path = write_json(tmp_path / "project-1-at-2025.json", export)
    submission = label_studio_submission(path, coder_names={"10": "coder_a", "b@uni.edu": "coder_b", "11": "coder_b"})
    assert submission.target is TAXONOMY and not submission.errors
    assert any("1 skipped (cancelled)" in n for n in submission.notes)
    (report,) = import_submissions([submission], tmp_path / "manual")
    assert report.coders == ["coder_a", "coder_b"] and report.added == 3
    assert any("1 items left uncoded" in n for n in report.notes)
    codes = read_codes(tmp_path / "manual" / "taxonomy_coding.csv", TAXONOMY)
    assert codes.select("item_id", "coder", "code", "remark").rows() == [
        ("a1", "coder_a", "1a", None),
        ("a1", "coder_b", "1b", "not sure"),
        ("a2", "coder_a", "2c", None),
    ]
    assert codes["coded_at"][0] == "2021-03-09T22:16:08.728378Z" and "annotation" in codes["source"][0]
    # an unmapped Label Studio user keeps a name that says who it was
    unmapped = label_studio_submission(path)
    assert set(unmapped.rows["coder"]) == {"label_studio_user_10", "b@uni.edu", "label_studio_user_11"}


def test_a_label_studio_export_with_conflicts_or_foreign_tasks_is_refused(tmp_path):
    export = [
        export_task("a1", annotation(10, choice("1a")), annotation(10, choice("2a"), at="2021-03-10T00:00:00Z")),
        export_task("a2", annotation(10, choice("1a", "2a"))),  # two choices where one is allowed
        {"id": 5, "data": {"text": "a task from another project"}, "annotations": []},
        export_task("c1", annotation(10, choice("joy")), scheme="emotion"),
    ]
    path = write_json(tmp_path / "export.json", export)
    with pytest.raises(CodingImportError) as raised:
        import_submissions([label_studio_submission(path, scheme="taxonomy")], tmp_path / "manual")
    message = str(raised.value)
    assert "1 items coded more than once with different codes" in message
    assert "'1a|2a'" in message and "task 5 has no data.item_id" in message and "is a 'emotion' task" in message
    assert not (tmp_path / "manual").exists()
    with pytest.raises(ValueError, match="do not say their scheme"):
        label_studio_submission(write_json(tmp_path / "bare.json", [{"data": {}, "annotations": []}]))


def test_re_importing_is_idempotent_and_a_changed_code_is_reported(tmp_path):
    manual = tmp_path / "manual"
    manual.mkdir()
    # a file written by hand (or by the corpus generator): three columns only
    (manual / "taxonomy_coding.csv").write_text("note_id,coder,code\na4,coder_a,7\n")
    path = write_workbook(tmp_path / "wb.xlsx", TAXONOMY, taxonomy_items().head(2), kind=CODING, coder="coder_a")
    fill(path, {"a1": "1a", "a2": "2c"})
    (first,) = import_submissions([read_submission(path)], manual)
    (again,) = import_submissions([read_submission(path)], manual)
    assert (first.added, again.added, again.unchanged, again.changed) == (2, 0, 2, [])
    fill(path, {"a2": "2a"})
    (changed,) = import_submissions([read_submission(path)], manual)
    assert changed.changed == [("note", "a2", "coder_a", "2c", "2a")]
    assert any("a2 coder_a: 2c→2a" in line for line in changed.lines())
    assert read_manual_coding(manual / "taxonomy_coding.csv").rows() == [
        ("a1", "coder_a", "1a"),
        ("a2", "coder_a", "2a"),
        ("a4", "coder_a", "7"),
    ]


def test_the_labelling_config_is_generated_from_each_scheme():
    for target in TARGETS.values():
        view = ElementTree.fromstring(labelling_config(target))
        texts = [t.get("name") for t in view.iter("Text")]
        assert texts == list(target.fields) and all(t.get("value") == f"${t.get('name')}" for t in view.iter("Text"))
        (choices,) = view.iter("Choices")
        assert choices.get("name") == CODE_CONTROL and choices.get("choice") == "single-radio"
        assert choices.get("toName") in texts
        options = list(choices.iter("Choice"))
        assert [c.get("alias") for c in options] == list(target.scheme.codes)
        assert [c.get("hint") for c in options] == [label.description for label in target.scheme.labels]
    tasks = label_studio_tasks(
        pl.DataFrame({"entity": ["comment"], "item_id": ["c1"], "comment": ["so proud"], "title": [None]}), EMOTION
    )
    assert tasks == [
        {"data": {"item_id": "c1", "entity": "comment", "scheme": "emotion", "comment": "so proud", "title": ""}}
    ]


def test_codes_are_read_exactly_before_names_so_sentiment_levels_survive():
    assert parse_code("-2", SENTIMENT) == "-2" and parse_code("Very Negative", SENTIMENT) == "-2"
    assert parse_code("2", SENTIMENT) == "2" and parse_code("very_positive", SENTIMENT) == "2"
    assert parse_code("1a · About TikTok Ban / Censorship", TAXONOMY.scheme) == "1a"
    assert parse_code("Food", TAXONOMY.scheme) is None and parse_code("1a|2a", TAXONOMY.scheme) is None


def test_a_sentiment_workbook_codes_notes_and_comments_into_one_file(tmp_path):
    target = TARGETS["sentiment"]
    items = pl.DataFrame(
        {
            "entity": ["note", "comment"],
            "item_id": ["n1", "c1"],
            "title": ["a post", "a post"],
            "description": ["so sad", None],
            "comments": ["1. yes", None],
            "comment": [None, "love it"],
        }
    )
    path = write_workbook(tmp_path / "s.xlsx", target, items, kind=CODING, coder="coder_a")
    assert [c.value for c in openpyxl.load_workbook(path)[ITEMS_SHEET][1]][:2] == ["item_id", "entity"]
    fill(path, {"n1": -2.0, "c1": "Very Positive"})  # Excel keeps a typed -2 as a number
    import_submissions([read_submission(path)], tmp_path)
    assert (tmp_path / "sentiment_coding.csv").read_text().splitlines()[:3] == [
        "entity,id,coder,code,coded_at,source,remark",
        f"comment,c1,coder_a,2,{read_codes(tmp_path / 'sentiment_coding.csv', target)['coded_at'][0]},s.xlsx,",
        f"note,n1,coder_a,-2,{read_codes(tmp_path / 'sentiment_coding.csv', target)['coded_at'][1]},s.xlsx,",
    ]
    coding = read_manual_coding(tmp_path / "sentiment_coding.csv", SENTIMENT.codes, "id", entities=("note", "comment"))
    assert sorted(coding.select("entity", "id", "code").rows()) == [("comment", "c1", "2"), ("note", "n1", "-2")]


def codes(rows: list[tuple[str, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"entity": "note", "item_id": i, "coder": c, "code": k, "coded_at": None, "source": None, "remark": None}
            for i, c, k in rows
        ]
    )


def test_the_disagreement_sheet_resolves_into_the_consensus(tmp_path):
    coding = codes(
        [
            ("a1", "coder_a", "1a"),
            ("a1", "coder_b", "1a"),
            ("a2", "coder_a", "2c"),
            ("a2", "coder_b", "5b"),
            ("a3", "coder_a", "6"),
            ("a3", "coder_b", "7"),
            ("a4", "coder_a", "4"),
        ]
    )
    disputed = disagreements(coding)
    assert disputed.rows() == [("note", "a2", "2c", "5b"), ("note", "a3", "6", "7")]
    sheet = disputed.join(taxonomy_items(), on=["entity", "item_id"]).select(
        "entity",
        "item_id",
        "title",
        "description",
        "comments",
        pl.col("coder_a").alias(coder_column("coder_a")),
        pl.col("coder_b").alias(coder_column("coder_b")),
    )
    path = write_workbook(tmp_path / "d.xlsx", TAXONOMY, sheet, kind=ADJUDICATION, coder="dr_li")
    header = [c.value for c in openpyxl.load_workbook(path)[ITEMS_SHEET][1]]
    assert header[-4:] == ["code by coder_a", "code by coder_b", "code", "remark"]
    write_codes(tmp_path / "taxonomy_coding.csv", coding, TAXONOMY)
    fill(path, {"a2": "2c"})
    (report,) = import_submissions([read_submission(path)], tmp_path)
    assert report.kind == ADJUDICATION and report.coders == ["dr_li"] and report.added == 1
    adjudication = read_codes(tmp_path / "taxonomy_adjudication.csv", TAXONOMY)
    assert adjudication.select("item_id", "coder", "code").rows() == [("a2", "dr_li", "2c")]
    assert unresolved(coding, adjudication)["item_id"].to_list() == ["a3"]
    consensus = adjudicated_consensus(coding, adjudication)
    assert consensus.rows() == [
        ("note", "a1", "1a", "agreed"),
        ("note", "a2", "2c", "adjudicated"),
        ("note", "a4", "4", "agreed"),
    ]
    # the coding file itself is untouched: κ between the coders is measured on what they coded
    assert read_manual_coding(tmp_path / "taxonomy_coding.csv").height == 7
    # and the resolution is what analysis/coding_agreement and the supervised backend read as consensus
    manual = read_manual_coding(tmp_path / "taxonomy_coding.csv")
    resolved = read_adjudication(tmp_path / "taxonomy_coding.csv", TOPIC_CODES, "note_id")
    assert consensus_of(manual, "note_id", resolved).rows() == [("a1", "1a"), ("a2", "2c"), ("a4", "4")]
    assert consensus_of(manual, "note_id").rows() == [("a1", "1a"), ("a4", "4")]
    model = pl.DataFrame({"note_id": ["a1", "a2", "a3", "a4"], "code": ["1a", "2c", "6", "4"]})
    table = coding_agreement(manual, model, 1.0, "note_id", group_of=None, resolved=resolved)
    headline = table.filter((pl.col("comparison") == "model_vs_consensus") & (pl.col("language") == "all"))
    assert headline.select("n", "kappa").rows() == [(3, 1.0)]  # a2 counts, as the adjudicator resolved it
    inter = table.filter(pl.col("comparison") == "coder_a_vs_coder_b")
    assert inter["n"].to_list() == [3]  # the coders' own codes: a1, a2, a3


def test_the_command_line_import_reports_and_refuses_a_bad_file(data_root, tmp_path, capsys):
    from rednote_dagster.__main__ import main

    path = write_workbook(tmp_path / "wb.xlsx", TAXONOMY, taxonomy_items(), kind=CODING, coder="coder_a")
    fill(path, {"a1": "1a", "a2": "snacks"})
    assert main(["coding", "import", "--check", str(path)]) == 1
    assert main(["coding", "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "a2 'snacks'" in err and "nothing was written" in err
    assert not (data_root / "manual" / "taxonomy_coding.csv").exists()
    fill(path, {"a2": "2c"})
    assert main(["coding", "import", str(path)]) == 0
    assert "2 coded: 2 added" in capsys.readouterr().out
    assert read_manual_coding(data_root / "manual" / "taxonomy_coding.csv").height == 2
    other = tmp_path / "crawl.xlsx"
    openpyxl.Workbook().save(other)  # e.g. a MediaCrawler export handed in by mistake
    assert main(["coding", "import", str(other)]) == 1
    assert "not a coding workbook written by this project" in capsys.readouterr().err
    assert main(["coding", "prepare", "--scheme", "irony"]) == 1
    assert "no manual coding for scheme 'irony'" in capsys.readouterr().err
