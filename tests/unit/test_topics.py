"""rednote_dagster.lib.topic_clusters: tokeniser, BERTopic fit on planted topics, determinism, safetensors
round trip, transform of new notes, and the month/refit policy helpers.

One module-scoped fit is shared: the first UMAP fit in a process spends ~20 s in numba JIT, later
fits of 300 docs take about a second."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from rednote_dagster.lib.topic_clusters import (
    TopicModelConfig,
    adjusted_rand,
    assign_topics,
    fit_topic_model,
    load_topic_model,
    mixed_tokenizer,
    model_fingerprint,
    needs_refit,
    note_clusters_frame,
    plan_assignment,
    read_manifest,
    reusable_fit,
    save_topic_model,
    saved_embedding_model,
    update_topic_clusters,
)

# Planted topics: an English and a Chinese word pool each, disjoint across topics.
POOLS: dict[str, tuple[list[str], list[str]]] = {
    "ban": (
        ["tiktok", "ban", "congress", "censorship", "refugee", "law"],
        ["禁令", "审查", "国会", "难民", "法律", "封禁"],
    ),
    "cats": (
        ["cat", "kitten", "meow", "paws", "whiskers", "fluffy"],
        ["猫咪", "小猫", "猫粮", "宠物", "喵喵", "铲屎官"],
    ),
    "food": (
        ["dumplings", "noodles", "recipe", "spicy", "hotpot", "cooking"],
        ["饺子", "面条", "火锅", "做饭", "好吃", "麻辣"],
    ),
    "lang": (
        ["grammar", "lesson", "pinyin", "vocabulary", "tones", "homework"],
        ["中文", "语法", "学习", "拼音", "单词", "老师"],
    ),
    "music": (
        ["song", "guitar", "concert", "singer", "melody", "album"],
        ["音乐", "唱歌", "吉他", "演唱会", "歌手", "专辑"],
    ),
}
CODES = sorted(POOLS)
DIM = 32
N = 300
EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"  # recorded only; never downloaded


def _centers() -> np.ndarray:
    return np.random.default_rng(1234).normal(size=(len(CODES), DIM)) * 4.0


def make_corpus(n: int, seed: int) -> tuple[list[str], np.ndarray, list[str]]:
    """Short English, Chinese or mixed docs from the planted code's pools; embedding = the code's
    blob centre (same for every seed) + unit Gaussian noise, so blobs are well separated."""
    rng = np.random.default_rng(seed)
    centers = _centers()
    docs, embs, codes = [], [], []
    for i in range(n):
        k = i % len(CODES)
        en, zh = POOLS[CODES[k]]
        style = rng.integers(3)
        if style == 0:
            text = " ".join(rng.choice(en, 5))
        elif style == 1:  # Chinese without spaces, so jieba has to segment it
            text = "我的" + "".join(rng.choice(zh, 4)) + "！"
        else:
            text = " ".join(rng.choice(en, 3)) + " " + "".join(rng.choice(zh, 2))
        docs.append(text + (" #TikTokRefugee[话题]#" if i % 7 == 0 else ""))
        embs.append(centers[k] + rng.normal(size=DIM))
        codes.append(CODES[k])
    return docs, np.asarray(embs, dtype=np.float32), codes


@pytest.fixture(scope="module")
def corpus():
    return make_corpus(N, seed=0)


@pytest.fixture(scope="module")
def fitted(corpus):
    docs, embs, _ = corpus
    return fit_topic_model(
        docs, embs, TopicModelConfig(embedding_model=EMBEDDING_MODEL), doc_ids=[f"n{i:04d}" for i in range(N)]
    )


def _topic_of_code(topics: list[int], codes: list[str]) -> dict[str, int]:
    """The majority topic for each planted code."""
    out = {}
    for code in CODES:
        values, counts = np.unique([t for t, c in zip(topics, codes) if c == code], return_counts=True)
        out[code] = int(values[np.argmax(counts)])
    return out


# ---------------------------------------------------------------------------------------------
# tokeniser


def test_tokenizer_chinese_is_segmented_and_stop_words_dropped():
    tokens = mixed_tokenizer("我今天在小红书学习中文，真的很开心！")
    assert "小红书" in tokens and "学习" in tokens and "中文" in tokens
    for stop in ("我", "在", "很", "真的", "，", "！"):
        assert stop not in tokens


def test_tokenizer_english_is_lowercased_without_stop_words_numbers_emoji():
    tokens = mixed_tokenizer("Hello from TikTok!! I'm a Refugee and don't know 2025 anything 😂 ...")
    assert tokens == ["hello", "tiktok", "refugee", "know"]


def test_tokenizer_mixed_text_and_hashtag_markup():
    tokens = mixed_tokenizer("#TikTokRefugee[话题]# #小红书[话题]# 交猫税 cat tax[笑哭R] https://t.co/x @小明")
    assert "tiktokrefugee" in tokens and "小红书" in tokens
    assert "cat" in tokens and "tax" in tokens
    assert not any("话题" in t or "[" in t or "#" in t or "笑哭" in t for t in tokens)
    assert not any("http" in t or "t.co" in t or "小明" in t for t in tokens)
    assert mixed_tokenizer("") == [] and mixed_tokenizer("😂😂 123 !!!") == []


# ---------------------------------------------------------------------------------------------
# fit on planted topics


def test_fit_recovers_planted_topics(corpus, fitted):
    docs, _, codes = corpus
    assert len(fitted.topics) == N
    assert adjusted_rand(fitted.topics, codes) > 0.8
    assert -1 not in fitted.topics  # outliers reduced
    info = fitted.topic_info
    assert set(info.columns) >= {"topic", "size", "name", "top_words"}
    assert info["size"].sum() == N
    assert sorted(info["topic"].to_list()) == sorted(set(fitted.topics))
    # Each planted code's majority topic names words from that code's pools only.
    by_topic = {row["topic"]: row["top_words"] for row in info.iter_rows(named=True)}
    for code, topic in _topic_of_code(fitted.topics, codes).items():
        en, zh = POOLS[code]
        words = by_topic[topic][:5]
        assert words, code
        # Chinese words may come back as jieba segments of a pool word ("喵喵" -> "喵").
        assert all(w in en or any(w in z for z in zh) for w in words), (code, words)
    # c-TF-IDF saw Chinese (BERTopic's default language="english" would strip it).
    assert any(w for ws in by_topic.values() for w in ws if "\u4e00" <= w[0] <= "\u9fff")
    assert fitted.model_version and len(fitted.model_version) == 16


def _touching_blobs(codes: list[str], seed: int, spread: float = 6.0) -> np.ndarray:
    """Blobs wide enough to touch: HDBSCAN leaves a few notes as outliers (1-7 of 150 for most seeds)."""
    rng = np.random.default_rng(seed)
    centers = _centers()
    return np.asarray([centers[CODES.index(c)] + rng.normal(size=DIM) * spread for c in codes], dtype=np.float32)


def test_outliers_are_reduced_into_topics():
    docs, _, codes = make_corpus(150, seed=0)
    for seed in (2, 4, 6):  # the first data set that has outliers; each fit takes about a second
        embs = _touching_blobs(codes, seed)
        kept = fit_topic_model(docs, embs, TopicModelConfig(reduce_outliers=False))
        if -1 in kept.topics:
            break
    assert kept.n_outliers_before_reduction > 0 and -1 in kept.topics, "no data set with outliers"
    assert -1 in kept.topic_info["topic"].to_list() and kept.topic_info["size"].sum() == 150

    reduced = fit_topic_model(docs, embs, TopicModelConfig(reduce_outliers=True))
    assert reduced.n_outliers_before_reduction == kept.n_outliers_before_reduction
    assert -1 not in reduced.topics and -1 not in reduced.topic_info["topic"].to_list()
    # Only the outliers moved, and the table's sizes follow the new assignment.
    assert all(r == k for r, k in zip(reduced.topics, kept.topics) if k != -1)
    sizes = dict(zip(reduced.topic_info["topic"].to_list(), reduced.topic_info["size"].to_list()))
    assert sizes == {t: reduced.topics.count(t) for t in set(reduced.topics)}
    assert adjusted_rand(reduced.topics, codes) > 0.7


def test_clustering_a_large_corpus_starts_no_worker_processes():
    """Above 16,384 points hdbscan's default computes core distances in joblib workers that stay alive
    after the fit (at paper scale 4 × ~200 MiB through the later steps); the fit's clusterer does not.
    In a fresh interpreter: in this one a pool another test left could be reused and hide new workers."""
    import subprocess
    import sys

    script = (
        "import numpy as np\n"
        "from rednote_dagster.lib.topic_clusters import TopicModelConfig, clusterer\n"
        "from tests.processes import pool_workers\n"
        "points = np.random.default_rng(0).normal(size=(17_000, 5)).astype(np.float32)\n"
        "clusterer(TopicModelConfig(), len(points)).fit(points)\n"
        "print(len(pool_workers()))\n"
    )
    repo = Path(__file__).resolve().parents[2]  # imports tests.processes
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True, cwd=repo
    )
    assert done.stdout.split()[-1] == "0", done.stdout + done.stderr


def test_fit_is_deterministic(corpus, fitted):
    docs, embs, _ = corpus
    again = fit_topic_model(
        docs, embs, TopicModelConfig(embedding_model=EMBEDDING_MODEL), doc_ids=[f"n{i:04d}" for i in range(N)]
    )
    assert again.topics == fitted.topics
    assert again.topic_info.equals(fitted.topic_info)
    assert again.model_version == fitted.model_version


def test_fit_leaves_global_rng_untouched(corpus):
    docs, embs, _ = corpus
    np.random.seed(7)
    expected = np.random.rand()
    np.random.seed(7)
    fit_topic_model(docs[:60], embs[:60])
    assert np.random.rand() == expected


def test_small_corpus_fits_with_scaled_down_parameters():
    docs, embs, codes = make_corpus(30, seed=3)
    cfg = TopicModelConfig()
    assert cfg.effective_min_cluster_size(30) == 2 and cfg.effective_min_cluster_size(1000) == 10
    result = fit_topic_model(docs, embs, cfg)
    assert len(result.topics) == 30
    assert result.topic_info["size"].sum() == 30


def test_fit_rejects_mismatched_embeddings(corpus):
    docs, embs, _ = corpus
    with pytest.raises(ValueError):
        fit_topic_model(docs[:20], embs[:10])


# ---------------------------------------------------------------------------------------------
# save / load / assign


def test_safetensors_round_trip(tmp_path, corpus, fitted):
    docs, embs, _ = corpus
    path = save_topic_model(fitted.model, tmp_path / "topic_model", EMBEDDING_MODEL)
    assert (path / "topic_embeddings.safetensors").is_file()
    assert (path / "ctfidf.safetensors").is_file() and (path / "config.json").is_file()
    assert not list(path.glob("*.pickle")) and not list(path.glob("*.bin"))
    assert saved_embedding_model(path) == EMBEDDING_MODEL

    loaded = load_topic_model(path)  # hub id not available offline: loads without an embedder
    assigned = assign_topics(loaded, docs, embs)
    agreement = np.mean(np.asarray(assigned) == np.asarray(fitted.topics))
    assert agreement >= 0.95, agreement
    # Topic words survive the round trip.
    assert [w for w, _ in loaded.get_topic(0)] == [w for w, _ in fitted.model.get_topic(0)]


def test_new_notes_land_in_their_planted_topic(tmp_path, corpus, fitted):
    _, _, codes = corpus
    topic_of = _topic_of_code(fitted.topics, codes)
    new_docs, new_embs, new_codes = make_corpus(50, seed=99)  # same blobs, new noise and words
    expected = [topic_of[c] for c in new_codes]

    in_memory = assign_topics(fitted.model, new_docs, new_embs)  # UMAP.transform + HDBSCAN
    loaded = load_topic_model(save_topic_model(fitted.model, tmp_path / "m", EMBEDDING_MODEL))
    from_disk = assign_topics(loaded, new_docs, new_embs)  # cosine to topic embeddings
    assert np.mean(np.asarray(from_disk) == np.asarray(expected)) >= 0.95
    assert np.mean(np.asarray(in_memory) == np.asarray(expected)) >= 0.9
    assert assign_topics(loaded, [], np.zeros((0, DIM))) == []


# ---------------------------------------------------------------------------------------------
# month / refit policy


def test_needs_refit():
    assert needs_refit(0, 10)  # no model yet
    assert not needs_refit(1000, 100, threshold=0.3)  # 9 % new
    assert not needs_refit(700, 300, threshold=0.3)  # exactly 30 % is not above
    assert needs_refit(700, 301, threshold=0.3)
    assert needs_refit(1000, 0, force=True)
    assert not needs_refit(1000, 0)
    with pytest.raises(ValueError):
        needs_refit(-1, 0)


def test_model_fingerprint():
    cfg = TopicModelConfig()
    base = model_fingerprint(["a", "b", "c"], cfg)
    assert base == model_fingerprint(["c", "a", "b"], cfg)  # a set of notes, not an order
    assert base != model_fingerprint(["a", "b", "c", "d"], cfg)
    assert base != model_fingerprint(["a", "b", "c"], TopicModelConfig(seed=1))
    assert base != model_fingerprint(["a", "b", "c"], cfg, embedding_model="other/model")
    # When to refit is not part of the fit.
    assert base == model_fingerprint(["a", "b", "c"], TopicModelConfig(refit_threshold=0.9))


def test_plan_assignment_keeps_fitted_and_transforms_new():
    fitted_ids = [f"n{i}" for i in range(100)]
    current = fitted_ids[5:] + [f"m{i}" for i in range(20)]  # 5 deleted, 20 new (~17 %)
    plan = plan_assignment(current, fitted_ids, threshold=0.3)
    assert not plan.refit
    assert len(plan.keep) == 95 and set(plan.keep) <= set(fitted_ids)
    assert plan.transform == sorted(f"m{i}" for i in range(20))
    assert plan.share_new == pytest.approx(20 / 115)

    big = plan_assignment(fitted_ids + [f"m{i}" for i in range(60)], fitted_ids, threshold=0.3)
    assert big.refit and big.keep == [] and big.transform == []
    assert plan_assignment(current, fitted_ids, force_refit=True).refit
    assert plan_assignment(current, [], threshold=0.3).refit


def test_note_clusters_frame_and_adjusted_rand():
    frame = note_clusters_frame(["a", "b"], [0, -1], "v1", "transform")
    assert frame.schema == pl.Schema(
        {"note_id": pl.Utf8, "topic": pl.Int64, "model_version": pl.Utf8, "assigned_by": pl.Utf8}
    )
    assert frame["topic"].to_list() == [0, -1]
    assert adjusted_rand([1, 1, 0, 0], ["x", "x", "y", "y"]) == pytest.approx(1.0)
    # -1 is a cluster of its own: outliers lower the score.
    assert adjusted_rand([1, -1, 0, -1], ["x", "x", "y", "y"]) < 1.0
    with pytest.raises(ValueError):
        adjusted_rand([1], ["x", "y"])


# ---------------------------------------------------------------------------------------------
# the month policy against a warehouse: manifest, refit or transform, invalidation


def test_reusable_fit_is_dropped_without_a_manifest_or_after_an_embedding_revision_change():
    previous = pl.DataFrame({"note_id": ["a"], "topic": [0], "model_version": ["v"], "assigned_by": ["fit"]})
    assert reusable_fit({}, previous, "r1").is_empty()
    assert reusable_fit({"model_version": "v", "embedding_model_revision": "r1"}, previous, "r1").equals(previous)
    assert reusable_fit({"model_version": "v"}, previous, "r1").equals(previous)  # older manifests name none
    assert reusable_fit({"model_version": "v", "embedding_model_revision": "r0"}, previous, "r1").is_empty()


def test_update_fits_then_transforms_new_notes_then_refits_on_a_new_embedding_revision(tmp_path, corpus):
    import duckdb

    docs, embs, _ = corpus
    ids = [f"n{i:04d}" for i in range(N)]
    warehouse, model_dir = tmp_path / "w.duckdb", tmp_path / "models" / "topic_model"

    def connect():
        return duckdb.connect(str(warehouse))

    def table(name):
        with connect() as con:
            return con.sql(f"SELECT * FROM {name} ORDER BY ALL").pl()

    config = TopicModelConfig(embedding_model=EMBEDDING_MODEL)
    first = update_topic_clusters(connect, model_dir, ids[:250], docs[:250], embs[:250], config, "r1")
    assert first.plan.refit and first.clusters["assigned_by"].unique().to_list() == ["fit"]
    manifest = read_manifest(model_dir)
    assert manifest["model_version"] == first.model_version and manifest["fitted_notes"] == 250
    assert (manifest["embedding_model"], manifest["embedding_model_revision"]) == (EMBEDDING_MODEL, "r1")
    assert table("enrich.note_clusters").height == 250
    assert table("enrich.topic_info")["model_version"].unique().to_list() == [first.model_version]
    assert first.clusters["topic_name"].null_count() == 0

    # 50 new notes of 300 (17 %): the fit is kept, the new notes are placed with transform
    second = update_topic_clusters(connect, model_dir, ids, docs, embs, config, "r1")
    assert not second.plan.refit and second.model_version == first.model_version
    clusters = table("enrich.note_clusters")
    assert clusters.height == 300
    assert clusters.filter(pl.col("assigned_by") == "transform")["note_id"].to_list() == ids[250:]
    kept = clusters.filter(pl.col("assigned_by") == "fit").select("note_id", "topic")
    assert kept.equals(first.clusters.select("note_id", "topic").sort("note_id"))
    assert read_manifest(model_dir) == manifest

    # another embedding revision: the old fit cannot place the new vectors, so everything is refitted
    third = update_topic_clusters(connect, model_dir, ids, docs, embs, config, "r2")
    assert third.plan.refit and third.clusters["assigned_by"].unique().to_list() == ["fit"]
    assert read_manifest(model_dir)["embedding_model_revision"] == "r2"
    assert sorted(p.name for p in model_dir.parent.iterdir()) == ["topic_model"]  # swapped in whole, nothing left


def test_a_forced_refit_refits_even_when_nothing_is_new(tmp_path, corpus):
    import duckdb

    docs, embs, _ = corpus
    ids = [f"n{i:04d}" for i in range(100)]

    def connect():
        return duckdb.connect(str(tmp_path / "w.duckdb"))

    config = TopicModelConfig(embedding_model=EMBEDDING_MODEL)
    update_topic_clusters(connect, tmp_path / "m", ids, docs[:100], embs[:100], config, "r1")
    again = update_topic_clusters(connect, tmp_path / "m", ids, docs[:100], embs[:100], config, "r1")
    assert not again.plan.refit and again.plan.share_new == 0.0
    forced = update_topic_clusters(connect, tmp_path / "m", ids, docs[:100], embs[:100], config, "r1", force_refit=True)
    assert forced.plan.refit and forced.model_version == again.model_version  # same notes, same config
