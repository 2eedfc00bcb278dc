"""Static embeddings distilled from a sentence encoder (Model2Vec method), on a tiny encoder built
here: the token vectors are the source model's outputs, a text is the mean of its tokens, the
distilled folder is made once and recorded as its own model, and a classifier can learn on it."""

import numpy as np
import pytest

from rednote_dagster.lib.labelling import static_embeddings
from rednote_dagster.lib.labelling.embeddings import Embedder, SupervisedOnEmbeddings
from rednote_dagster.lib.labelling.scheme import Document
from rednote_dagster.lib.labelling.schemes import TAXONOMY
from rednote_dagster.lib.labelling.static_embeddings import sif_weights, token_vectors
from tests.tiny_models import tiny_sentence_encoder
from tests.unit.test_embedding_backends import POOLS, texts_for


@pytest.fixture(scope="module")
def encoder_dir(tmp_path_factory):
    corpus = [t for code in POOLS for t in texts_for(code, 30, 0)]
    return tiny_sentence_encoder(tmp_path_factory.mktemp("enc"), corpus)


@pytest.fixture(scope="module")
def static(encoder_dir, tmp_path_factory):
    models = tmp_path_factory.mktemp("models")
    return Embedder(f"static:{encoder_dir}", models_dir=models), models


def test_token_vectors_are_the_source_models_mean_output_of_each_token_alone(encoder_dir):
    import torch
    from sentence_transformers import SentenceTransformer

    source = SentenceTransformer(str(encoder_dir), device="cpu")
    tok, net = source.tokenizer, source[0].auto_model
    vectors = token_vectors(net, tok, batch_size=37)  # batches that do not divide the vocabulary
    assert vectors.shape == (len(tok), net.config.hidden_size)
    token = tok.convert_tokens_to_ids("饺")
    ids = torch.tensor([[tok.cls_token_id, token, tok.sep_token_id]])
    with torch.inference_mode():
        expected = net(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state.mean(dim=1)[0].numpy()
    np.testing.assert_allclose(vectors[token], expected, rtol=1e-4, atol=1e-5)


def test_sif_weights_give_frequent_tokens_less_weight():
    w = sif_weights(1000, 1e-4)
    assert np.all((w > 0) & (w < 1)) and np.all(np.diff(w) > 0)


def test_a_text_is_the_normalised_mean_of_its_token_vectors(static):
    embedder, _ = static
    table = embedder.model[0].embedding.weight.detach().numpy()
    tokenizer = embedder.model[0].tokenizer
    text = "饺子 court ban"
    ids = tokenizer.encode(text, add_special_tokens=False).ids
    expected = table[ids].mean(axis=0)
    np.testing.assert_allclose(embedder.encode([text])[0], expected / np.linalg.norm(expected), rtol=1e-5, atol=1e-6)
    assert embedder.dimension == table.shape[1] <= 32


def test_the_distilled_model_is_recorded_as_its_own_model_and_made_once(static, encoder_dir, monkeypatch):
    embedder, models = static
    assert embedder.model_id == f"static:{encoder_dir}"
    assert embedder.model_revision.startswith("local-")
    (folder,) = (models / "static_embeddings").iterdir()
    assert (folder / "distillation.json").exists()
    monkeypatch.setattr(static_embeddings, "distill", lambda *a, **k: pytest.fail("distilled twice"))
    again = Embedder(f"static:{encoder_dir}", models_dir=models)
    assert again.model_revision == embedder.model_revision
    with pytest.raises(ValueError, match="models_dir"):
        Embedder(f"static:{encoder_dir}")


def test_supervised_backend_learns_on_static_embeddings(static):
    embedder, _ = static
    train = [(t, code) for code in POOLS for t in texts_for(code, 25, 1)]
    backend = SupervisedOnEmbeddings(TAXONOMY, embedder, [t for t, _ in train], [c for _, c in train])
    held_out = [(t, code) for code in POOLS for t in texts_for(code, 10, 2)]
    predictions = backend.predict([Document(t) for t, _ in held_out])
    assert np.mean([p.code == code for p, (_, code) in zip(predictions, held_out)]) >= 0.8
    assert backend.model_id.startswith("static:")
