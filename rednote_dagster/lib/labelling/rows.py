"""Rows of a scheme's label table (enrich.note_topics, enrich.comment_emotion, enrich.comment_stance):
the item's keys, the code with the columns that describe it, and the provenance of the label."""

from collections.abc import Callable, Mapping

import polars as pl

from rednote_dagster.lib.labelling.base import LabelBackend
from rednote_dagster.lib.labelling.cache import LabelRun, input_hash
from rednote_dagster.lib.labelling.scheme import Document


def coded_rows(
    keys: pl.DataFrame,
    id_column: str,
    documents: list[Document],
    run: LabelRun,
    backend: LabelBackend,
    training_ids: set[str],
    describe: Mapping[str, Callable[[str], str]],
) -> pl.DataFrame:
    """``keys`` (one row per document, in order) plus, in this order: content and prompt hashes, the code,
    one column per ``describe`` entry (its function of the code; null without a code), confidence, why
    there is no code, the raw answer, whether the item trained the backend, and the backend, model,
    revision and scheme version."""
    preds = run.predictions
    codes = [p.code for p in preds]
    scheme = backend.scheme
    return keys.with_columns(
        pl.Series("content_hash", [input_hash(d.text) for d in documents], dtype=pl.String),
        pl.Series("prompt_hash", run.input_hashes, dtype=pl.String),
        pl.Series("code", codes, dtype=pl.String),
        *[
            pl.Series(name, [value(c) if c else None for c in codes], dtype=pl.String)
            for name, value in describe.items()
        ],
        pl.Series("confidence", [p.confidence for p in preds], dtype=pl.Float64),
        pl.Series("unknown_reason", [p.reason if p.code is None else None for p in preds], dtype=pl.String),
        pl.Series("raw_response", [p.raw_response for p in preds], dtype=pl.String),
        pl.Series("in_training_set", [i in training_ids for i in keys[id_column]], dtype=pl.Boolean),
        pl.lit(backend.name).alias("backend"),
        pl.lit(backend.model_id).alias("model_id"),
        pl.lit(backend.model_revision).alias("model_revision"),
        pl.lit(f"{scheme.version}/{scheme.fingerprint()}").alias("scheme_version"),
    )
