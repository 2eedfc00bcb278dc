"""κ of the offline emotion and stance backends against the planted labels of a bundled corpus.

    python -m rednote_dagster corpus --scale small --seed 0 --out /tmp/affect_corpus
    HF_HUB_OFFLINE=1 python scripts/affect_kappa.py /tmp/affect_corpus [--embedding-model static]

Reads every accepted comment from the corpus files, embeds it (default USE multilingual; any
REDNOTE_EMBEDDING_MODEL value, e.g. ``static``, distilled under /tmp/rednote_models), trains
SupervisedOnEmbeddings on the consensus codes of the training half of
``_manual/{emotion,stance}_coding.csv`` (``lib.coding.split`` at validation share 0.5, as the
taxonomy does), predicts all comments and prints Cohen's κ against the planted labels in
``_truth/comments.csv`` - overall, per planted language, and against the human consensus on the
held-out half - and the same for ZeroShotOnEmbeddings.
"""

import argparse
import datetime as dt
from pathlib import Path

import polars as pl
from sklearn.metrics import cohen_kappa_score

from rednote_dagster.lib.coding import consensus, read_manual_coding, split
from rednote_dagster.lib.labelling.documents import comment_document
from rednote_dagster.lib.labelling.embeddings import Embedder, SupervisedOnEmbeddings, ZeroShotOnEmbeddings
from rednote_dagster.lib.labelling.schemes import EMOTION, STANCE
from rednote_dagster.lib.pseudonym import Pseudonymizer
from rednote_dagster.lib.xhs.ingest import ingest_entity

VALIDATION_SHARE = 0.5


def corpus_comments(root: Path) -> pl.DataFrame:
    """comment_id, content (one row per comment) joined to the planted truth."""
    pseudonymizer = Pseudonymizer(b"affect-kappa-only-key-32-bytes!!")
    months = sorted(p.name for p in root.iterdir() if p.name[:1].isdigit())
    frames = [
        pl.from_arrow(ingest_entity(root / m, dt.date.fromisoformat(f"{m}-01"), "comment", pseudonymizer).rows).select(
            "comment_id", "content"
        )
        for m in months
    ]
    contents = pl.concat(frames).unique("comment_id", keep="last")
    truth = pl.read_csv(root / "_truth/comments.csv", infer_schema_length=0)
    return truth.join(contents, on="comment_id", how="inner").sort("comment_id")


def kappa(a, b) -> float:
    return float(cohen_kappa_score(list(a), list(b)))


def report(
    name: str, comments: pl.DataFrame, predicted: list[str | None], column: str, validation: pl.DataFrame
) -> None:
    scored = comments.with_columns(pl.Series("predicted", predicted, dtype=pl.String)).drop_nulls("predicted")
    per_lang = ", ".join(
        f"{lang} {kappa(part[column], part['predicted']):.3f} (n={part.height})"
        for (lang,), part in sorted(scored.group_by("lang"))
    )
    held_out = validation.join(scored.select("comment_id", "predicted"), on="comment_id")
    print(
        f"  {name:10s} κ vs planted {kappa(scored[column], scored['predicted']):.3f} (n={scored.height}); "
        f"per language: {per_lang}; vs held-out human consensus "
        f"{kappa(held_out['code'], held_out['predicted']):.3f} (n={held_out.height})"
    )


def main(root: Path, embedding_model: str) -> None:
    comments = corpus_comments(root)
    embedder = Embedder(embedding_model, models_dir=Path("/tmp/rednote_models"))
    documents = [comment_document(text, None) for text in comments["content"].to_list()]
    texts = {d.text for d in documents if d.text}
    embedder.encode(sorted(texts))  # once for both schemes and both backends
    for scheme in (EMOTION, STANCE):
        coding = read_manual_coding(root / "_manual" / f"{scheme.name}_coding.csv", scheme.codes, "comment_id")
        training, validation = split(coding, VALIDATION_SHARE, "comment_id")
        train = consensus(training, "comment_id").join(comments.select("comment_id", "content"), on="comment_id")
        train = train.filter(pl.col("content").str.strip_chars() != "")
        print(
            f"{scheme.name}: {train.height} training comments (consensus of the training half), "
            f"{consensus(validation, 'comment_id').height} held out"
        )
        backends = {
            "supervised": SupervisedOnEmbeddings(scheme, embedder, train["content"].to_list(), train["code"].to_list()),
            "zero-shot": ZeroShotOnEmbeddings(scheme, embedder),
        }
        for name, backend in backends.items():
            predictions = [p.code for p in backend.predict(list(documents))]
            report(name, comments, predictions, scheme.name, consensus(validation, "comment_id"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--embedding-model", default="")
    args = parser.parse_args()
    main(args.corpus, args.embedding_model)
