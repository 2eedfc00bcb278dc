"""The synthetic corpus: planted structure, recomputed from the written files where possible.

A `small` corpus is generated once per module. The checks re-read the MediaCrawler files with a
minimal reader of their own (json arrays incl. a truncated one, jsonl incl. a torn line, CSV with
BOM) rather than trusting generator memory; `_truth/` is used only for what the files cannot say
(planted topic, sentiment, tier, emotion, stance, stage markers).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import math
import random
import re
from collections import Counter, defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from rednote_dagster.lib.corpus import generate_corpus
from rednote_dagster.lib.corpus.ids import display_count
from rednote_dagster.lib.corpus.params import SCALES, Knobs
from rednote_dagster.lib.corpus.timeline import daily_targets
from rednote_dagster.lib.corpus.writers import dump_json_indent
from rednote_dagster.lib.labelling.schemes import EMOTION, STANCE
from rednote_dagster.lib.phases import PhaseBoundaries
from rednote_dagster.lib.sampling import allocate_quotas, sample_posts, with_hashtags
from rednote_dagster.lib.stages import STAGES, stages_in
from rednote_dagster.lib.taxonomy import topic_group
from tests.xhs_samples import NOTE_KEYS as SAMPLE_NOTE_KEYS

NY = ZoneInfo("America/New_York")
HEX24 = re.compile(r"^[0-9a-f]{24}$")
ID_KEY = {"note": "note_id", "comment": "comment_id", "creator": "user_id"}
BROKEN = object()  # an unrecoverable remainder (truncated array tail, torn JSONL line)

NOTE_KEYS = list(SAMPLE_NOTE_KEYS)  # MediaCrawler's note fields, as the reader tests use them
COMMENT_KEYS = [
    "comment_id",
    "create_time",
    "ip_location",
    "note_id",
    "content",
    "user_id",
    "nickname",
    "avatar",
    "sub_comment_count",
    "pictures",
    "parent_comment_id",
    "last_modify_ts",
    "like_count",
]
CREATOR_KEYS = [
    "user_id",
    "nickname",
    "gender",
    "avatar",
    "desc",
    "ip_location",
    "follows",
    "fans",
    "interaction",
    "tag_list",
    "last_modify_ts",
]
HEAD_NOTE_KEYS = [
    "note_id",
    "type",
    "title",
    "desc",
    "video_url",
    "time",
    "last_update_time",
    "creator_hash",
    "nickname",
    "liked_count",
    "collected_count",
    "comment_count",
    "share_count",
    "image_list",
    "tag_list",
    "last_modify_ts",
    "note_url",
    "source_keyword",
    "xsec_token",
]
HEAD_COMMENT_KEYS = [
    "comment_id",
    "create_time",
    "note_id",
    "content",
    "creator_hash",
    "nickname",
    "sub_comment_count",
    "pictures",
    "parent_comment_id",
    "last_modify_ts",
    "like_count",
]


# -- a minimal MediaCrawler reader -------------------------------------------------------------------
def parse_count(value) -> int | None:
    """Display count -> int; None/"" are missing; anything else unparseable raises ValueError."""
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip().replace(",", "").rstrip("+")
    for unit, mult in (("万", 10_000), ("w", 10_000), ("千", 1_000), ("k", 1_000)):
        if text.endswith(unit):
            return int(float(text[:-1]) * mult)
    return int(text)


def read_records(path: Path) -> list:
    """Top-level records as the file holds them; BROKEN marks an unrecoverable remainder."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as f:
            return list(csv.DictReader(f))
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        out = []
        for line in text.split("\n"):
            if not line:
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                out.append(BROKEN)
        return out
    decoder, out, i = json.JSONDecoder(), [], text.index("[") + 1
    while True:
        while i < len(text) and text[i] in " \r\n\t,":
            i += 1
        if i >= len(text) or text[i] == "]":
            return out
        try:
            record, i = decoder.raw_decode(text, i)
        except json.JSONDecodeError:
            out.append(BROKEN)  # a killed rewrite: everything before the cut is recovered
            return out
        out.append(record)


def entity_of(name: str) -> str:
    if "_contents_" in name:
        return "note"
    if "_comments_" in name:
        return "comment"
    assert "_creator_" in name, name
    return "creator"


def is_valid(entity: str, record) -> bool:
    if not isinstance(record, dict):
        return False
    try:
        if not record.get(ID_KEY[entity]):
            return False
        int(record["last_modify_ts"])
        if entity == "note":
            int(record["time"])
            for key in ("liked_count", "collected_count", "comment_count", "share_count"):
                parse_count(record[key])
        elif entity == "comment":
            if not record.get("note_id"):
                return False
            int(record["create_time"])
            parse_count(record["like_count"])
    except (KeyError, TypeError, ValueError):
        return False
    return True


