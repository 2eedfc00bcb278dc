"""benchmarks/real_text.py on a tiny made-up sets folder: the lexicon backend and the baselines only (no
embeddings), so it runs in seconds."""

import csv
import importlib.util
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

ZH_POSITIVE = [
    "太棒了，我非常喜欢这个！",
    "好开心，今天真是美好的一天",
    "非常满意，强烈推荐给大家",
    "这家店的服务太好了，赞！",
    "真漂亮，我太喜欢了",
    "幸福的一天，感谢大家",
    "味道很好，环境也很舒服，满意",
    "好看好用，开心极了",
]
ZH_NEGATIVE = [
    "太差了，我非常失望",
    "气死我了，垃圾服务",
    "难过，今天真是糟糕透了",
    "质量很差，再也不买了",
    "讨厌这种人，恶心",
    "太失望了，浪费钱",
    "服务态度恶劣，非常生气",
    "糟糕的体验，后悔死了",
]
ZH_NEUTRAL = [
    "明天下午三点开会",
    "这本书一共有十二章",
    "火车八点从北京出发",
    "今天星期二",
]
EN_POSITIVE = [
    "I love this, it is wonderful!",
    "What a great day, so happy :)",
    "Amazing work, thank you so much!",
    "This is the best thing ever, awesome",
    "Beautiful photo, I really like it",
    "So glad you are here, welcome!",
    "Fantastic, excellent and lovely",
    "Great job, I am very pleased",
]
EN_NEGATIVE = [
    "This is terrible, I hate it.",
    "Awful service, never again",
    "So sad and disappointed today",
    "Worst experience ever, horrible",
    "I am angry, this is a disaster",
    "Disgusting and pathetic",
    "Bad, ugly and boring",
    "I hate waiting, this sucks",
]
EN_NEUTRAL = [
    "The bus leaves at 5 pm.",
    "The report has twelve pages.",
    "Meeting moved to Tuesday.",
    "The store is on Main Street.",
]


