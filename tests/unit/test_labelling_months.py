"""The Dagster-free labelling glue: the month loop (one transaction per month, cache reused), the
scheme backend's choice and construction, and the rows of a scheme's label table."""

import datetime as dt
import hashlib

import duckdb
import numpy as np
import polars as pl
import pytest

from rednote_dagster.lib.labelling.base import LabelBackend, Prediction
from rednote_dagster.lib.labelling.cache import input_hash, label_documents
from rednote_dagster.lib.labelling.embedding_store import EMBEDDINGS_TABLE, embeddings_upsert, stored_embeddings
from rednote_dagster.lib.labelling.monthly import label_months
from rednote_dagster.lib.labelling.rows import coded_rows
from rednote_dagster.lib.labelling.scheme import Document
from rednote_dagster.lib.labelling.scheme_backend import build_scheme_backend
from rednote_dagster.lib.labelling.schemes import STANCE, TAXONOMY
from rednote_dagster.lib.taxonomy import CODE_COLUMNS

MARCH, APRIL = dt.date(2025, 3, 1), dt.date(2025, 4, 1)


class FirstWord(LabelBackend):
    """Labels a text with the scheme code it starts with, else the first code."""

    name, model_id, model_revision = "first-word", "first-word", "1"

    def _predict(self, documents):
        codes = self.scheme.codes
        return [
            Prediction(code=next((c for c in codes if d.text.startswith(c)), codes[0]), confidence=0.9)
            for d in documents
        ]


class HashEmbedder:
    """Deterministic 8-dimensional vectors, with the Embedder's bookkeeping (known, fresh)."""

    model_id, model_revision, dimension = "hash", "1", 8

    def __init__(self):
        self.known, self.fresh = {}, set()

    def encode(self, texts):
        for t in texts:
            h = input_hash(t)
            if h not in self.known:
                seed = int(hashlib.sha256(t.encode()).hexdigest()[:8], 16)
                self.known[h] = np.random.default_rng(seed).normal(size=8).astype(np.float32)
                self.fresh.add(h)
        return np.stack([self.known[input_hash(t)] for t in texts])


def _connect(path):
    return lambda: duckdb.connect(str(path))


def test_months_are_written_one_transaction_each_and_the_cache_is_reused(tmp_path):
    connect = _connect(tmp_path / "w.duckdb")
    texts = {MARCH: ["pro-china a", "neutral b"], APRIL: ["neutral b", "pro-foreign c", ""]}
    embedder = HashEmbedder()
    backend = FirstWord(STANCE)

    def documents_of_month(month):
        docs = [Document(t) for t in texts[month]]
        embedder.encode([d.text for d in docs])  # as an embedding backend would
        return pl.DataFrame({"comment_id": [f"{month:%m}-{i}" for i in range(len(docs))]}), docs

    def rows_of(month, df, docs, run):
        return df.with_columns(
            pl.lit(month).alias("collection_month"),
            pl.Series("code", [p.code for p in run.predictions], dtype=pl.String),
        )

    logged = []
    rows, runs = label_months(
        [MARCH, APRIL],
        connect,
        backend,
        embedder,
        "enrich.comment_stance",
        "stance",
        documents_of_month,
        rows_of,
        info=logged.append,
    )
    assert rows["code"].to_list() == ["pro-china", "neutral", "neutral", "pro-foreign", None]
    assert [(r.cache_hits, r.cache_misses) for r in runs] == [(0, 2), (1, 1)]  # "neutral b" labelled once
    assert logged == [
        "2025-03 stance: 2 rows, 0 cached, 2 labelled by first-word",
        "2025-04 stance: 3 rows, 1 cached, 1 labelled by first-word",
    ]
    assert embedder.fresh == set()  # stored with the month that computed them
    with connect() as con:
        assert con.execute("SELECT count(*) FROM enrich.comment_stance").fetchall()[0][0] == 5
        assert con.execute("SELECT count(*) FROM enrich.label_cache").fetchall()[0][0] == 3
        assert con.execute(f"SELECT count(*) FROM {EMBEDDINGS_TABLE}").fetchall()[0][0] == 4  # "" embedded too
        found = stored_embeddings(con, "hash", "1", [input_hash("neutral b"), input_hash("nowhere")])
    np.testing.assert_array_equal(found[input_hash("neutral b")], embedder.known[input_hash("neutral b")])
    assert len(found) == 1

    # a month that fails leaves the months before it written and nothing of its own
    def broken(month, df, docs, run):
        if month == APRIL:
            raise RuntimeError("boom")
        return rows_of(month, df, docs, run)

    texts[MARCH] = ["pro-foreign edited"]
    with pytest.raises(RuntimeError):
        label_months(
            [MARCH, APRIL], connect, backend, None, "enrich.comment_stance", "stance", documents_of_month, broken
        )
    with connect() as con:
        by_month = dict(
            con.execute("SELECT collection_month, count(*) FROM enrich.comment_stance GROUP BY 1").fetchall()
        )
    assert by_month == {MARCH: 1, APRIL: 3}


