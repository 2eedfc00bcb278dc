"""The lexicon backend's readings: the Chinese word scan (negation, degree, longest match), the Weibo /
RedNote sticker table, English as plain VADER, mixed text by sentence, the level rule at cut-offs, and
scripts/calibrate_lexicon.py on a tiny made-up sets folder."""

import csv
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from rednote_dagster.lib.labelling import lexicon
from rednote_dagster.lib.labelling.lexicon import (
    CUTOFFS,
    LexiconSentiment,
    calibrate_cutoffs,
    level_of,
    level_position,
    levels_at,
    social_lexicon,
)
from rednote_dagster.lib.labelling.scheme import Document
from rednote_dagster.lib.labelling.schemes import SENTIMENT

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def lex() -> LexiconSentiment:
    return LexiconSentiment(SENTIMENT, workers=1)


def level(lex: LexiconSentiment, text: str) -> int:
    return int(lex.predict([Document(text)])[0].code)


def test_tables_load_and_stay_on_the_level_scale():
    table = social_lexicon()
    assert len(table.stickers) > 150 and all(-2 <= v <= 2 for v in table.stickers.values())
    kinds = {kind for kind, _ in table.entries.values()}
    assert kinds == {"word", "degree", "negator"}
    for word, (kind, value) in table.entries.items():
        assert word == word.lower() and word.strip() == word, word
        assert (-2 <= value <= 2) if kind == "word" else (0 < value <= 2 if kind == "degree" else value == 0)


def test_words_negation_degree_and_longest_match():
    words = social_lexicon().words
    assert words("喜欢") == (1.5, 1)
    assert words("不喜欢")[0] < 0 and words("没有不开心")[0] > 0  # a listed negated word, then negated again
    assert words("不太喜欢")[0] == pytest.approx(-1.5 * lexicon.NEGATION_SCALE)  # reaches over 太
    assert words("很喜欢")[0] > words("喜欢")[0] > words("有点喜欢")[0] > 0
    assert words("不，开心")[0] > 0  # a clause break ends the negator's reach
    assert lexicon.NEGATION_REACH == 3 and words("不在今天下午开心")[0] > 0 and words("不在下午开心")[0] < 0
    assert words("不错")[0] > 0 and words("可笑")[0] < 0  # longest match: not 不 + 错, not 笑
    assert words("你好，好奇") == (0.0, 0)  # guards: a greeting and curiosity, not 好
    assert words("哈哈哈哈哈") == words("哈哈")  # runs read as two
    assert words("yyds")[0] > 0 and words("usb接口") == (0.0, 0)  # Latin entries only as whole words


def test_stickers_are_read_and_taken_out():
    table = social_lexicon()
    values, rest = table.split_stickers("好累[泪]但是[赞R][NAME][视频]")
    assert values == [-1.5, 1.5, 0.0] and rest == "好累 但是 [NAME] "  # [NAME] is no sticker: kept
    assert table.sticker_value("开心R") == table.sticker_value("开心")  # R suffix dropped when unlisted
    assert table.sticker_value("超级喜欢") > 0  # read through its name
    assert table.sticker_value("NAME") is None


def test_chinese_reading(lex):
    assert level(lex, "太好了，非常喜欢，开心") >= 1 and level(lex, "太恶心了，讨厌，难过") <= -1
    assert level(lex, "我不喜欢这个") <= -1
    # without a sentiment word, sticker or emoji SnowNLP alone cannot make a text positive (the fitted
    # weights say so: a + k stays below the 0|1 cut-off), only neutral or negative
    a, _, _, k = lexicon.ZH_WEIGHTS
    assert np.tanh((a + k) / 2) < CUTOFFS["zh"][2]
    assert level(lex, "明天下午三点开会") <= 0 and level(lex, "这本书一共有十二章") <= 0
    assert level(lex, "[泪]") <= -1 and level(lex, "[哈哈]") >= 1  # stickers alone
    assert level(lex, "今天😭") <= -1 and level(lex, "今天😊") >= 1  # emoji through VADER
    snow, words, marks = lex.zh_features("好开心[哈哈]")
    assert -1 <= snow <= 1 and words > 0 and marks > 0