def _write_csv(path: Path, rows: list[tuple[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        writer.writerows(rows)


def _labelled(pos, neg, neu) -> list[tuple[str, str]]:
    return [(t, "pos") for t in pos] + [(t, "neg") for t in neg] + [(t, "neu") for t in neu]


@pytest.fixture(scope="module")
def real_text():
    sys.path.insert(0, str(REPO / "benchmarks"))  # the benchmark imports its neighbour common.py
    try:
        spec = importlib.util.spec_from_file_location("real_text_benchmark", REPO / "benchmarks" / "real_text.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop("real_text_benchmark", None)
        sys.path.remove(str(REPO / "benchmarks"))


@pytest.fixture
def sets_dir(tmp_path) -> Path:
    root = tmp_path / "sets"
    # zh: train / test files, sentiment and emotion mappings
    zh = root / "zh_weibo"
    zh.mkdir(parents=True)
    rows = _labelled(ZH_POSITIVE, ZH_NEGATIVE, ZH_NEUTRAL)
    _write_csv(zh / "train.csv", rows[::2])
    _write_csv(zh / "test.csv", rows[1::2])
    (zh / "labels.json").write_text(
        json.dumps(
            {
                "language": "zh",
                "sentiment": {"pos": "positive", "neg": "negative", "neu": "neutral"},
                "emotion": {"pos": "joy", "neg": "anger", "neu": None},
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    # en: one data.csv (split 50/50 here), sentiment mapping only, multi-label rows to drop
    en = root / "en_tweets"
    en.mkdir()
    rows = _labelled(EN_POSITIVE, EN_NEGATIVE, EN_NEUTRAL) + [("Love it but hate the price", "neg+pos")] * 2
    _write_csv(en / "data.csv", rows)
    (en / "labels.json").write_text(
        json.dumps(
            {
                "language": "en",
                "multi_label": True,
                "label_separator": "+",
                "sentiment": {"pos": "positive", "neg": "negative", "neu": "neutral"},
            }
        ),
        encoding="utf-8",
    )
    # not a set: no labels.json
    (root / "notes").mkdir()
    return root


def test_lexicon_and_baselines(real_text, sets_dir, tmp_path, capsys):
    out = tmp_path / "out.json"
    code = real_text.main([str(sets_dir), "--backends", "lexicon", "--train-size", "50", "--json", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "a prediction outside the set's mapped label set counts as wrong" in printed
    assert "zh_weibo" in printed and "en_tweets" in printed and "per language" in printed

    result = json.loads(out.read_text())
    rows = {(r["set"], r["scheme"], r["backend"]): r for r in result["rows"]}
    assert set(rows) == {
        ("zh_weibo", "sentiment", "lexicon"),
        ("en_tweets", "sentiment", "lexicon"),
        ("zh_weibo", "emotion", "(baselines only)"),  # the lexicon labels sentiment only
    }
    for key in (("zh_weibo", "sentiment", "lexicon"), ("en_tweets", "sentiment", "lexicon")):
        row = rows[key]
        assert "error" not in row
        assert 0 <= row["accuracy"] <= 1 and 0 <= row["macro_f1"] <= 1
        assert row["kappa"] is None or -1 <= row["kappa"] <= 1
        assert row["texts_per_s"] > 0 and 0 <= row["outside"] <= 1
        assert sum(row["predicted"].values()) == row["n"]
        assert set(row["baselines"]) == {"majority", "snownlp", "vader"}
        for baseline in row["baselines"].values():
            assert 0 <= baseline["accuracy"] <= 1 and 0 <= baseline["macro_f1"] <= 1
        assert row["baselines"]["majority"]["kappa"] in (0.0, None)
    assert rows[("zh_weibo", "sentiment", "lexicon")]["n"] == 10  # every other of 20 rows
    en = rows[("en_tweets", "sentiment", "lexicon")]
    assert en["n"] == 10 and en["n_train_available"] == 10  # data.csv split 50/50
    assert en["dropped_test_rows"].get("multi-label", 0) + en["n"] <= 11
    assert en["accuracy"] >= 0.7  # VADER reads these obvious phrases
    assert en["baselines"]["vader"]["accuracy"] >= 0.7
    emotion = rows[("zh_weibo", "emotion", "(baselines only)")]
    assert emotion["n"] == 8 and set(emotion["gold"]) == {"joy", "anger"}  # neutral maps to null: dropped
    assert emotion["baselines"]["snownlp"] is None

    skipped = {(s["set"], s["scheme"], s["backend"]): s["reason"] for s in result["skipped"]}
    assert "no emotion mapping" in skipped[("en_tweets", "emotion", None)]
    assert "no stance mapping" in skipped[("zh_weibo", "stance", None)]
    assert "sentiment only" in skipped[("zh_weibo", "emotion", "lexicon")]
    assert "no labels.json" in skipped[("notes", None, None)]
    assert [s["language"] for s in result["summary"] if s["backend"] == "lexicon"] == ["en", "zh"]


def test_no_usable_set(real_text, tmp_path, capsys):
    (tmp_path / "empty" / "broken").mkdir(parents=True)
    assert real_text.main([str(tmp_path / "empty"), "--backends", "lexicon"]) == 2
    assert "no usable labelled set" in capsys.readouterr().err


def test_stratified_sample_is_proportional_and_seeded(real_text):
    labels = ["a"] * 60 + ["b"] * 30 + ["c"] * 10
    picked = real_text.stratified_sample(labels, 50)
    assert picked == sorted(picked) == real_text.stratified_sample(labels, 50)
    counts = {k: sum(labels[i] == k for i in picked) for k in "abc"}
    assert counts == {"a": 30, "b": 15, "c": 5}


def test_refused_rows_are_counted_not_scored(real_text):
    """A backend that refuses a text (no code, a reason: zero-shot on a language its encoder was not
    validated for) is scored on the rows it labels; one that refuses every row is not evaluated."""
    from rednote_dagster.lib.labelling.base import Prediction

    class Refusing:
        def __init__(self, everything):
            self.everything = everything

        def predict(self, documents):
            return [
                Prediction(code=None, reason="not validated for 'zh'")
                if self.everything or "好" in d.text
                else Prediction(code="joy")
                for d in documents
            ]

    class Fake:
        def __init__(self, everything):
            self.everything = everything

        def build(self, backend, scheme_name, train):
            return Refusing(self.everything), {}

    test = [("好看", "joy"), ("好吃", "anger")] * 10 + [("great", "joy"), ("nice", "joy"), ("bad", "anger")] * 10
    row = real_text.run_backend(Fake(False), "zeroshot", "emotion", [], test)
    assert row["n_scored"] == 30 and row["refused"] == pytest.approx(0.4)
    assert row["refusal_reasons"] == {"not validated for 'zh'": 20}
    assert row["accuracy"] == pytest.approx(2 / 3)  # joy, joy right; anger called joy
    with pytest.raises(real_text.NotAvailable, match="refuses 50 of 50 test rows, leaving too few to score"):
        real_text.run_backend(Fake(True), "zeroshot", "emotion", [], test)
