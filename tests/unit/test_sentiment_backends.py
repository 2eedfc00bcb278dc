"""Sentiment backends: the transformers path on a tiny locally built classifier (no hub), the
lexicon fallback, and the content-hash cache."""

import random

import numpy as np
import pytest
import torch

from rednote_dagster.defs.resources import SentimentModel
from rednote_dagster.lib.labelling.cache import input_hash, label_documents
from rednote_dagster.lib.labelling.lexicon import (
    CUTOFFS,
    LexiconSentiment,
    calibrate_cutoffs,
    level_position,
    soft_levels,
)
from rednote_dagster.lib.labelling.scheme import Document
from rednote_dagster.lib.labelling.schemes import SENTIMENT
from rednote_dagster.lib.labelling.text import note_text, script_of
from rednote_dagster.lib.labelling.transformers_backend import TransformersClassifier
from rednote_dagster.lib.sentiment import load_sentiment_backend
from tests.tiny_models import tiny_classifier

TEXTS = [
    "I love it here, so happy 😊",
    "这太恶心了！！",
    "what time is it there lol",
    "so happy you're here ❤️",
    "你的故事，有点无聊唉",
    "Best decision ever, I love it!",
    "太好了，喜欢",
    "kind of sad today",
    "在哪里买的",
    "hello from Ohio",
    "谢谢大家的欢迎",
    "this is terrible, I hate the ban",
]
# Shuffled on purpose: the backend must read the order from config.id2label.
ID2LABEL = {0: "Neutral", 1: "Very Positive", 2: "Negative", 3: "Very Negative", 4: "Positive"}


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    return tiny_classifier(tmp_path_factory.mktemp("tiny") / "clf", TEXTS * 5, ID2LABEL, max_len=32)


@pytest.fixture(scope="module")
def classifier(tiny_model_dir):
    return TransformersClassifier(SENTIMENT, str(tiny_model_dir), batch_size=4, threads=1)


def raw_probabilities(clf, text):
    """Reference: one text, no batching, straight through the model, columns in the model's order."""
    enc = clf.tokenizer([text], truncation=True, max_length=clf.max_length, return_tensors="pt")
    with torch.inference_mode():
        return torch.softmax(clf.model(**enc).logits, dim=-1)[0].double().numpy()


def test_label_order_comes_from_config(classifier):
    # scheme code → model column: -2 is "Very Negative" = id 3, … 2 is "Very Positive" = id 1
    assert classifier.column_of_code == [3, 2, 0, 4, 1]
    for text in TEXTS:
        expected = raw_probabilities(classifier, text)[[3, 2, 0, 4, 1]]
        np.testing.assert_allclose(classifier.probabilities([text])[0], expected, atol=1e-5)
    preds = classifier.predict([Document(t) for t in TEXTS])
    assert {p.code for p in preds} <= set(SENTIMENT.codes)
    assert len({p.code for p in preds}) >= 2, "the tiny model should not be constant"
    for p in preds:
        assert p.confidence == pytest.approx(max(p.probabilities))
        assert sum(p.probabilities) == pytest.approx(1.0)


def test_config_labels_that_do_not_fit_the_scheme_are_refused(tmp_path):
    bad = tiny_classifier(tmp_path / "bad", TEXTS, {0: "negative", 1: "neutral", 2: "positive"}, max_len=32)
    with pytest.raises(ValueError, match="scheme"):
        TransformersClassifier(SENTIMENT, str(bad))


def test_local_model_revision_is_a_content_hash(classifier, tiny_model_dir):
    assert classifier.model_id == str(tiny_model_dir.resolve())
    assert classifier.model_revision.startswith("local-") and len(classifier.model_revision) == 22


def test_very_long_text_is_truncated_at_the_model_maximum(classifier):
    long_text = "I love it here. " * 2000
    assert len(classifier.tokenizer(long_text)["input_ids"]) > classifier.max_length
    (probs,) = classifier.probabilities([long_text])
    ids = classifier.tokenizer(long_text, truncation=True, max_length=classifier.max_length)["input_ids"]
    prefix = classifier.tokenizer.decode(ids[1:-1])
    np.testing.assert_allclose(probs, classifier.probabilities([prefix])[0], atol=1e-5)


def test_empty_and_emoji_only_text(classifier):
    docs = [Document(""), Document("   \n"), Document("😊😊🎉"), Document("[偷笑R]")]
    run = label_documents(classifier, docs)
    assert [p.code for p in run.predictions[:2]] == [None, None]
    assert run.predictions[0].reason == "empty text"
    assert all(p.code in SENTIMENT.codes for p in run.predictions[2:])
    assert run.cache_misses == 2 and run.new_entries.num_rows == 2  # empty text: no call, no cache row


