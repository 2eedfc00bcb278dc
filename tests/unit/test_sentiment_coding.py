"""Sentiment validated like the other schemes: the manual sentiment coding (notes and comments in one file),
agreement per language of the text, the κ gate, and the supervised sentiment backend chosen by ``auto``."""

import random
from types import SimpleNamespace

import polars as pl
import pytest

from rednote_dagster.lib.coding import (
    CODED_TABLES,
    MIN_LANGUAGE_N,
    SENTIMENT_CODING_FILE,
    GateResult,
    coding_agreement,
    in_validation,
    kappa_gate,
    kappa_standard_error,
    read_manual_coding,
)
from rednote_dagster.lib.corpus.truth import write_sentiment_manual
from rednote_dagster.lib.labelling.base import LabelBackend
from rednote_dagster.lib.labelling.schemes import SENTIMENT
from rednote_dagster.lib.sentiment import load_sentiment_backend


def test_sentiment_coding_names_the_entity_of_each_id(tmp_path):
    path = tmp_path / SENTIMENT_CODING_FILE
    path.write_text("entity,id,coder,code\nNote,n1,a,2\nnote,n1,b,1\ncomment,c1,a,-2\n")
    coding = read_manual_coding(path, SENTIMENT.codes, "id", entities=("note", "comment"))
    assert coding.rows() == [("note", "n1", "a", "2"), ("note", "n1", "b", "1"), ("comment", "c1", "a", "-2")]
    path.write_text("entity,id,coder,code\nnote,n1,a,2\ncomment,n1,b,1\n")
    with pytest.raises(ValueError, match="more than one entity"):
        read_manual_coding(path, SENTIMENT.codes, "id", entities=("note", "comment"))
    path.write_text("entity,id,coder,code\nreply,n1,a,2\n")
    with pytest.raises(ValueError, match="entity is not one of"):
        read_manual_coding(path, SENTIMENT.codes, "id", entities=("note", "comment"))
    path.write_text("entity,id,coder,code\nnote,n1,a,3\n")
    with pytest.raises(ValueError, match="outside"):
        read_manual_coding(path, SENTIMENT.codes, "id", entities=("note", "comment"))


def test_each_sentiment_table_reads_only_its_own_entity(tmp_path):
    (tmp_path / SENTIMENT_CODING_FILE).write_text("entity,id,coder,code\nnote,n1,a,2\ncomment,c1,a,-1\n")
    tables = {coded.table: coded for coded in CODED_TABLES}
    assert tables["enrich.note_sentiment"].read_coding(tmp_path).rows() == [("n1", "a", "2")]
    assert tables["enrich.comment_sentiment"].read_coding(tmp_path).rows() == [("c1", "a", "-1")]


def _coding(ids: list[str], codes: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"id": ids * 2, "coder": ["a"] * len(ids) + ["b"] * len(ids), "code": codes * 2})


def test_agreement_per_language_shows_a_model_that_fails_on_one_language():
    rng = random.Random(0)
    ids = [f"i{n}" for n in range(600)]
    codes = [rng.choice(SENTIMENT.codes) for _ in ids]
    language_of = {i: ("zh" if n % 2 else "en") for n, i in enumerate(ids)}
    # right on English, guessing on Chinese
    model = [c if language_of[i] == "en" else rng.choice(SENTIMENT.codes) for i, c in zip(ids, codes)]
    table = coding_agreement(
        _coding(ids, codes),
        pl.DataFrame({"id": ids, "code": model}),
        0.5,
        "id",
        language_of=language_of,
        group_of=None,
    ).with_columns(pl.lit("t").alias("label_table"))
    headline = table.filter((pl.col("comparison") == "model_vs_consensus") & (pl.col("level") == "code"))
    kappa = dict(headline.select("language", "kappa").iter_rows())
    n = dict(headline.select("language", "n").iter_rows())
    assert kappa["en"] == pytest.approx(1.0) and kappa["zh"] < 0.2 and 0.3 < kappa["all"] < 0.8
    assert n["all"] == n["en"] + n["zh"] == sum(in_validation(i, 0.5) for i in ids)
    assert set(headline["level"]) == {"code"}  # no taxonomy categories for sentiment

    gate = kappa_gate(table, ["t"], 0.6)
    assert not gate.passed and any("(zh)" in f for f in gate.failures) and not any("(en)" in f for f in gate.failures)


