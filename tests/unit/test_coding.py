"""Manual coding, the validation split and κ (must equal scikit-learn's on the same pairs)."""

import polars as pl
import pytest
from sklearn.metrics import cohen_kappa_score

from rednote_dagster.lib.coding import (
    agreement_rows,
    coding_agreement,
    consensus,
    in_validation,
    read_manual_coding,
    split,
)
from rednote_dagster.lib.labelling.documents import note_document
from rednote_dagster.lib.labelling.scheme_backend import choose_backend
from rednote_dagster.lib.labelling.schemes import TAXONOMY


def test_kappa_equals_sklearn_and_per_category_is_one_vs_rest():
    a = ["1a", "1b", "2c", "2c", "5b", "5b", "5c", "7", "4", "6", "3a", "5a"]
    b = ["1a", "1a", "2c", "2a", "5b", "5c", "5c", "7", "4", "5b", "3b", "5a"]
    rows = {(r["level"], r["category"]): r for r in agreement_rows("x", a, b)}
    assert rows[("code", "all")]["kappa"] == pytest.approx(cohen_kappa_score(a, b))
    cat = lambda codes: [c[0] for c in codes]  # noqa: E731
    assert rows[("category", "all")]["kappa"] == pytest.approx(cohen_kappa_score(cat(a), cat(b)))
    in5 = lambda codes: [c[0] == "5" for c in codes]  # noqa: E731
    assert rows[("category_vs_rest", "5")]["kappa"] == pytest.approx(cohen_kappa_score(in5(a), in5(b)))
    assert rows[("category_vs_rest", "5")]["n"] == 5 and rows[("code", "all")]["n"] == len(a)


def test_read_manual_coding_refuses_codes_outside_the_taxonomy(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("note_id,coder,code\nn1,a,1A\nn1,b,1a\n")
    assert read_manual_coding(path)["code"].to_list() == ["1a", "1a"]
    path.write_text("note_id,coder,code\nn1,a,food\n")
    with pytest.raises(ValueError, match="outside the taxonomy"):
        read_manual_coding(path)


def test_split_is_deterministic_and_disjoint():
    ids = [f"note{i}" for i in range(2000)]
    coding = pl.DataFrame({"note_id": ids * 2, "coder": ["a"] * 2000 + ["b"] * 2000, "code": ["1a"] * 4000})
    train, val = split(coding, 0.5)
    assert set(train["note_id"]).isdisjoint(set(val["note_id"]))
    assert 0.45 < val["note_id"].n_unique() / 2000 < 0.55
    assert [in_validation(i, 0.5) for i in ids] == [in_validation(i, 0.5) for i in ids]


def test_consensus_drops_disagreements_and_agreement_uses_only_validation():
    coding = pl.DataFrame(
        {
            "note_id": ["n1", "n1", "n2", "n2", "n3"],
            "coder": ["a", "b", "a", "b", "a"],
            "code": ["1a", "1a", "2c", "5b", "4"],
        }
    )
    assert consensus(coding).rows() == [("n1", "1a"), ("n3", "4")]
    ids = [f"n{i}" for i in range(400)]
    codes = [["1a", "2c", "5b", "6"][i % 4] for i in range(400)]
    coding = pl.DataFrame({"note_id": ids * 2, "coder": ["a"] * 400 + ["b"] * 400, "code": codes * 2})
    model = pl.DataFrame({"note_id": ids, "code": codes})
    table = coding_agreement(coding, model, 0.25)
    row = table.filter((pl.col("comparison") == "model_vs_consensus") & (pl.col("level") == "code")).row(0, named=True)
    assert row["kappa"] == pytest.approx(1.0)
    assert row["n"] == sum(in_validation(i, 0.25) for i in ids)
    inter = table.filter((pl.col("comparison") == "a_vs_b") & (pl.col("level") == "code")).row(0, named=True)
    assert inter["n"] == 400 and inter["kappa"] == pytest.approx(1.0)


def test_backend_choice():
    assert choose_backend("auto", False, True) == "supervised"
    assert choose_backend("auto", False, False) == "zero-shot"
    assert choose_backend("auto", True, True) == "llm"
    assert choose_backend("zero-shot", True, True) == "zero-shot"
    with pytest.raises(ValueError):
        choose_backend("magic", False, True)


def test_note_document_renders_the_papers_prompt():
    doc = note_document("My first post", "Hello RedNote #TikTokRefugee[话题]#", [f"c{i}" for i in range(12)] + ["  "])
    prompt = TAXONOMY.render_user_prompt(doc)
    assert "Title: My first post" in prompt and "Description: Hello RedNote" in prompt
    assert "10. c9" in prompt and "11." not in prompt
    assert prompt.endswith("Please return only the category label, e.g., 1a or 3b. Do not include any other text.")
    empty = note_document(None, "", [])
    assert "No comments available." in TAXONOMY.render_user_prompt(empty) and empty.text == ""


def test_comment_codings_use_their_own_codes_and_id_column(tmp_path):
    from rednote_dagster.lib.labelling.schemes import STANCE

    path = tmp_path / "stance_coding.csv"
    path.write_text(
        "comment_id,coder,code\nc1,coder_a,Pro-China\nc1,coder_b,pro-china\nc2,coder_a,neutral\n"
        "c2,coder_b,pro-foreign\n"
    )
    coding = read_manual_coding(path, STANCE.codes, "comment_id")
    assert coding.columns == ["comment_id", "coder", "code"]
    assert consensus(coding, "comment_id").rows() == [("c1", "pro-china")]
    train, val = split(coding, 0.5, "comment_id")
    assert train.height + val.height == 4
    path.write_text("comment_id,coder,code\nc1,coder_a,1a\n")
    with pytest.raises(ValueError, match="outside the codes pro-china"):
        read_manual_coding(path, STANCE.codes, "comment_id")
