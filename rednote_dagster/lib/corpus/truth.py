"""Planted truth under `_truth/` and the simulated manual codings under `_manual/`.

Nothing here is read by the pipeline; tests and evaluations compare the pipeline's output to it.
"""

from __future__ import annotations

import bisect
import csv
import json
import random
from pathlib import Path

from rednote_dagster.lib.phases import PHASES, PhaseBoundaries
from rednote_dagster.lib.taxonomy import TOPIC_CODES, TOPICS

from .crawl import NoteSnap
from .engagement import shown
from .ids import creator_hash
from .model import Comment, Note, User
from .params import PEAK_DATE, TROUGH_DATE, Knobs
from .records import RecordBuilder
from .writers import DamageRow, FileStat


def _write_csv(path: Path, header: list[str], rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def crawl_months(snaps: list[NoteSnap]) -> dict[int, list[tuple[int, str]]]:
    """note idx -> sorted (crawl ts, collection month) of its intact snapshots."""
    out: dict[int, list[tuple[int, str]]] = {}
    for snap in snaps:
        out.setdefault(snap.note.idx, []).append((snap.ts, snap.contents.month))
    for value in out.values():
        value.sort()
    return out


def write_notes(truth: Path, notes: list[Note], months: dict, builder: RecordBuilder, manual: set[int]) -> None:
    header = [
        "note_id",
        "user_id",
        "code",
        "category",
        "sentiment",
        "tier",
        "phase",
        "ny_date",
        "published_ms",
        "lang",
        "type",
        "first_collection_month",
        "collection_months",
        "liked_count",
        "collected_count",
        "comment_count",
        "share_count",
        "null_counts",
        "top_level_comments",
        "sub_comments",
        "keywords",
        "head_era",
        "manual_sample",
        "stages",
    ]
    rows = []
    for note in notes:
        crawled = sorted({m for _, m in months[note.idx]})
        counts = builder.true_counts(note)
        subs = sum(1 for c in note.comments if c.parent is not None)
        rows.append(
            [
                note.note_id,
                note.user.user_id,
                note.code,
                TOPICS[note.code].category,
                note.sentiment,
                note.tier,
                note.phase,
                note.ny_date.isoformat(),
                note.publish_ms,
                note.lang,
                note.type,
                crawled[0],
                ";".join(crawled),
                counts["liked_count"],
                counts["collected_count"],
                counts["comment_count"],
                counts["share_count"],
                int(note.null_interact),
                len(note.comments) - subs,
                subs,
                ";".join(note.keywords),
                int(note.user.head_era),
                int(note.idx in manual),
                ";".join(note.stages),
            ]
        )
    _write_csv(truth / "notes.csv", header, rows)


def write_comments(truth: Path, notes: list[Note], months: dict, tau: float, manual: set[str]) -> None:
    header = [
        "comment_id",
        "note_id",
        "parent_comment_id",
        "root_comment_id",
        "sentiment",
        "lang",
        "commenter_group",
        "commenter_id",
        "create_ms",
        "like_count",
        "first_collection_month",
        "emotion",
        "stance",
        "stages",
        "affect_manual_sample",
    ]
    rows = []
    for note in notes:
        crawls = months[note.idx]
        times = [ts for ts, _ in crawls]
        last = times[-1]
        for c in note.comments:
            root = c
            while root.parent is not None:
                root = root.parent
            first = crawls[bisect.bisect_right(times, c.create_ms)][1]
            rows.append(
                [
                    c.comment_id,
                    note.note_id,
                    c.parent.comment_id if c.parent else "",
                    root.comment_id,
                    c.sentiment,
                    c.lang,
                    c.group,
                    c.commenter.user_id,
                    c.create_ms,
                    shown(c.like_final, c.create_ms, last, tau),
                    first,
                    c.emotion,
                    c.stance,
                    ";".join(c.stages),
                    int(c.comment_id in manual),
                ]
            )
    _write_csv(truth / "comments.csv", header, rows)


def write_users(truth: Path, users: list[User]) -> None:
    header = (
        ["user_id", "creator_hash", "nickname", "created_ms", "viral", "head_era"]
        + [f"tier_{p}" for p in PHASES]
        + [f"notes_{p}" for p in PHASES]
        + [f"latent_{p}" for p in PHASES]
        + [f"level_{p}" for p in PHASES]
        + ["followers"]
    )
    rows = []
    for u in users:
        rows.append(
            [u.user_id, creator_hash(u.user_id), u.nickname, u.created_ms, int(u.viral), int(u.head_era)]
            + [u.tier[p] for p in PHASES]
            + [u.n_notes[p] for p in PHASES]
            + [f"{u.latent[p]:.4f}" for p in PHASES]
            + [f"{u.level[p]:.4f}" for p in PHASES]
            + [u.followers]
        )
    _write_csv(truth / "users.csv", header, rows)


def write_timeline(truth: Path, targets) -> None:
    bounds = PhaseBoundaries()
    _write_csv(
        truth / "timeline.csv",
        ["ny_date", "phase", "notes"],
        [[d.isoformat(), bounds.phase_of(d), n] for d, n in targets],
    )
    totals = {p: sum(n for d, n in targets if bounds.phase_of(d) == p) for p in PHASES}
    counts = dict(targets)
    write_json(
        truth / "phases.json",
        {
            "timezone": "America/New_York",
            "surge_start": bounds.surge_start.isoformat(),
            "stabilization_start": bounds.stabilization_start.isoformat(),
            "rule": "pre_ban: date < surge_start; surge: surge_start <= date < stabilization_start; "
            "stabilization: date >= stabilization_start",
            "peak": {"date": PEAK_DATE.isoformat(), "notes": counts[PEAK_DATE]},
            "trough": {"date": TROUGH_DATE.isoformat(), "notes": counts[TROUGH_DATE]},
            "notes_per_phase": totals,
            "first_day": targets[0][0].isoformat(),
            "last_day": targets[-1][0].isoformat(),
        },
    )


def write_file_truth(truth: Path, stats: list[FileStat], damage: list[DamageRow]) -> None:
    _write_csv(
        truth / "files.csv",
        [
            "collection_month",
            "path",
            "entity",
            "format",
            "vintage",
            "crawler_type",
            "crawl_date",
            "records_written",
            "damaged",
            "valid",
            "duplicates_within_month_expected",
            "new_ids_in_month",
        ],
        [
            [
                s.month,
                s.path,
                s.entity,
                s.fmt,
                s.vintage,
                s.crawler_type,
                s.crawl_date,
                s.records_written,
                s.damaged,
                s.valid,
                s.duplicates_within_month,
                s.new_ids_in_month,
            ]
            for s in stats
        ],
    )
    _write_csv(
        truth / "damage.csv",
        ["collection_month", "path", "record_index", "entity", "kind", "original_id"],
        [[d.month, d.path, d.record_index, d.entity, d.kind, d.original_id] for d in damage],
    )
    summary: dict[tuple[str, str], list[int]] = {}
    for s in stats:
        row = summary.setdefault((s.month, s.entity), [0, 0, 0, 0, 0, 0])
        for i, value in enumerate(
            (1, s.records_written, s.damaged, s.valid, s.new_ids_in_month, s.duplicates_within_month)
        ):
            row[i] += value
    _write_csv(
        truth / "months.csv",
        ["collection_month", "entity", "files", "records_written", "damaged", "valid", "unique_ids", "duplicates"],
        [[m, e] + v for (m, e), v in sorted(summary.items())],
    )


# -- manual coding -------------------------------------------------------------------------------
def manual_sample(notes: list[Note], knobs: Knobs, rng: random.Random) -> list[Note]:
    n = round(knobs.manual_share * len(notes))
    return sorted(rng.sample(notes, n), key=lambda note: note.idx)


def _confusion(code: str, knobs: Knobs, rng: random.Random) -> str:
    siblings = [c for c in TOPIC_CODES if c != code and c[0] == code[0]]
    if siblings and rng.random() < knobs.same_category_confusion:
        return rng.choice(siblings)
    # otherwise a plausible catch-all: personal stories, unknown, lifestyle, memes
    fallback = [c for c in ("5b", "7", "2c", "5a", "5c") if c != code]
    return rng.choice(fallback)


def write_manual(out_dir: Path, sample: list[Note], knobs: Knobs, rng: random.Random) -> None:
    rows = []
    for note in sample:
        for coder, accuracy in zip(("coder_a", "coder_b"), knobs.coder_accuracy):
            code = note.code if rng.random() < accuracy else _confusion(note.code, knobs, rng)
            rows.append([note.note_id, coder, code])
    _write_csv(out_dir / "_manual" / "taxonomy_coding.csv", ["note_id", "coder", "code"], rows)


# Coders mistake an emotion for its neighbour (contempt / anger, pride / praise / joy, curiosity /
# neutral) and a side for no side, or no side for either side.
EMOTION_CONFUSION: dict[str, tuple[str, ...]] = {
    "contempt": ("anger",),
    "anger": ("contempt",),
    "pride": ("praise",),
    "praise": ("joy", "pride"),
    "joy": ("praise",),
    "curiosity": ("neutral",),
    "neutral": ("curiosity",),
}
STANCE_CONFUSION: dict[str, tuple[str, ...]] = {
    "pro-china": ("neutral",),
    "pro-foreign": ("neutral",),
    "neutral": ("pro-china", "pro-foreign"),
}


def affect_manual_sample(notes: list[Note], knobs: Knobs, rng: random.Random) -> list[Comment]:
    """A simple random sample of all comments (top-level and replies), in corpus order."""
    comments = [c for note in notes for c in note.comments]
    picked = set(rng.sample(range(len(comments)), min(knobs.affect_manual_comments, len(comments))))
    return [c for i, c in enumerate(comments) if i in picked]


def write_affect_manual(out_dir: Path, sample: list[Comment], knobs: Knobs, rng: random.Random) -> None:
    """_manual/emotion_coding.csv and _manual/stance_coding.csv: comment_id, coder, code; two coders
    per sampled comment, each scheme coded in one pass over the sample."""
    for scheme, planted_of, accuracy, confusion in (
        ("emotion", lambda c: c.emotion, knobs.emotion_coder_accuracy, EMOTION_CONFUSION),
        ("stance", lambda c: c.stance, knobs.stance_coder_accuracy, STANCE_CONFUSION),
    ):
        rows = []
        for comment in sample:
            planted = planted_of(comment)
            for coder, p_right in zip(("coder_a", "coder_b"), accuracy):
                code = planted if rng.random() < p_right else rng.choice(confusion[planted])
                rows.append([comment.comment_id, coder, code])
        _write_csv(out_dir / "_manual" / f"{scheme}_coding.csv", ["comment_id", "coder", "code"], rows)


def sentiment_manual_notes(notes: list[Note], sample: list[Note], knobs: Knobs, rng: random.Random) -> list[Note]:
    """The taxonomy sample plus notes drawn at random from the rest, up to ``sentiment_manual_note_share``
    of all notes, in corpus order."""
    coded = {note.idx for note in sample}
    rest = [note for note in notes if note.idx not in coded]
    wanted = max(0, round(knobs.sentiment_manual_note_share * len(notes)) - len(sample))
    more = rng.sample(rest, min(wanted, len(rest)))
    return sorted([*sample, *more], key=lambda note: note.idx)


def _neighbour_level(level: int, rng: random.Random) -> int:
    """A coder's slip on the five-level scale: the next level up or down (an edge level has one neighbour)."""
    return rng.choice([x for x in (level - 1, level + 1) if -2 <= x <= 2])


def write_sentiment_manual(
    out_dir: Path, notes: list[Note], comments: list[Comment], knobs: Knobs, rng: random.Random
) -> None:
    """_manual/sentiment_coding.csv: entity, id, coder, code (the level -2 .. 2); two coders per item.
    The items are the notes of :func:`sentiment_manual_notes` (the taxonomy sample and more) and the
    comments of the emotion / stance sample; a coder who errs picks a neighbouring level."""
    rows = []
    for entity, items in (
        ("note", [(n.note_id, n.sentiment) for n in notes]),
        ("comment", [(c.comment_id, c.sentiment) for c in comments]),
    ):
        for item_id, planted in items:
            for coder, p_right in zip(("coder_a", "coder_b"), knobs.sentiment_coder_accuracy):
                code = planted if rng.random() < p_right else _neighbour_level(planted, rng)
                rows.append([entity, item_id, coder, code])
    _write_csv(out_dir / "_manual" / "sentiment_coding.csv", ["entity", "id", "coder", "code"], rows)