def test_english_is_plain_vader(lex):
    """Without stickers the three classes are VADER's own (compound ≥ 0.05 positive, ≤ −0.05 negative)."""
    texts = [
        "I love it, best decision ever, so happy!",
        "This is terrible, I hate it, awful.",
        "question: what time is it there",
        "not bad at all",
        "meh",
        "the ban is coming lol",
        "kind of sad today 😢",
        "okay",
        "I don't like it. But the people are nice.",
    ]
    for text in texts:
        compound = lex._vader.polarity_scores(text)["compound"]
        expected = 1 if compound >= 0.05 else -1 if compound <= -0.05 else 0
        assert np.sign(level(lex, text)) == expected, text
    assert level(lex, "nice day [哭惹R]") < level(lex, "nice day")  # a sticker in English counts too


def test_mixed_text_takes_its_most_emphatic_sentence(lex):
    calm = "今天去了超市。"
    assert level(lex, calm + " I absolutely hate this ban!!") <= -1
    assert level(lex, calm + " I absolutely love this app!!") >= 1
    assert lex.score("nice day [哭惹R]")[0] == "en"  # a sticker's name is not Chinese text


def test_a_text_on_a_cut_off_takes_the_level_farther_from_zero():
    for cuts in CUTOFFS.values():
        assert [level_of(level_position(c, cuts)) for c in cuts] == [-2, -1, 1, 2]
        assert list(levels_at(cuts, cuts)) == [-2, -1, 1, 2]
    s = np.random.default_rng(1).uniform(-1, 1, 500)
    for cuts in CUTOFFS.values():
        assert list(levels_at(s, cuts)) == [level_of(level_position(v, cuts)) for v in s]


def test_calibration_holds_fixed_cutoffs():
    rng = np.random.default_rng(0)
    s = rng.uniform(-1, 1, 4000)
    truth = (-0.5, -0.05, 0.05, 0.7)
    cuts, acc = calibrate_cutoffs(s, levels_at(s, truth), fixed={1: -0.05, 2: 0.05})
    assert cuts[1:3] == (-0.05, 0.05) and acc > 0.98
    assert np.allclose(cuts, truth, atol=0.03)


def _write_set(folder: Path, language: str, rows: list[tuple[str, str]], annotation: str) -> None:
    folder.mkdir(parents=True)
    for name, part in (("train.csv", rows), ("test.csv", rows[:4])):
        with (folder / name).open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([("text", "label"), *part])
    mapping = {"pos": "positive", "neg": "negative", "neu": "neutral"}
    meta = {"language": language, "annotation": annotation, "sentiment": mapping}
    (folder / "labels.json").write_text(json.dumps(meta), encoding="utf-8")


def test_calibration_script_fits_on_human_sets(tmp_path, monkeypatch, capsys):
    zh = [
        ("好开心，太喜欢了", "pos"),
        ("感谢大家的支持[赞]", "pos"),
        ("今天真美好", "pos"),
        ("非常满意，推荐", "pos"),
        ("气死了，垃圾", "neg"),
        ("好难过[泪]", "neg"),
        ("太失望了", "neg"),
        ("讨厌，恶心", "neg"),
        ("明天三点开会", "neu"),
        ("这本书有十二章", "neu"),
    ]
    en = [("I love it", "pos"), ("great day", "pos"), ("I hate it", "neg"), ("awful", "neg"), ("it is 5 pm", "neu")]
    _write_set(tmp_path / "sets" / "zh_human", "zh", zh, "human (made up for this test)")
    _write_set(tmp_path / "sets" / "zh_auto", "zh", zh[::-1], "SEMI-AUTOMATIC (FLAG)")
    _write_set(tmp_path / "sets" / "en_human", "en", en, "human")
    monkeypatch.setattr(lexicon, "ZH_WEIGHTS", lexicon.ZH_WEIGHTS)  # the script sets it for its run
    monkeypatch.setattr(sys, "path", list(sys.path))  # the script puts benchmarks/ on it
    spec = importlib.util.spec_from_file_location("calibrate_lexicon", REPO / "scripts" / "calibrate_lexicon.py")
    script = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(script)
        script.main(["--sets", str(tmp_path / "sets")])
    finally:
        sys.modules.pop("real_text", None)
    out = capsys.readouterr().out
    assert "(fitted on the train halves of zh_human)" in out
    fitted = dict(zip("abck", lexicon.ZH_WEIGHTS))
    assert fitted["b"] > 0  # the word reading points the right way
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    assert set(lines) == {"zh_human", "zh_auto", "en_human"} and "(fitted on)" not in lines["zh_auto"]
