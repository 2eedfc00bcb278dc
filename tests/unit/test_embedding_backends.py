"""Embedding backends: the Embedder (local folder, bundled MiniLM, reuse of known vectors), the
supervised backend on manual codes and the zero-shot backend on label descriptions."""

import numpy as np
import pytest

from rednote_dagster.lib.labelling.cache import input_hash, label_documents
from rednote_dagster.lib.labelling.embeddings import (
    BUNDLED_MINILM,
    FEATURE_CHOICE_TOLERANCE,
    MINILM,
    Embedder,
    SupervisedOnEmbeddings,
    ZeroShotOnEmbeddings,
    choose_features,
)
from rednote_dagster.lib.labelling.scheme import Document
from rednote_dagster.lib.labelling.schemes import EMOTION, TAXONOMY
from tests.processes import pool_workers
from tests.tiny_models import tiny_sentence_encoder

POOLS = {
    "2c": ["dumplings", "noodles", "recipe", "cooking", "spicy", "饺子", "火锅", "早餐"],
    "1a": ["ban", "congress", "censorship", "court", "shutdown", "禁令", "法院", "国会"],
    "6": ["painting", "drawing", "music", "guitar", "sketch", "绘画", "音乐", "唱歌"],
}


def texts_for(code, n, seed):
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(POOLS[code], 4)) for _ in range(n)]


@pytest.fixture(scope="module")
def tiny_embedder(tmp_path_factory):
    corpus = [t for code in POOLS for t in texts_for(code, 30, 0)]
    return Embedder(str(tiny_sentence_encoder(tmp_path_factory.mktemp("enc"), corpus)))


def test_embedder_local_folder_normalises_and_reuses_known_vectors(tiny_embedder):
    assert tiny_embedder.model_revision.startswith("local-")
    vectors = tiny_embedder.encode(["饺子 dumplings", "court ban", "饺子 dumplings"])
    assert vectors.shape == (3, tiny_embedder.dimension)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(vectors[0], vectors[2])
    before = tiny_embedder.encoded
    tiny_embedder.encode(["court ban"])
    assert tiny_embedder.encoded == before, "a known text is not embedded again"
    assert input_hash("court ban") in tiny_embedder.fresh


def test_supervised_backend_learns_the_manual_codes(tiny_embedder):
    train = [(t, code) for code in POOLS for t in texts_for(code, 25, 1)]
    backend = SupervisedOnEmbeddings(TAXONOMY, tiny_embedder, [t for t, _ in train], [c for _, c in train])
    held_out = [(t, code) for code in POOLS for t in texts_for(code, 10, 2)]
    preds = backend.predict([Document(t) for t, _ in held_out])
    accuracy = np.mean([p.code == code for p, (_, code) in zip(preds, held_out)])
    assert accuracy >= 0.8
    for p in preds:
        assert len(p.probabilities) == len(TAXONOMY.codes) and sum(p.probabilities) == pytest.approx(1.0)
        # codes nobody coded get probability 0, never a guess
        assert all(p.probabilities[i] == 0 for i, c in enumerate(TAXONOMY.codes) if c not in POOLS)
    other = SupervisedOnEmbeddings(TAXONOMY, tiny_embedder, [t for t, _ in train][:-1], [c for _, c in train][:-1])
    assert other.model_revision != backend.model_revision, "another training set is another model"
    with pytest.raises(ValueError, match="not in scheme"):
        SupervisedOnEmbeddings(TAXONOMY, tiny_embedder, ["x", "y"], ["1a", "food"])


def test_supervised_features_are_chosen_by_cross_validated_kappa(tiny_embedder):
    """Chinese texts that differ only in words the tiny encoder never saw: the embeddings cannot tell the
    codes apart, character n-grams can, and the backend picks them and says so."""
    rng = np.random.default_rng(3)
    words = {"2c": ["好吃", "米饭", "做菜"], "6": ["画画", "弹琴", "唱歌"]}
    texts = [" ".join(rng.choice(words[c], 3)) + " 哈哈" for c in words for _ in range(20)]
    codes = [c for c in words for _ in range(20)]
    random_vectors = np.random.default_rng(4).normal(size=(len(texts), 8)).astype(np.float32)
    features, kappas = choose_features(texts, random_vectors, codes)
    assert set(kappas) == {"embeddings", "char-ngrams", "char-ngrams+embeddings"}
    assert features != "embeddings" and kappas[features] > 0.9 > kappas["embeddings"] + 0.5

    backend = SupervisedOnEmbeddings(TAXONOMY, tiny_embedder, texts, codes)
    assert backend.features in ("char-ngrams", "char-ngrams+embeddings")
    assert backend.cv_kappa[backend.features] >= max(backend.cv_kappa.values()) - FEATURE_CHOICE_TOLERANCE
    assert backend.features in backend.model_id
    assert backend.describe()["features"] == backend.features
    fixed = SupervisedOnEmbeddings(TAXONOMY, tiny_embedder, texts, codes, features="embeddings")
    assert fixed.cv_kappa == {} and fixed.model_id != backend.model_id
    # one item of a class: nothing to cross-validate, both kinds of feature, no κ claimed
    assert choose_features(texts[:21], random_vectors[:21], codes[:21]) == ("char-ngrams+embeddings", {})