def test_embeddings_upsert_replaces_rows_of_the_same_key(tmp_path):
    from rednote_dagster.lib.warehouse import replace_partitions

    connect = _connect(tmp_path / "w.duckdb")
    embedder = HashEmbedder()
    embedder.encode(["a", "b"])
    with connect() as con:
        replace_partitions(con, [embeddings_upsert(embedder)])
        replace_partitions(con, [embeddings_upsert(embedder)])  # again: replaced, not duplicated
        assert con.execute(f"SELECT count(*), any_value(len(embedding)) FROM {EMBEDDINGS_TABLE}").fetchall() == [(2, 8)]
    embedder.fresh.clear()
    assert embeddings_upsert(embedder).data.num_rows == 0


def test_scheme_backend_kinds(tmp_path):
    coding = tmp_path / "stance_coding.csv"
    ids = [f"c{i}" for i in range(40)]
    codes = ["pro-china", "neutral", "pro-foreign"]
    coding.write_text(
        "comment_id,coder,code\n"
        + "".join(f"{i},{coder},{codes[n % 3]}\n" for n, i in enumerate(ids) for coder in ("a", "b"))
    )
    made = []

    def build(kind, share=0.5):
        return build_scheme_backend(
            STANCE,
            kind,
            llm=lambda scheme: made.append(scheme) or FirstWord(scheme),
            embedder=HashEmbedder,
            manual_coding=coding,
            id_column="comment_id",
            validation_share=share,
            texts_of=lambda wanted: {i: f"{codes[ids.index(i) % 3]} text {i}" for i in wanted},
            info=made.append,
        )

    llm = build("llm")
    assert llm.backend.name == "first-word" and llm.embedder is None and made == [STANCE]
    zero = build("zero-shot")
    assert zero.backend.name == "zero-shot" and zero.embedder is not None and zero.training_ids == set()
    supervised = build("supervised")
    assert supervised.backend.name == "supervised" and supervised.embedder is supervised.backend.embedder
    assert 0 < len(supervised.training_ids) < 40 and supervised.training_ids <= set(ids)
    told = [m for m in made if isinstance(m, str)]
    assert any(m.startswith(f"supervised stance backend: {len(supervised.training_ids)} manually coded") for m in told)
    assert any(m.startswith("supervised stance backend learns from ") for m in told)
    assert build("supervised", share=0.0).training_ids == set(ids)


def test_coded_rows_describe_the_code_and_its_provenance():
    backend = FirstWord(TAXONOMY)
    docs = [Document("2c dumplings"), Document("")]
    run = label_documents(backend, docs)
    keys = pl.DataFrame({"note_id": ["n1", "n2"], "collection_month": [MARCH, MARCH]})
    rows = coded_rows(keys, "note_id", docs, run, backend, {"n2"}, CODE_COLUMNS)
    assert rows.columns == [
        "note_id",
        "collection_month",
        "content_hash",
        "prompt_hash",
        "code",
        "code_name",
        "category",
        "category_name",
        "topic_group",
        "confidence",
        "unknown_reason",
        "raw_response",
        "in_training_set",
        "backend",
        "model_id",
        "model_revision",
        "scheme_version",
    ]
    assert rows.row(0, named=True) | {"content_hash": None, "prompt_hash": None} == {
        "note_id": "n1",
        "collection_month": MARCH,
        "content_hash": None,
        "prompt_hash": None,
        "code": "2c",
        "code_name": "Food, Lifestyle & Fashion",
        "category": "2",
        "category_name": "Cross-Cultural Communication & Identity",
        "topic_group": "appearance",
        "confidence": 0.9,
        "unknown_reason": None,
        "raw_response": None,
        "in_training_set": False,
        "backend": "first-word",
        "model_id": "first-word",
        "model_revision": "1",
        "scheme_version": f"{TAXONOMY.version}/{TAXONOMY.fingerprint()}",
    }
    assert rows.row(1, named=True)["unknown_reason"] == "empty text"
    assert rows["in_training_set"].to_list() == [False, True]
    assert rows["content_hash"].to_list() == [input_hash("2c dumplings"), input_hash("")]