def test_batching_and_order_do_not_change_results(tiny_model_dir, classifier):
    texts = TEXTS + ["short", "a much longer text about moving to RedNote and learning Chinese every day"]
    reference = classifier.probabilities(texts)
    shuffled = list(range(len(texts)))
    random.Random(3).shuffle(shuffled)
    for batch_size in (1, 3, 16):
        clf = TransformersClassifier(SENTIMENT, str(tiny_model_dir), batch_size=batch_size, threads=1)
        out = clf.probabilities([texts[i] for i in shuffled])
        # Padding to a batch's longest text changes the float32 matmul shapes, so the same text can
        # differ in the fifth decimal across batch sizes (seen: 1.2e-5); a misordered or mixed-up row
        # differs by orders of magnitude more.
        np.testing.assert_allclose(out, reference[shuffled], atol=1e-4)
        assert (out.argmax(1) == reference[shuffled].argmax(1)).all()


def test_int8_path_is_cached_apart_and_agrees_mostly(tiny_model_dir, classifier):
    q = TransformersClassifier(SENTIMENT, str(tiny_model_dir), int8=True, threads=1)
    assert q.model_revision == classifier.model_revision + "+int8"
    agree = (q.probabilities(TEXTS).argmax(1) == classifier.probabilities(TEXTS).argmax(1)).mean()
    assert agree >= 0.75


def test_cache_makes_zero_model_calls_the_second_time(classifier):
    docs = [Document(t) for t in TEXTS] + [Document(TEXTS[0])]  # a duplicate is labelled once
    before = classifier.model_calls
    first = label_documents(classifier, docs)
    assert classifier.model_calls - before == len(TEXTS) == first.cache_misses
    cache = dict(zip(first.input_hashes, first.predictions))
    second = label_documents(classifier, docs, cache)
    assert classifier.model_calls - before == len(TEXTS), "second run must not call the model"
    assert second.cache_hits == len(docs) and second.cache_misses == 0 and second.new_entries.num_rows == 0
    assert [p.code for p in second.predictions] == [p.code for p in first.predictions]
    # an edited text is new content: labelled again, the rest still cached
    edited = docs[:-1] + [Document(TEXTS[1] + " (edited)")]
    third = label_documents(classifier, edited, cache)
    assert third.cache_misses == 1 and classifier.model_calls - before == len(TEXTS) + 1
    assert third.input_hashes[-1] == input_hash(TEXTS[1] + " (edited)")


def test_lexicon_backend_reads_english_and_chinese():
    lex = LexiconSentiment(SENTIMENT)
    preds = lex.predict(
        [
            Document(t)
            for t in [
                "I love it, best decision ever, so happy!",
                "This is terrible, I hate it, awful.",
                "太好了，非常喜欢，开心",
                "太恶心了，讨厌，难过",
                "question: what time is it there",
            ]
        ]
    )
    scores = [int(p.code) for p in preds]
    assert scores[0] >= 1 and scores[1] <= -1 and scores[2] >= 1 and scores[3] <= -1 and scores[4] == 0
    for p in preds:
        assert p.confidence == max(p.probabilities) and sum(p.probabilities) == pytest.approx(1.0)
    assert lex.model_revision.startswith("vader-")


def test_lexicon_levels_follow_the_cutoffs():
    for cuts in CUTOFFS.values():
        edges = [-1.0, *cuts, 1.0]
        for level in range(-2, 3):
            s = (edges[level + 2] + edges[level + 3]) / 2  # the middle of the level's span
            probs = soft_levels(level_position(s, cuts))
            assert int(np.argmax(probs)) - 2 == level
    assert max(soft_levels(0.0)) == pytest.approx(0.787, abs=0.01)
    assert max(soft_levels(0.5)) == pytest.approx(0.49, abs=0.01)


def test_calibration_recovers_planted_cutoffs():
    rng = np.random.default_rng(0)
    s = rng.uniform(-1, 1, 4000)
    truth = (-0.5, -0.1, 0.3, 0.7)
    levels = np.digitize(s, truth) - 2
    cuts, acc = calibrate_cutoffs(s, levels)
    assert acc > 0.98
    assert np.allclose(cuts, truth, atol=0.03)