class Corpus:
    """Everything the tests need, parsed once from a generated directory."""

    def __init__(self, root: Path, summary: dict):
        self.root = root
        self.summary = summary
        self.files: dict[str, tuple[str, str, list]] = {}  # "month/path" -> (month, entity, records)
        for month_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("_")):
            for path in sorted(p for p in month_dir.rglob("*") if p.is_file()):
                rel = path.relative_to(month_dir).as_posix()
                self.files[f"{month_dir.name}/{rel}"] = (month_dir.name, entity_of(path.name), read_records(path))
        self.latest: dict[str, dict[str, dict]] = {"note": {}, "comment": {}, "creator": {}}
        self.by_month: dict[str, dict[str, dict]] = defaultdict(dict)  # month -> note_id -> latest
        for month, entity, records in self.files.values():
            for r in records:
                if not is_valid(entity, r):
                    continue
                key, ts = r[ID_KEY[entity]], int(r["last_modify_ts"])
                if key not in self.latest[entity] or int(self.latest[entity][key]["last_modify_ts"]) < ts:
                    self.latest[entity][key] = r
                if entity == "note":
                    seen = self.by_month[month].get(key)
                    if seen is None or int(seen["last_modify_ts"]) < ts:
                        self.by_month[month][key] = r

    def truth(self, name: str) -> list[dict]:
        with (self.root / "_truth" / name).open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))


def tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    root = tmp_path_factory.mktemp("corpus_small_seed0")
    return Corpus(root, generate_corpus(root, scale="small", seed=0))


# -- the timeline ---------------------------------------------------------------------------------------
def test_summary_matches_small_scale(corpus):
    s = corpus.summary
    assert (s["notes"], s["creators"], s["top_level_comments"]) == (2000, 60, SCALES["small"].n_top_comments)
    assert 0.05 < s["sub_comments"] / s["top_level_comments"] < 0.2
    assert s["months"] == ["2025-01", "2025-02", "2025-03", "2025-06"]


def test_daily_curve_recomputed_from_files(corpus):
    notes = corpus.latest["note"]
    assert len(notes) == 2000
    daily = Counter(dt.datetime.fromtimestamp(int(r["time"]) / 1000, tz=NY).date() for r in notes.values())
    peak = max(daily, key=daily.get)
    assert peak == dt.date(2025, 1, 19)
    after = {d: n for d, n in daily.items() if d > peak}
    trough = min(after, key=lambda d: (after[d], d))
    assert abs((trough - dt.date(2025, 4, 4)).days) <= 1
    assert min(daily) == dt.date(2025, 1, 1) and max(daily) == dt.date(2025, 6, 27)
    planted = {r["ny_date"]: int(r["notes"]) for r in corpus.truth("timeline.csv")}
    assert {d.isoformat(): n for d, n in daily.items()} == {d: n for d, n in planted.items() if n}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_paper_scale_daily_targets(seed):
    targets = daily_targets(SCALES["paper"], Knobs(), random.Random(seed))
    counts = dict(targets)
    assert sum(counts.values()) == 43_338
    assert counts[dt.date(2025, 1, 19)] == 2106
    assert all(n < 2106 for d, n in counts.items() if d != dt.date(2025, 1, 19))
    assert counts[dt.date(2025, 4, 4)] == 64
    assert all(n >= 65 for d, n in counts.items() if d > dt.date(2025, 1, 19) and d != dt.date(2025, 4, 4))
    january = [counts[dt.date(2025, 1, d)] for d in range(1, 19)]
    assert january[-1] > 5 * january[0]  # anticipatory rise before the ban


# -- files, vintages, schemas --------------------------------------------------------------------------
def test_every_container_and_vintage_is_present(corpus):
    paths = list(corpus.files)
    raw = {p: (corpus.root / p).read_bytes() for p in paths}
    assert any("/xhs/json/search_contents_" in p and raw[p].startswith(b'[\n    {\n        "') for p in paths)
    oneline = [p for p in paths if re.search(r"/xhs/search_co\w+_\d{4}-\d\d-\d\d\.json$", p)]
    assert any(raw[p].startswith(b'[{"') and b"\n" not in raw[p] for p in oneline)
    assert any(re.search(r"/xhs/jsonl/search_comments_.*\.jsonl$", p) for p in paths)
    csvs = [p for p in paths if re.search(r"/xhs/\d+_search_contents_.*\.csv$", p)]
    assert csvs and all(raw[p].startswith(b"\xef\xbb\xbfnote_id,") for p in csvs)
    assert all(raw[p].count(b"\xef\xbb\xbf") == 1 and raw[p].endswith(b"\r\n") for p in csvs)
    assert any("\n" in r["desc"] for p in csvs for r in corpus.files[p][2])  # multi-line quoted desc
    assert any(p.endswith(".json") and "/creator_creator_" in p for p in paths)
    june = [p for p in paths if p.startswith("2025-06/")]
    june_kinds = {re.sub(r"^\d+_|_\d{4}-.*$", "", p.split("/")[-1]) for p in june}
    assert {"creator_contents", "creator_comments", "creator_creator"} <= june_kinds
    for month in ("2025-01", "2025-02", "2025-03", "2025-06"):
        in_month = [p for p in paths if p.startswith(month)]
        assert 4 <= len(in_month) <= 60
        assert len({p.rsplit(".", 1)[1] for p in in_month}) == 3  # json, jsonl and csv in every month


