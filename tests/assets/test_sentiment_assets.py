"""Sentiment assets on a temporary warehouse with a tiny local classifier: rows and provenance,
zero model calls on re-materialization, the re-crawl labels only new or edited texts, and the
fallback is loud (backend in every row, a warning check)."""

import dagster as dg
import duckdb
import pytest

from rednote_dagster.defs.enrich.sentiment import comment_sentiment, note_sentiment
from rednote_dagster.defs.ingest.assets import raw_comments, raw_notes
from rednote_dagster.defs.resources import SchemeCoding, SentimentModel, build_resources
from rednote_dagster.lib.settings import DataPaths
from tests.tiny_models import tiny_classifier
from tests.xhs_samples import comment, note, write_jsonl

ID2LABEL = {0: "Very Negative", 1: "Negative", 2: "Neutral", 3: "Positive", 4: "Very Positive"}
MARCH, JUNE = "2025-03-01", "2025-06-01"


def write_month(inbox, month, notes, comments):
    write_jsonl(inbox / month / "xhs/jsonl/search_contents_x.jsonl", notes)
    write_jsonl(inbox / month / "xhs/jsonl/search_comments_x.jsonl", comments)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    texts = ["I love it here", "这太恶心了", "what time is it", "so happy", "有点无聊", "note 1 #TikTokRefugee"]
    return tiny_classifier(tmp_path_factory.mktemp("m") / "clf", texts * 5, ID2LABEL, max_len=32)


def resources_with(data_root, **sentiment):
    resources = build_resources(DataPaths(data_root))
    resources["sentiment_model"] = SentimentModel(**sentiment)
    return resources


def run(resources, partition):
    result = dg.materialize(
        [raw_notes, raw_comments, note_sentiment, comment_sentiment], resources=resources, partition_key=partition
    )
    assert result.success
    return result


def metadata(result, table):
    (mat,) = [m for m in result.get_asset_materialization_events() if m.asset_key.path[-1] == table]
    return {k: v.value for k, v in mat.materialization.metadata.items()}