def test_auto_falls_back_loudly_when_the_model_cannot_be_loaded(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    backend, reason = load_sentiment_backend(SentimentModel(model="no-such-org/no-such-model", revision="abc"))
    assert backend.name == "lexicon" and "no-such-org/no-such-model" in reason
    with pytest.raises(OSError):  # transformers: no config.json in that folder
        load_sentiment_backend(SentimentModel(backend="transformers", model=str(tmp_path / "missing")))


def test_auto_uses_a_local_model_folder(tiny_model_dir):
    backend, reason = load_sentiment_backend(SentimentModel(model=str(tiny_model_dir), revision=""))
    assert backend.name == "transformers" and reason is None


def test_note_text_and_script():
    assert note_text("Hello", "Hello there\n#tag") == "Hello there\n#tag"
    assert note_text("Title", "Body") == "Title\nBody"
    assert note_text(None, "") == ""
    assert script_of("我今天很开心") == "zh"
    assert script_of("I am happy today #TikTokRefugee[话题]#") == "en"
    assert script_of("Hello 大家好, I am new here, 很高兴认识你们") == "mixed"
    assert script_of("😊😊") == "none"


def _zh_sentences() -> list[str]:
    """Corpus phrases, hand-written edge cases and seeded recombinations with punctuation, digits,
    emoji, Latin words and characters the SnowNLP segmenter has never seen."""
    import re

    from snownlp import seg

    from rednote_dagster.lib.corpus import text as corpus_text

    phrases = []

    def walk(v):
        if isinstance(v, str):
            if re.search(r"[\u4e00-\u9fa5]", v):
                phrases.append(v)
        elif isinstance(v, (tuple, list)):
            for x in v:
                walk(x)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)

    for name, value in sorted(vars(corpus_text).items()):
        if not name.startswith("__"):
            walk(value)
    phrases = list(dict.fromkeys(phrases))
    uni = seg.segger.segger.uni.d
    unknown = [chr(c) for c in range(0x4E00, 0x9FA6) if all((chr(c), t) not in uni for t in "bmes")][::97][:40]
    assert len(unknown) >= 20
    edge = [
        "好",
        "差",
        "的",
        "我",
        "。",
        "！",
        "   ",
        "",
        "😊",
        "123",
        "a",
        "好😊",
        "1好2坏3",
        "不好不坏",
        "太好了，非常喜欢，开心",
        "太恶心了，讨厌，难过",
        "这个APP的设置，生气！太过分了",
        "哈哈哈哈哈哈哈哈哈哈",
        "我我我我我我",
        "，，，好，，，",
        "yyds绝绝子",
        "中 美 友 谊",
        "\n好\t坏\n",
        "[赞R]开心",
        "#小红书[话题]#",
        unknown[0],
        unknown[0] * 3,
        unknown[0] + "好",
        "好" + unknown[0],
        unknown[0] + "好" + unknown[1] + "坏",
        "".join(unknown[:8]),
        "今天" + "".join(unknown[2:5]) + "很开心",
        "长" * 200,
    ]
    rng = random.Random(20240611)
    glue = ["", "", "，", "。", "！", "？", " ", "～", "...", "😂", "❤️", "2025", "OK", "lol"]
    mixed = []
    for _ in range(400):
        parts = []
        for _ in range(rng.randint(1, 4)):
            pick = rng.random()
            if pick < 0.7:
                p = rng.choice(phrases)
            elif pick < 0.85:
                p = "".join(rng.choice(unknown) for _ in range(rng.randint(1, 3)))
            else:
                p = "".join(rng.choice(phrases)[rng.randrange(2) :][: rng.randint(1, 6)] for _ in range(2))
            parts.append(p)
            parts.append(rng.choice(glue))
        mixed.append("".join(parts))
    return phrases + edge + mixed


def test_fast_snownlp_equals_snownlp_exactly(monkeypatch):
    import snownlp
    from snownlp import seg

    from rednote_dagster.lib.labelling import snownlp_fast

    assert snownlp_fast.is_exact_version(), "snownlp changed: re-verify snownlp_fast (it now falls back to SnowNLP)"
    sentences = _zh_sentences()
    assert len(sentences) > 800
    for s in sentences:
        # SnowNLP("") fails in its unrelated BM25 set-up; its sentiment module still answers
        expected = snownlp.SnowNLP(s).sentiments if s else snownlp.sentiment.classify(s)
        assert snownlp_fast.sentiments.__wrapped__(s) == expected, s  # exact, not approx
        assert snownlp_fast.sentiments(s) == expected, s
    # the tagger itself, character by character, on every Chinese run
    tagger = snownlp_fast._engine.tagger
    for s in sentences:
        for run in seg.re_zh.findall(s):
            assert tagger.tag(run) == [t for _, t in seg.segger.segger.tag(run)], run
    # another snownlp version: SnowNLP itself answers
    monkeypatch.setattr(snownlp_fast, "VERIFIED_SNOWNLP", "0.0.0")
    monkeypatch.setattr(snownlp_fast, "_engine", None)
    assert snownlp_fast.sentiments.__wrapped__("太好了") == snownlp.SnowNLP("太好了").sentiments
    assert snownlp_fast._engine is None


def test_lexicon_pool_gives_the_same_predictions_in_order(monkeypatch):
    from rednote_dagster.lib.labelling import lexicon

    texts = TEXTS + _zh_sentences()[::20] + ["", "   ", "😊😊🎉", "Hello 大家好, I am new here, 很高兴认识你们"]
    docs = [Document(t) for t in texts]
    lex = LexiconSentiment(SENTIMENT, workers=1)
    in_process = lex.predict(docs)
    assert in_process == [lex.predict([d])[0] for d in docs]

    pools = []

    class CountingPool(lexicon.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            pools.append(kwargs["mp_context"].get_start_method())
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(lexicon, "ProcessPoolExecutor", CountingPool)
    monkeypatch.setattr(lexicon, "POOL_MIN_DOCUMENTS", 10)
    pooled = LexiconSentiment(SENTIMENT, workers=2)
    assert pooled.predict(docs) == in_process
    assert pools == ["spawn"]
    pooled.predict(docs[:9])  # below the threshold: no pool
    assert pools == ["spawn"]