def test_cross_validation_in_worker_processes_matches_sklearn_in_this_one():
    """The fold fits run in worker processes and their held-out predictions are put back in place: each
    candidate's κ equals scikit-learn's own cross_val_predict on the same folds, with one worker or two."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import cohen_kappa_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(11)
    codes = [code for code in POOLS for _ in range(40)]
    texts = [t for code in POOLS for t in texts_for(code, 40, 12)]
    # vectors that carry the code only partly, so the folds' predictions differ and misplacing one shows
    centres = {code: rng.normal(size=16) for code in POOLS}
    vectors = np.stack([centres[c] * 0.4 + rng.normal(size=16) for c in codes]).astype(np.float32)
    with threadpool_limits(limits=1):
        expected = cross_val_predict(
            LogisticRegression(C=4.0, max_iter=5000, class_weight="balanced", random_state=0),
            vectors,
            codes,
            cv=StratifiedKFold(n_splits=5, shuffle=True, random_state=0),
        )
    kappa = round(float(cohen_kappa_score(codes, expected)), 4)
    assert 0.1 < kappa < 0.9
    one, two = choose_features(texts, vectors, codes, jobs=1), choose_features(texts, vectors, codes, jobs=2)
    assert one == two and one[1]["embeddings"] == kappa
    # its pool is gone when it returns: a command ending in os._exit leaves no worker holding its output
    assert not pool_workers()


def test_a_classifier_on_character_ngrams_does_not_embed_what_it_labels(tiny_embedder):
    """Embedding is most of a labelling run's time; n-grams alone never read the vectors."""
    train = [(t, code) for code in POOLS for t in texts_for(code, 15, 7)]
    texts, codes = [t for t, _ in train], [c for _, c in train]
    held_out = [Document(t + " 新的") for code in POOLS for t in texts_for(code, 5, 8)]
    ngrams = SupervisedOnEmbeddings(TAXONOMY, tiny_embedder, texts, codes, features="char-ngrams")
    before = tiny_embedder.encoded
    assert all(p.code in POOLS for p in ngrams.predict(held_out))
    assert tiny_embedder.encoded == before
    both = SupervisedOnEmbeddings(TAXONOMY, tiny_embedder, texts, codes, features="char-ngrams+embeddings")
    both.predict(held_out)
    assert tiny_embedder.encoded == before + len(held_out)


