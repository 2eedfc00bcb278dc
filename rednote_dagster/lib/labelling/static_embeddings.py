"""Static embeddings distilled from a sentence-transformers model (the Model2Vec method).

Why: on two CPU cores all-MiniLM-L6-v2 embeds about 300 comments/s, close to the cores' peak
FLOP rate, so the paper-scale corpus (≈ 340k distinct comments, 43k notes) spends 20+ minutes in
the transformer. A static model is one vector per token; a text's embedding is the mean of its
tokens' vectors, so encoding is tokenisation plus a lookup (tens of thousands of texts/s).

Distillation (Tulkens & van Dongen, Model2Vec, 2024): every vocabulary token goes through the
source model alone, wrapped in its special tokens ("[CLS] token [SEP]"), and the mean of the
output states is that token's vector; PCA to ``pca_dims``; then each row is weighted by
SIF(Zipf) = a / (a + p(rank)), p ∝ 1 / (rank + 1) with the vocabulary order as frequency rank, so
frequent (early) tokens count less. No data is needed, and the result is deterministic for a given
source model. It is saved as a sentence-transformers folder (one ``StaticEmbedding`` module), so
it loads like any local model and its revision is the hash of its files.

It trades accuracy for speed: report κ for the embedding model you use (README, "Scale").
"""

import hashlib
import json
import re
from pathlib import Path

import numpy as np

from rednote_dagster.lib.exports import atomic_folder

STATIC_PREFIX = "static"  # REDNOTE_EMBEDDING_MODEL=static[:<source model id or folder>]
DISTILL_PARAMS = {"method": "model2vec", "pooling": "mean", "pca_dims": 256, "sif_coefficient": 1e-4}
_UNUSED = re.compile(r"\[unused\d+\]")


def is_static_spec(model: str) -> bool:
    return model == STATIC_PREFIX or model.startswith(STATIC_PREFIX + ":")


def static_source(model: str) -> str:
    """The source model named by a ``static[:<source>]`` spec; "" is the bundled MiniLM."""
    return model.partition(":")[2]


def sif_weights(n: int, coefficient: float) -> np.ndarray:
    inverse_rank = 1.0 / np.arange(2, n + 2)
    return coefficient / (coefficient + inverse_rank / inverse_rank.sum())


def token_vectors(transformer, tokenizer, batch_size: int = 1024) -> np.ndarray:
    """(vocab_size, hidden) mean output state of each token id alone between the special tokens."""
    import torch

    prefix, suffix = _special_wrapping(tokenizer)
    ids = torch.arange(len(tokenizer), dtype=torch.long)
    out = np.zeros((len(ids), transformer.config.hidden_size), np.float32)
    transformer.eval()
    with torch.inference_mode():
        for start in range(0, len(ids), batch_size):
            chunk = ids[start : start + batch_size, None]
            input_ids = torch.cat(
                [torch.tensor(prefix).expand(len(chunk), -1), chunk, torch.tensor(suffix).expand(len(chunk), -1)], dim=1
            )
            hidden = transformer(input_ids=input_ids, attention_mask=torch.ones_like(input_ids)).last_hidden_state
            out[start : start + len(chunk)] = hidden.mean(dim=1).float().numpy()
    return np.nan_to_num(out)


def _special_wrapping(tokenizer) -> tuple[list[int], list[int]]:
    """The special token ids the tokenizer puts before and after one token (e.g. [CLS] … [SEP])."""
    marker = tokenizer.convert_tokens_to_ids(tokenizer.unk_token)
    wrapped = tokenizer(tokenizer.unk_token, add_special_tokens=True)["input_ids"]
    i = wrapped.index(marker)
    return wrapped[:i], wrapped[i + 1 :]


def distill(
    source: str,
    out_dir: Path,
    *,
    revision: str | None = None,
    pca_dims: int = DISTILL_PARAMS["pca_dims"],
    sif_coefficient: float = DISTILL_PARAMS["sif_coefficient"],
) -> Path:
    """Distil the sentence-transformers model ``source`` (a folder or a model id) into ``out_dir``."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from sklearn.decomposition import PCA

    source = SentenceTransformer(source, revision=revision, device="cpu")
    tokenizer = source.tokenizer
    vectors = token_vectors(source[0].auto_model, tokenizer)
    vocab = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    real = np.array([not _UNUSED.fullmatch(t or "") for t in vocab])
    dims = min(pca_dims, vectors.shape[1], int(real.sum()) - 1)
    pca = PCA(n_components=dims, svd_solver="full").fit(vectors[real])
    weights = pca.transform(vectors).astype(np.float32) * sif_weights(len(vocab), sif_coefficient)[:, None]

    out_dir.mkdir(parents=True, exist_ok=True)
    static = StaticEmbedding(tokenizer.backend_tokenizer, embedding_weights=weights.astype(np.float32))
    SentenceTransformer(modules=[static], device="cpu").save(str(out_dir))
    (out_dir / "distillation.json").write_text(
        json.dumps(
            DISTILL_PARAMS
            | {
                "pca_dims": dims,
                "sif_coefficient": sif_coefficient,
                "explained_variance": round(float(pca.explained_variance_ratio_.sum()), 4),
            },
            indent=2,
        )
    )
    return out_dir


def distilled_dir(models_dir: Path, source_id: str, source_revision: str) -> Path:
    """Where the static model of a source model and revision lives (one folder per source)."""
    key = hashlib.sha256(json.dumps([source_id, source_revision, DISTILL_PARAMS]).encode()).hexdigest()[:12]
    return models_dir / "static_embeddings" / f"{Path(source_id).name}-{key}"


def ensure_distilled(
    models_dir: Path, source: str, source_id: str, source_revision: str, hub_revision: str | None = None
) -> Path:
    """The static model distilled from the source, distilling it the first time (about a minute on
    two cores for a 30k-token vocabulary). Written to a temporary folder and renamed, so a killed
    run never leaves half a model."""
    target = distilled_dir(models_dir, source_id, source_revision)
    if (target / "distillation.json").exists():
        return target
    with atomic_folder(target) as scratch:
        distill(source, scratch, revision=hub_revision)
    return target