def rows(data_root, sql):
    with duckdb.connect(str(data_root / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_transformers_labels_cache_and_recrawl(data_root, model_dir):
    inbox = data_root / "inbox"
    write_month(
        inbox,
        "2025-03",
        [note(1), note(2, desc="I love it here 😊"), note(3, desc="")],
        [comment(1, 1), comment(2, 1, content="so happy"), comment(3, 2, content="😊😊")],
    )
    resources = resources_with(data_root, backend="transformers", model=str(model_dir), revision="")

    first = run(resources, MARCH)
    meta = metadata(first, "note_sentiment")
    assert meta["backend"] == "transformers" and meta["cache_misses"] == 2 and meta["cache_hits"] == 0
    assert "passing" in meta["label_distribution"] and "empty" not in meta["label_distribution"]
    got = rows(
        data_root,
        """SELECT right(note_id, 2), label, score, confidence, passes_confidence, unknown_reason,
                                    prob_very_negative + prob_negative + prob_neutral"""
        """ + prob_positive + prob_very_positive,
                                    backend, model_revision, length(content_hash)
                             FROM enrich.note_sentiment ORDER BY note_id""",
    )
    assert [r[0] for r in got] == ["01", "02", "03"]
    for r in got[:2]:
        assert r[1] in ID2LABEL.values() and -2 <= r[2] <= 2 and 0.2 <= r[3] <= 1
        assert r[4] == (r[3] > 0.3) and abs(r[6] - 1) < 1e-6
        assert r[7] == "transformers" and r[8].startswith("local-") and r[9] == 64
    assert got[2][1] is None and got[2][5] == "empty text" and got[2][4] is False
    assert rows(data_root, "SELECT count(*) FROM enrich.comment_sentiment")[0][0] == 3
    check = next(c for c in first.get_asset_check_evaluations() if c.asset_key.path[-1] == "note_sentiment")
    assert check.passed

    before = rows(data_root, "SELECT * FROM enrich.note_sentiment ORDER BY note_id")
    second = run(resources, MARCH)
    for table in ("note_sentiment", "comment_sentiment"):
        meta = metadata(second, table)
        assert meta["cache_misses"] == 0, "re-materializing unchanged texts must not call the model"
    assert rows(data_root, "SELECT * FROM enrich.note_sentiment ORDER BY note_id") == before

    # June re-crawl: note 1 unchanged, note 2 edited, note 4 new → two texts for the model
    write_month(
        inbox,
        "2025-06",
        [
            note(1, crawl_ms=1751000000000),
            note(2, desc="I love it here, edited", crawl_ms=1751000000000),
            note(4, desc="what time is it"),
        ],
        [comment(1, 1, crawl_ms=1751000000000)],
    )
    june = run(resources, JUNE)
    meta = metadata(june, "note_sentiment")
    assert (meta["cache_hits"], meta["cache_misses"]) == (1, 2)
    assert metadata(june, "comment_sentiment")["cache_misses"] == 0
    assert (
        rows(data_root, "SELECT count(*) FROM enrich.note_sentiment WHERE collection_month = DATE '2025-03-01'")[0][0]
        == 3
    )


def test_fallback_is_loud(data_root, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    write_month(
        data_root / "inbox",
        "2025-03",
        [note(1, desc="I love it, so happy!"), note(2, desc="太恶心了，讨厌")],
        [comment(1, 1, content="this is terrible")],
    )
    result = run(resources_with(data_root, model="no-such-org/no-such-model", revision="abc"), MARCH)
    meta = metadata(result, "note_sentiment")
    assert meta["backend"] == "lexicon" and "no-such-org/no-such-model" in meta["fallback_reason"]
    check = next(c for c in result.get_asset_check_evaluations() if c.asset_key.path[-1] == "note_sentiment")
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert rows(data_root, "SELECT DISTINCT backend FROM enrich.note_sentiment") == [("lexicon",)]
    positive, negative = [s for (s,) in rows(data_root, "SELECT score FROM enrich.note_sentiment ORDER BY note_id")]
    assert positive > 0 > negative


def test_a_manual_sentiment_coding_makes_auto_supervised(data_root, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    happy = ["so happy today", "I love it here", "太开心了", "great people", "好喜欢"]
    sad = ["this is terrible", "I hate the ban", "太恶心了", "so sad and angry", "讨厌死了"]
    notes = [note(i, desc=t) for i, t in enumerate(happy + sad, 1)]
    comments = [comment(i, 1, content=t) for i, t in enumerate(happy + sad, 1)]
    write_month(data_root / "inbox", "2025-03", notes, comments)
    manual = data_root / "manual"
    manual.mkdir()
    lines = ["entity,id,coder,code"]
    for entity, item in (("note", notes), ("comment", comments)):
        key = f"{entity}_id"
        lines += [f"{entity},{r[key]},{c},{2 if n < 5 else -2}" for n, r in enumerate(item) for c in ("a", "b")]
    (manual / "sentiment_coding.csv").write_text("\n".join(lines) + "\n")
    resources = resources_with(data_root, model="no-such-org/no-such-model", revision="abc")
    resources["scheme_coding"] = SchemeCoding(validation_share=0.0)
    result = run(resources, MARCH)
    meta = metadata(result, "note_sentiment")
    assert meta["backend"] == "supervised" and meta["fallback_reason"] == "none" and meta["training_items"] == 20
    check = next(c for c in result.get_asset_check_evaluations() if c.asset_key.path[-1] == "note_sentiment")
    assert check.passed
    got = rows(data_root, "SELECT DISTINCT backend, model_id LIKE '%logreg' FROM enrich.comment_sentiment")
    assert got == [("supervised", True)]
    scores = rows(data_root, "SELECT score FROM enrich.note_sentiment ORDER BY note_id")
    assert [s for (s,) in scores] == [2] * 5 + [-2] * 5  # trained on every item: it learns them back