def _gate_table(rows):
    return pl.DataFrame(
        [
            {
                "label_table": t,
                "language": lang,
                "comparison": "model_vs_consensus",
                "level": "code",
                "n": n,
                "kappa": k,
                "percent_agreement": p,
            }
            for t, lang, n, k, p in rows
        ]
    )


def test_the_gate_judges_a_language_only_from_enough_items():
    rows = [
        ("t", "all", 200, 0.9, 0.93),
        ("t", "en", 190, 0.95, 0.96),
        ("t", "zh", MIN_LANGUAGE_N - 1, 0.1, 0.3),  # too few to judge: shown, not judged
    ]
    table = _gate_table(rows)
    assert kappa_gate(table, ["t"], 0.6) == GateResult([], [])
    table = table.with_columns(pl.when(pl.col("language") == "zh").then(MIN_LANGUAGE_N).otherwise("n").alias("n"))
    gate = kappa_gate(table, ["t"], 0.6)
    assert not gate.passed and gate.failures == [f"t (zh): κ 0.100 < 0.6 (N = {MIN_LANGUAGE_N})"]
    gate = kappa_gate(table, ["missing"], 0.6)
    assert not gate.passed and "no held-out coded item" in gate.failures[0]


def test_a_language_under_the_minimum_by_less_than_its_sampling_error_warns():
    # 50 items, κ 0.571 with 68 % observed agreement (chance 25 %): SE 0.088, 95 % upper bound 0.744
    assert kappa_standard_error(50, 0.571, 0.68) == pytest.approx(0.0884, abs=1e-3)
    near = _gate_table([("t", "all", 276, 0.74, 0.80), ("t", "mixed", 50, 0.571, 0.68)])
    gate = kappa_gate(near, ["t"], 0.6)
    assert (
        gate.passed
        and gate.failures == []
        and "t (mixed): κ 0.571 < 0.6 (N = 50; 95 % upper bound 0.744)" in gate.warnings
    )
    # the same κ on 2,000 items is clearly under: SE 0.014, upper bound 0.598
    gate = kappa_gate(near.with_columns(pl.lit(2000).alias("n")), ["t"], 0.6)
    assert not gate.passed and gate.failures == ["t (mixed): κ 0.571 < 0.6 (N = 2000)"]
    # the overall figure is judged as it is, whatever its interval
    gate = kappa_gate(_gate_table([("t", "all", 40, 0.59, 0.70)]), ["t"], 0.6)
    assert not gate.passed and gate.warnings == []
    # a perfect κ has no sampling error; an undefined one none to speak of
    assert kappa_standard_error(50, 1.0, 1.0) == 0.0 and kappa_standard_error(50, None, 0.5) is None


class _Named(LabelBackend):
    def __init__(self, name: str):
        super().__init__(SENTIMENT)
        self.name = name

    def _predict(self, documents):
        raise NotImplementedError


def test_auto_takes_the_supervised_backend_when_a_sentiment_coding_exists():
    settings = SimpleNamespace(backend="auto", lexicon_workers=1, model="", revision="", local_files_only=True)
    backend, why = load_sentiment_backend(settings, supervised=lambda: _Named("supervised"))
    assert backend.name == "supervised" and why is None
    with pytest.raises(ValueError, match="sentiment_coding.csv"):
        load_sentiment_backend(SimpleNamespace(backend="supervised", lexicon_workers=1), supervised=None)


def test_the_simulated_sentiment_coders_err_by_one_level(tmp_path):
    notes = [SimpleNamespace(note_id=f"n{i}", sentiment=(i % 5) - 2) for i in range(300)]
    comments = [SimpleNamespace(comment_id=f"c{i}", sentiment=(i % 5) - 2) for i in range(300)]
    knobs = SimpleNamespace(sentiment_coder_accuracy=(0.88, 0.85))
    write_sentiment_manual(tmp_path, notes, comments, knobs, random.Random(1))
    coding = read_manual_coding(
        tmp_path / "_manual" / SENTIMENT_CODING_FILE, SENTIMENT.codes, "id", entities=("note", "comment")
    )
    planted = {x.note_id: x.sentiment for x in notes} | {x.comment_id: x.sentiment for x in comments}
    assert coding.height == 2 * 600 and set(coding["entity"]) == {"note", "comment"}
    off = [abs(int(code) - planted[i]) for i, code in coding.select("id", "code").iter_rows()]
    assert set(off) == {0, 1} and 0.80 < off.count(0) / len(off) < 0.92