def test_one_training_set_is_fitted_once_per_process(tiny_embedder, monkeypatch):
    from rednote_dagster.lib.labelling import embeddings

    train = [(t, code) for code in POOLS for t in texts_for(code, 12, 5)]
    texts, codes = [t for t, _ in train], [c for _, c in train]
    calls = []
    real = embeddings.choose_features
    monkeypatch.setattr(embeddings, "choose_features", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = SupervisedOnEmbeddings(TAXONOMY, tiny_embedder, texts, codes)
    again = SupervisedOnEmbeddings(TAXONOMY, tiny_embedder, texts, codes)
    assert len(calls) == 1 and again.classifier is first.classifier and again.model_revision == first.model_revision
    SupervisedOnEmbeddings(TAXONOMY, tiny_embedder, texts[1:], codes[1:])
    assert len(calls) == 2, "another training set is fitted anew"


def test_zero_shot_with_the_bundled_minilm_reads_label_descriptions():
    embedder = Embedder(MINILM)
    assert embedder.model_id == BUNDLED_MINILM and embedder.model_revision.startswith("local-")
    backend = ZeroShotOnEmbeddings(TAXONOMY, embedder)
    run = label_documents(
        backend,
        [
            Document("What I eat in a day: breakfast, lunch and dinner food"),
            Document("Congress and the Supreme Court upheld the TikTok ban, the app shuts down Sunday"),
            Document("My new watercolor painting and a guitar song I wrote"),
        ],
    )
    assert [p.code for p in run.predictions] == ["2c", "1a", "6"]
    assert run.backend["backend"] == "zero-shot" and run.cache_misses == 3


def test_zero_shot_refuses_text_in_a_language_its_encoder_was_not_validated_for():
    """MiniLM is an English model: Chinese texts get no code and a reason, never a chance label."""
    backend = ZeroShotOnEmbeddings(EMOTION, Embedder(MINILM))
    run = label_documents(
        backend,
        [
            Document("I am so proud of my city, best day ever"),
            Document("今天去了新开的火锅店，太好吃了，下次还来"),
            Document("终于等到你 RedNote, welcome TikTok refugees 欢迎欢迎"),
        ],
    )
    english, chinese, mixed = run.predictions
    assert english.code in EMOTION.codes and mixed.code in EMOTION.codes
    assert chinese.code is None and "not validated for 'zh'" in chinese.reason
    assert "manual/emotion_coding.csv" in chinese.reason and backend.refused == 1
    assert run.backend["zero_shot_languages"] == "en,mixed,none"
    # an encoder the user brings is not gated; a gate can be given explicitly
    assert ZeroShotOnEmbeddings(EMOTION, Embedder(MINILM), languages=frozenset({"zh"})).refusal("hello world")


def test_vectors_stored_in_the_warehouse_are_looked_up_not_recomputed(tiny_embedder, tmp_path):
    from dagster_duckdb import DuckDBResource

    from rednote_dagster.lib.labelling.embedding_store import WarehouseEmbeddings, embeddings_upsert
    from rednote_dagster.lib.warehouse import replace_partitions

    duckdb = DuckDBResource(database=str(tmp_path / "w.duckdb"))
    store = WarehouseEmbeddings(duckdb.get_connection)
    first = Embedder(tiny_embedder.model_id, stored=store)  # no table yet: nothing found, everything computed
    vectors = first.encode(["饺子 dumplings", "court ban"])
    with duckdb.get_connection() as con:
        replace_partitions(con, [embeddings_upsert(first)])
        # another revision's (different) vectors for the same texts must not be taken
        con.execute(
            "INSERT INTO enrich.text_embeddings SELECT model_id, 'other-revision', input_hash, "
            "list_transform(embedding, lambda x: 0.0::FLOAT) FROM enrich.text_embeddings"
        )
    second = Embedder(tiny_embedder.model_id, stored=store)
    again = second.encode(["court ban", "饺子 dumplings", "guitar music"])
    assert second.encoded == 1 and second.fresh == {input_hash("guitar music")}  # only the new text
    np.testing.assert_allclose(again[:2], vectors[::-1], rtol=1e-6)
    assert len(second.known) == 3  # the run's texts, not the whole table


def test_label_descriptions_favour_no_language():
    """Zero-shot and the LLM read the descriptions: words of one language in one label's description pull
    every text of that language to it (Chinese words in one emotion once drew 97 % of Chinese posts)."""
    import re

    from rednote_dagster.lib.labelling.schemes import SENTIMENT, STANCE

    for scheme in (SENTIMENT, TAXONOMY, EMOTION, STANCE):
        for label in scheme.labels:
            assert not re.search(r"[\u3400-\u9fff]", f"{label.name} {label.description}"), (scheme.name, label.code)


def test_a_cross_validated_kappa_within_the_tolerance_takes_the_cheaper_features(monkeypatch):
    """Both kinds of feature may beat n-grams alone by less than the noise of the coding; then the n-grams
    win, which spares embedding every text the backend labels. A clear gain keeps the dearer set."""
    import sklearn.metrics

    texts = [f"文本 {i}" for i in range(20)]
    codes = ["a", "b"] * 10
    vectors = np.zeros((20, 2), np.float32)
    for margin, expected in ((FEATURE_CHOICE_TOLERANCE / 2, "char-ngrams"), (0.05, "char-ngrams+embeddings")):
        scores = iter([0.80, 0.90, 0.90 + margin])  # embeddings, char-ngrams, both: FEATURE_SETS order
        monkeypatch.setattr(sklearn.metrics, "cohen_kappa_score", lambda *a, scores=scores, **k: next(scores))
        features, kappas = choose_features(texts, vectors, codes)
        assert features == expected, kappas