def test_file_dates_are_new_york_crawl_dates(corpus):
    for key, (month, _, records) in corpus.files.items():
        day = re.search(r"(\d{4}-\d\d-\d\d)\.\w+$", key).group(1)
        assert day.startswith(month)
        for r in records:
            if isinstance(r, dict) and str(r.get("last_modify_ts", "")).isdigit():
                crawl = dt.datetime.fromtimestamp(int(r["last_modify_ts"]) / 1000, tz=NY).date()
                assert crawl.isoformat() == day, key


def test_record_schemas_follow_mediacrawler_key_order(corpus):
    seen = set()
    for key, (_, entity, records) in corpus.files.items():
        record = next((r for r in records if is_valid(entity, r)), None)
        if record is None:
            continue
        keys = list(record)
        if "creator_hash" in keys:
            expected = HEAD_NOTE_KEYS if entity == "note" else HEAD_COMMENT_KEYS
            seen.add(("head", entity))
        else:
            expected = {"note": NOTE_KEYS, "comment": COMMENT_KEYS, "creator": CREATOR_KEYS}[entity]
            seen.add(("pre_head", entity))
        assert keys == expected, key
    assert {("head", "note"), ("head", "comment"), ("pre_head", "creator")} <= seen


def test_ids_are_24_hex_with_creation_second_prefix(corpus):
    users = {r["user_id"]: r for r in corpus.truth("users.csv")}
    for r in corpus.latest["note"].values():
        assert HEX24.match(r["note_id"]) and int(r["note_id"][:8], 16) == int(r["time"]) // 1000
        assert int(r["time"]) < int(r["last_modify_ts"])  # never published after its crawl
    for r in corpus.latest["comment"].values():
        assert HEX24.match(r["comment_id"]) and int(r["comment_id"][:8], 16) == int(r["create_time"]) // 1000
    for uid, u in users.items():
        assert HEX24.match(uid) and int(uid[:8], 16) == int(u["created_ms"]) // 1000
    created = sorted(dt.datetime.fromtimestamp(int(u["created_ms"]) / 1000, tz=NY).date() for u in users.values())
    assert dt.date(2025, 1, 10) <= created[len(created) // 2] <= dt.date(2025, 1, 20)


def test_raw_value_quirks(corpus):
    notes = [r for _, e, rs in corpus.files.values() if e == "note" for r in rs if is_valid("note", r)]
    comments = [r for _, e, rs in corpus.files.values() if e == "comment" for r in rs if is_valid("comment", r)]
    likes = [r["liked_count"] for r in notes]
    assert any(isinstance(v, str) and v.endswith("万") for v in likes)
    oneline = [
        r
        for k, (_, e, rs) in corpus.files.items()
        if re.search(r"/xhs/\w+\.json$", k)
        for r in rs
        if isinstance(r, dict)
    ]
    counts = [r.get(k) for r in oneline for k in ("liked_count", "collected_count", "fans", "interaction")]
    assert not any(isinstance(v, str) and "万" in v for v in counts)  # that client writes "1.2w"
    assert display_count(21_400, "w") == "2.1w" and display_count(123_456) == "10万+" and display_count(44) == "44"
    assert any(r["last_update_time"] in (0, "0") for r in notes)
    assert any(r["title"] == r["desc"][:255] for r in notes) and any(r["title"] != r["desc"][:255] for r in notes)
    assert any("[话题]#" in r["desc"] for r in notes)
    json_comments = [r for r in comments if not isinstance(r["like_count"], str) or r["like_count"] != ""]
    assert any(r["like_count"] == 0 and isinstance(r["like_count"], int) for r in json_comments)
    roots = [r for r in comments if r["parent_comment_id"] in (0, "0", "")]
    replies = [r for r in comments if r["parent_comment_id"] not in (0, "0", "")]
    assert roots and replies
    assert all(isinstance(r["sub_comment_count"], str) for r in roots)
    assert all(r["sub_comment_count"] in (0, "0") for r in replies)
    assert any(r["ip_location"] is None for r in comments)
    assert any(re.search(r"\[\w+R\]", r["content"]) for r in comments)
    assert any(re.search("[\u4e00-\u9fff]", r["content"]) for r in comments)
    assert any(re.search("[😂🥰🐱😍❤]", r["content"]) for r in comments)


def test_creator_profiles(corpus):
    creators = [r for _, e, rs in corpus.files.values() if e == "creator" for r in rs]
    assert {r["gender"] for r in creators} <= {"女", "男", None, ""}
    tags = [r["tag_list"] for r in creators]
    assert all(json.loads(t)["location"].startswith("美国") for t in tags)
    assert any("\\u" in t for t in tags) and any("美国" in t for t in tags)  # legacy escaped + modern
    assert len(corpus.latest["creator"]) >= 58


def test_head_era_records_hash_and_mask(corpus):
    users = {hashlib.sha256(r["user_id"].encode()).hexdigest()[:16]: r for r in corpus.truth("users.csv")}
    head_notes = [
        r
        for _, e, rs in corpus.files.values()
        if e == "note"
        for r in rs
        if isinstance(r, dict) and "creator_hash" in r
    ]
    assert head_notes
    for r in head_notes:
        assert "user_id" not in r and "avatar" not in r and "ip_location" not in r
        name = users[r["creator_hash"]]["nickname"]
        expected = "*" if len(name) <= 1 else name[0] + "*" if len(name) == 2 else name[0] + "***" + name[-1]
        assert r["nickname"] == expected
    head_comments = [
        r
        for _, e, rs in corpus.files.values()
        if e == "comment"
        for r in rs
        if isinstance(r, dict) and "creator_hash" in r
    ]
    assert any(r["parent_comment_id"] == "" for r in head_comments)


# -- the June re-crawl ------------------------------------------------------------------------------------
def test_june_recrawl_overlaps_march(corpus):
    march, june = corpus.by_month["2025-03"], corpus.by_month["2025-06"]
    both = {k for k in march if k in june}
    assert len(both) >= 20
    grown = [
        k
        for k in both
        if (parse_count(june[k]["liked_count"]) or 0) > (parse_count(march[k]["liked_count"]) or 0)
        and int(june[k]["last_modify_ts"]) > int(march[k]["last_modify_ts"])
    ]
    assert len(grown) >= 0.8 * len(both)
    since = dt.datetime(2025, 3, 1, tzinfo=NY).timestamp() * 1000
    assert all(int(r["time"]) >= since for r in june.values())
    # comments of overlapping notes are re-crawled: same ids again, some new ones
    comment_months = defaultdict(set)
    for month, entity, records in corpus.files.values():
        if entity == "comment":
            for r in records:
                if is_valid("comment", r) and r["note_id"] in both:
                    comment_months[r["comment_id"]].add(month)
    assert any(m == {"2025-03", "2025-06"} for m in comment_months.values())
    assert any(m == {"2025-06"} for m in comment_months.values())


# -- planted truth: tiers, topics, sentiment --------------------------------------------------------------
def test_topic_shares_by_tier(corpus):
    counts = defaultdict(Counter)
    for r in corpus.truth("notes.csv"):
        counts[r["tier"]][r["code"]] += 1
    share = {t: {c: n / sum(counts[t].values()) for c, n in counts[t].items()} for t in ("high", "low")}
    assert share["low"]["5b"] > 0.30 and share["low"]["5b"] > share["high"]["5b"]
    assert abs(share["high"]["5b"] - 0.24) < 0.02
    for code in ("2c", "3a", "2a"):
        assert share["high"][code] > share["low"][code], code
    for code in ("6", "7"):
        assert share["low"][code] > share["high"][code], code
    assert sum(counts["high"].values()) > sum(counts["low"].values())  # high users post more


def test_sentiment_by_topic_ordering(corpus):
    by_code, by_cell = defaultdict(list), defaultdict(list)
    for r in corpus.truth("notes.csv"):
        by_code[r["code"]].append(int(r["sentiment"]))
        by_cell[(r["code"], "high" if r["tier"] == "high" else "low")].append(int(r["sentiment"]))
    mean = {c: sum(v) / len(v) for c, v in by_code.items()}
    ranked = sorted(mean, key=mean.get, reverse=True)
    assert ranked[:3] == ["5c", "2c", "4"]
    assert set(ranked[-3:]) == {"3a", "3c", "1a"}
    cell = {k: sum(v) / len(v) for k, v in by_cell.items()}
    assert cell[("6", "low")] > 0.5 and cell[("6", "high")] < 0.15
    assert cell[("3c", "high")] < 0 and cell[("3b", "high")] < 0
    assert sum(cell[(c, "low")] > cell[(c, "high")] for c in mean) >= 12


def test_comment_truth_is_consistent(corpus):
    rows = corpus.truth("comments.csv")
    assert sum(1 for r in rows if not r["parent_comment_id"]) == SCALES["small"].n_top_comments
    per_note = Counter(r["note_id"] for r in rows if not r["parent_comment_id"])
    assert max(per_note.values()) <= 50
    natives = [r for r in rows if r["commenter_group"] == "native"]
    assert sum(r["lang"] == "zh" for r in natives) / len(natives) > 0.75
    written = set(corpus.latest["comment"])
    assert written == {r["comment_id"] for r in rows}


def test_entropy_weighted_score_recovers_planted_high_users(corpus):
    """A researcher's score: followers (latest profile) + mean likes, comments, saves per phase."""
    note_user = {r["note_id"]: r["user_id"] for r in corpus.truth("notes.csv")}
    tiers = {r["user_id"]: r for r in corpus.truth("users.csv")}
    bounds = PhaseBoundaries()
    hits = total = 0
    for phase in ("pre_ban", "surge", "stabilization"):
        per_user = defaultdict(list)
        for nid, r in corpus.latest["note"].items():
            if bounds.phase_of(dt.datetime.fromtimestamp(int(r["time"]) / 1000, tz=NY).date()) == phase:
                per_user[note_user[nid]].append(r)
        rows = []
        for uid, rs in per_user.items():
            if len(rs) < 3:
                continue
            fans = parse_count(corpus.latest["creator"][uid]["fans"]) if uid in corpus.latest["creator"] else 0
            metrics = ("liked_count", "comment_count", "collected_count")
            means = [sum(parse_count(r[k]) or 0 for r in rs) / len(rs) for k in metrics]
            rows.append((uid, [fans] + means))
        scores = _entropy_scores(rows)
        ranked = sorted(scores, key=lambda u: -scores[u])
        predicted = set(ranked[: round(len(ranked) * 0.25)])
        planted = {u for u in scores if tiers[u][f"tier_{phase}"] == "high"}
        assert {u for u, _ in rows} == {u for u, t in tiers.items() if t[f"tier_{phase}"] != "inactive"}
        hits += len(predicted & planted)
        total += len(planted)
        assert len(predicted & planted) >= 0.66 * len(planted), phase
    assert hits >= 0.9 * total


def _entropy_scores(rows: list[tuple[str, list[float]]]) -> dict[str, float]:
    columns = list(zip(*(values for _, values in rows)))
    normalised = []
    for column in columns:
        lo, hi = min(column), max(column)
        normalised.append([(x - lo) / (hi - lo) if hi > lo else 0.0 for x in column])
    divergence = []
    for column in normalised:
        total = sum(column)
        entropy = -sum((x / total) * math.log(x / total) for x in column if x > 0) / math.log(len(column))
        divergence.append(1.0 - entropy)
    weights = [d / sum(divergence) for d in divergence]
    return {uid: sum(w * col[i] for w, col in zip(weights, normalised)) for i, (uid, _) in enumerate(rows)}


def test_pre_ban_engagement_gap(corpus):
    likes = defaultdict(list)
    for r in corpus.truth("notes.csv"):
        likes[(r["phase"], r["tier"])].append(int(r["liked_count"]))
    assert abs(sum(likes[("pre_ban", "high")]) / len(likes[("pre_ban", "high")]) - 1600) < 20
    assert abs(sum(likes[("pre_ban", "low")]) / len(likes[("pre_ban", "low")]) - 23.5) < 1


# -- manual coding ---------------------------------------------------------------------------------------
def test_manual_coding_two_coders(corpus):
    with (corpus.root / "_manual" / "taxonomy_coding.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["note_id", "coder", "code"]
    by_note = defaultdict(dict)
    for r in rows:
        by_note[r["note_id"]][r["coder"]] = r["code"]
    assert len(by_note) == 400 and all(set(v) == {"coder_a", "coder_b"} for v in by_note.values())
    agree = sum(v["coder_a"] == v["coder_b"] for v in by_note.values()) / len(by_note)
    assert 0.7 <= agree <= 0.95
    planted = {r["note_id"]: r["code"] for r in corpus.truth("notes.csv")}
    accuracy = sum(v["coder_a"] == planted[n] for n, v in by_note.items()) / len(by_note)
    assert 0.8 <= accuracy <= 0.95


# -- damage and conservation -------------------------------------------------------------------------------
def test_file_manifest_conserves_records(corpus):
    manifest = {f"{r['collection_month']}/{r['path']}": r for r in corpus.truth("files.csv")}
    assert set(manifest) == set(corpus.files)
    month_ids = defaultdict(list)
    for key in sorted(corpus.files):
        month, entity, records = corpus.files[key]
        row = manifest[key]
        bad = sum(not is_valid(entity, r) for r in records)
        assert (len(records), bad) == (int(row["records_written"]), int(row["damaged"])), key
        month_ids[(month, entity)].extend(r[ID_KEY[entity]] for r in records if is_valid(entity, r))
    for r in corpus.truth("months.csv"):
        ids = month_ids[(r["collection_month"], r["entity"])]
        assert (len(ids), len(set(ids))) == (int(r["valid"]), int(r["unique_ids"]))
        assert int(r["duplicates"]) == len(ids) - len(set(ids))
        if r["collection_month"] != "2025-06" and r["entity"] != "creator":
            assert int(r["duplicates"]) > 0  # keyword overlaps and same-day re-runs


def test_damage_is_listed_and_recoverable(corpus):
    damage = corpus.truth("damage.csv")
    kinds = Counter(r["kind"] for r in damage)
    for kind in (
        "missing_note_id",
        "bad_time",
        "garbage_count",
        "not_an_object",
        "empty_note_id",
        "bad_create_time",
        "truncated_array_remainder",
        "torn_jsonl_line",
    ):
        assert kinds[kind] >= 1, kind
    for r in damage:
        month, entity, records = corpus.files[f"{r['collection_month']}/{r['path']}"]
        assert not is_valid(entity, records[int(r["record_index"])])
        # every damaged record duplicates an intact one in the same month
        assert r["original_id"] in {x[ID_KEY[entity]] for x in records if is_valid(entity, x)}
    truncated = next(r for r in damage if r["kind"] == "truncated_array_remainder")
    records = corpus.files[f"{truncated['collection_month']}/{truncated['path']}"][2]
    assert records[-1] is BROKEN and int(truncated["record_index"]) == len(records) - 1 >= 10
    raw = (corpus.root / truncated["collection_month"] / truncated["path"]).read_bytes()
    assert not raw.rstrip().endswith(b"]")
    torn = next(r for r in damage if r["kind"] == "torn_jsonl_line")
    raw = (corpus.root / torn["collection_month"] / torn["path"]).read_bytes()
    assert not raw.endswith(b"\n")
    total = sum(int(r["records_written"]) for r in corpus.truth("files.csv"))
    assert 0.002 < len(damage) / total < 0.01


# -- determinism and serialisation -------------------------------------------------------------------------
def test_same_seed_is_byte_identical_and_seeds_differ(corpus, tmp_path):
    again = generate_corpus(tmp_path / "again", scale="small", seed=0)
    assert again["records_written"] == corpus.summary["records_written"]
    assert tree_digest(tmp_path / "again") == tree_digest(corpus.root)
    generate_corpus(tmp_path / "other", scale="small", seed=1)
    assert tree_digest(tmp_path / "other") != tree_digest(corpus.root)
    generate_corpus(tmp_path / "again", scale="small", seed=0)  # regenerating in place is exact too
    assert tree_digest(tmp_path / "again") == tree_digest(corpus.root)


def test_indented_json_matches_stdlib():
    items = [
        {"a": 'x\n"y" 😂 #猫税[话题]#', "b": 0, "c": None, "d": "", "e": 1737414327072, "f": True},
        ["67a1", 3, None, "美国"],
        {"tag_list": json.dumps({"info": None, "location": "美国"}), "ctrl": "\t\x01"},
        {},
        [],
    ]
    assert dump_json_indent(items) == json.dumps(items, ensure_ascii=False, indent=4)
    assert dump_json_indent([]) == json.dumps([], ensure_ascii=False, indent=4)


def test_rejects_unknown_scale(tmp_path):
    with pytest.raises(ValueError):
        generate_corpus(tmp_path, scale="huge")


# -- comment affect (Li et al. 2025) and stage markers (Jing & Zhang 2026) ----------------------------------
def test_emotion_fits_the_planted_sentiment_and_follows_li_et_al(corpus):
    rows = corpus.truth("comments.csv")
    allowed = Knobs().emotion_by_level
    assert all(r["emotion"] in allowed[int(r["sentiment"])] for r in rows)
    assert {r["emotion"] for r in rows} == set(EMOTION.codes) and {r["stance"] for r in rows} == set(STANCE.codes)
    code = {r["note_id"]: r["code"] for r in corpus.truth("notes.csv")}

    def share(emotion, subset):
        return sum(r["emotion"] == emotion for r in subset) / len(subset)

    positive = [r for r in rows if int(r["sentiment"]) > 0]
    political = [r for r in rows if topic_group(code[r["note_id"]]) == "political"]
    elsewhere = [r for r in rows if topic_group(code[r["note_id"]]) != "political"]
    hostile = {"contempt", "anger"}
    assert sum(r["emotion"] in hostile for r in political) / len(political) > sum(
        r["emotion"] in hostile for r in elsewhere
    ) / len(elsewhere)
    assert (
        share("contempt", [r for r in political if int(r["sentiment"]) < 0])
        > share("contempt", [r for r in elsewhere if int(r["sentiment"]) < 0]) + 0.05
    )
    cultural = [r for r in positive if topic_group(code[r["note_id"]]) == "cultural"]
    assert share("pride", cultural) > share("pride", positive) + 0.03
    pro_china = [r for r in positive if r["stance"] == "pro-china"]
    assert share("pride", pro_china) > 2 * share("pride", [r for r in positive if r["stance"] == "neutral"])
    level_0 = [r for r in rows if r["sentiment"] == "0"]
    assert share("curiosity", [r for r in level_0 if r["stance"] == "neutral"]) > share("curiosity", level_0)


def test_stance_follows_the_commenter_group(corpus):
    rows = corpus.truth("comments.csv")
    counts = Counter((r["commenter_group"], r["stance"]) for r in rows)
    natives = sum(n for (g, _), n in counts.items() if g == "native")
    foreign = sum(n for (g, _), n in counts.items() if g == "foreign")
    assert counts[("native", "pro-china")] / natives > 0.3 > counts[("foreign", "pro-china")] / foreign
    assert counts[("foreign", "pro-foreign")] / foreign > 0.15 > counts[("native", "pro-foreign")] / natives
    negative = [r for r in rows if int(r["sentiment"]) < 0]
    assert sum(r["stance"] == "pro-foreign" for r in negative) / len(negative) > sum(
        r["stance"] == "pro-foreign" for r in rows
    ) / len(rows)


def test_comment_text_carries_stance_and_emotion_cues(corpus):
    """The planted labels are readable: sided comments name a country, questions end like one."""
    truth = {r["comment_id"]: r for r in corpus.truth("comments.csv")}
    country = re.compile(r"China|America|the US|the West|States|中国|国外|美国|西方|这边")
    sided = [(truth[i], c["content"]) for i, c in corpus.latest["comment"].items() if truth[i]["stance"] != "neutral"]
    assert sum(bool(country.search(text)) for _, text in sided) / len(sided) > 0.85  # 5 % are emoji only
    questions = [c["content"] for i, c in corpus.latest["comment"].items() if truth[i]["emotion"] == "curiosity"]
    asks = re.compile(r"[?？]|\b(where|what|which|when|how|is this|link)\b|请问|哪|什么|几|多少|怎么|求链接")
    assert sum(bool(asks.search(text)) for text in questions) / len(questions) > 0.9


def test_planted_stage_markers_are_found_and_come_in_the_papers_order(corpus):
    notes = {r["note_id"]: r for r in corpus.truth("notes.csv")}
    comments = {r["comment_id"]: r for r in corpus.truth("comments.csv")}
    texts = [(notes[i]["stages"], r["desc"], int(r["time"])) for i, r in corpus.latest["note"].items()]
    texts += [(comments[i]["stages"], r["content"], int(r["create_time"])) for i, r in corpus.latest["comment"].items()]
    marked_days = defaultdict(list)
    for planted, text, ms in texts:
        found = stages_in(text)
        assert set(filter(None, planted.split(";"))) <= set(found), text
        for stage in found:
            marked_days[stage].append(dt.datetime.fromtimestamp(ms / 1000, tz=NY).date().toordinal())
    assert tuple(Knobs().stage_prevalence) == STAGES  # the generator plants what the pipeline detects
    median = {s: sorted(days)[len(days) // 2] for s, days in marked_days.items()}
    assert median["cat_tax"] < median["duizhang"] < median["li_hua"]
    assert dt.date.fromordinal(median["cat_tax"]) <= dt.date(2025, 1, 31)
    assert dt.date.fromordinal(median["li_hua"]) >= dt.date(2025, 3, 1)
    assert all(len(days) > 30 for days in marked_days.values())


def test_hashtag_sampling_frame_on_the_corpus(corpus):
    notes = pl.DataFrame(
        [
            {"note_id": i, "description": r["desc"], "liked_count": parse_count(r["liked_count"])}
            for i, r in corpus.latest["note"].items()
        ]
    )
    quotas = allocate_quotas(
        {"#猫税": 1.454e6, "#tiktokrefugees": 3.284e6, "#cattax": 46.225e6, "#tiktokrefugee": 1.719e6}, 40
    )
    frame = sample_posts(with_hashtags(notes), quotas)
    assert frame["note_id"].is_unique().all()
    assert frame.group_by("hashtag").len().sort("hashtag").rows() == sorted(quotas.select("hashtag", "quota").rows())


def test_manual_affect_coding_two_coders(corpus):
    truth = {r["comment_id"]: r for r in corpus.truth("comments.csv")}
    for scheme in ("emotion", "stance"):
        with (corpus.root / "_manual" / f"{scheme}_coding.csv").open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        assert list(rows[0]) == ["comment_id", "coder", "code"]
        by_comment = defaultdict(dict)
        for r in rows:
            by_comment[r["comment_id"]][r["coder"]] = r["code"]
        assert len(by_comment) == Knobs().affect_manual_comments
        assert all(set(v) == {"coder_a", "coder_b"} for v in by_comment.values())
        assert {i for i, r in truth.items() if r["affect_manual_sample"] == "1"} == set(by_comment)
        agree = sum(v["coder_a"] == v["coder_b"] for v in by_comment.values()) / len(by_comment)
        accuracy = sum(v["coder_a"] == truth[i][scheme] for i, v in by_comment.items()) / len(by_comment)
        assert 0.65 <= agree <= 0.9 and 0.8 <= accuracy <= 0.95, scheme


def test_every_planted_emotion_level_has_words():
    from dataclasses import replace

    from rednote_dagster.lib.corpus.affect import AffectPlanter

    AffectPlanter(Knobs(), random.Random(0))
    with pytest.raises(ValueError, match="pride"):
        AffectPlanter(replace(Knobs(), emotion_by_level={0: {"pride": 1.0}}), random.Random(0))


# -- the phrase tables (lib/corpus/data/*.toml) ---------------------------------------------------------------
def test_phrase_tables_load_once_with_the_keys_the_generator_looks_up():
    from importlib.resources import files

    from rednote_dagster.lib.corpus.params import KEYWORDS
    from rednote_dagster.lib.corpus.tables import table
    from rednote_dagster.lib.taxonomy import TOPIC_CODES

    names = sorted(p.name.removesuffix(".toml") for p in (files("rednote_dagster.lib.corpus") / "data").iterdir())
    assert names == ["comments", "marks", "notes"]
    notes, comments, marks = table("notes"), table("comments"), table("marks")
    assert table("notes") is notes

    levels = [2, 1, 0, -1, -2]
    assert list(marks["emoji"]) == list(marks["markers"]) == levels
    assert list(notes["hashtags"]["keyword"]) == list(KEYWORDS)
    assert list(notes["hashtags"]["topic"]) == list(TOPIC_CODES)
    assert set(notes["hashtags"]["stage"]) == set(STAGES)
    for lang in ("en", "zh"):
        # the order of the topic codes is part of the random stream (a detail bleeds in from any topic)
        assert list(notes["topic"][lang]) == list(notes["detail"][lang]) == list(TOPIC_CODES)
        assert list(comments["topic"][lang]) == list(TOPIC_CODES)
        assert list(notes["sentiment"][lang]) == list(comments["tail"][lang]) == levels
        assert set(comments["emotion"][lang]) == set(comments["open"][lang]) == set(EMOTION.codes)
        assert set(comments["stance"][lang]) == set(STANCE.codes)
        assert set(notes["stage"][lang]) == set(comments["stage"][lang]) == set(STAGES)

    def leaves(value):
        if isinstance(value, dict):
            return [x for v in value.values() for x in leaves(v)]
        assert isinstance(value, tuple) and value, value
        assert all(isinstance(x, str) for x in value), value
        return list(value)

    phrases = leaves(notes) + leaves(comments) + leaves(marks)
    assert len(phrases) > 1000
    assert {m for p in phrases for m in re.findall(r"\{(\w+)\}", p)} <= set(notes["slots"])


def test_seed_0_small_corpus_has_its_recorded_digest(corpus):
    # The files of (small, 0) change only on purpose: whoever changes the generator, its parameters
    # or its phrase tables so that the output changes updates this digest in the same commit.
    assert tree_digest(corpus.root) == "4d04b5a966b321782b48a6eee7747a2feae6800a425d4d2281ce09b7ed81de09"


def test_manual_sentiment_coding_covers_the_taxonomy_sample_and_more_notes(corpus):
    rows = list(csv.DictReader((corpus.root / "_manual" / "sentiment_coding.csv").open(encoding="utf-8")))
    truth = {r["note_id"]: r for r in csv.DictReader((corpus.root / "_truth" / "notes.csv").open(encoding="utf-8"))}
    notes = {r["id"] for r in rows if r["entity"] == "note"}
    comments = {r["id"] for r in rows if r["entity"] == "comment"}
    taxonomy_sample = {i for i, r in truth.items() if r["manual_sample"] == "1"}
    assert taxonomy_sample < notes <= set(truth)
    assert len(notes) == round(Knobs().sentiment_manual_note_share * len(truth))
    assert len(comments) == Knobs().affect_manual_comments
    assert len(rows) == 2 * (len(notes) + len(comments))  # two coders each
