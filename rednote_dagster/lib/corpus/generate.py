"""`generate_corpus`: plant the world, schedule the crawls, write MediaCrawler files and the truth.

Every stage draws from its own `random.Random` seeded with "<seed>:<stage>", so stages are
independent streams and the output is byte-identical for a given (scale, seed).
"""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

from rednote_dagster.lib.phases import PHASES, PhaseBoundaries

from . import affect, content, engagement, population, truth
from .comments import CommenterPool, CommentPlanter
from .crawl import CrawlPlanner
from .damage import plant_damage
from .ids import IdFactory
from .params import SCALES, Knobs, params_dict
from .records import RecordBuilder
from .text import TextComposer
from .timeline import daily_targets
from .writers import CorpusWriter


def _rng(seed: int, stage: str) -> random.Random:
    return random.Random(f"{seed}:{stage}")


def _clear(out: Path) -> None:
    """Remove what an earlier run wrote here (month folders, _truth, _manual) so reruns are exact."""
    if not out.exists():
        return
    for child in sorted(out.iterdir()):
        is_month = child.is_dir() and len(child.name) == 7 and child.name[4] == "-" and child.name[:4].isdigit()
        if is_month or child.name in ("_truth", "_manual"):
            shutil.rmtree(child)


def generate_corpus(out_dir: Path | str, scale: str = "small", seed: int = 0) -> dict:
    """Write a synthetic MediaCrawler corpus with planted ground truth under `out_dir`.

    Returns a summary: counts of planted notes / comments / users, files and records written, and
    the wall-clock seconds taken (the seconds are not written to any file).
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {sorted(SCALES)}, not {scale!r}")
    started = time.perf_counter()
    sp, knobs = SCALES[scale], Knobs()
    out = Path(out_dir)
    _clear(out)
    out.mkdir(parents=True, exist_ok=True)
    ids = IdFactory(_rng(seed, "ids"))

    # 1. the world: timeline, creators, notes, topics, sentiment, text, stage markers
    targets = daily_targets(sp, knobs, _rng(seed, "timeline"))
    bounds = PhaseBoundaries()
    phase_totals = {p: sum(n for d, n in targets if bounds.phase_of(d) == p) for p in PHASES}
    users = population.build_users(sp, knobs, _rng(seed, "users"))
    population.plan_activity(users, phase_totals, knobs, _rng(seed, "activity"))
    notes = population.place_notes(users, targets, _rng(seed, "placement"))
    population.assign_ids(users, notes, knobs, _rng(seed, "accounts"), ids)
    content.plant_topics(notes, knobs, _rng(seed, "topics"))
    content.plant_sentiment(notes, knobs, _rng(seed, "sentiment"))
    composer = TextComposer(_rng(seed, "text"), knobs.topic_bleed)
    content.plant_surface(notes, knobs, _rng(seed, "surface"), composer)
    stage_curves = affect.StageCurves(knobs)
    affect.plant_note_stages(notes, knobs, stage_curves, TextComposer(_rng(seed, "note_stages"), knobs.topic_bleed))

    # 2. when each note was crawled (engagement calibration needs the last crawl time)
    planner = CrawlPlanner(knobs, _rng(seed, "crawl"))
    planner.rolling(notes, users)
    planner.june(notes, users)
    uncrawled = [n.note_id for n in notes if not n.crawl_times]
    if uncrawled:
        raise AssertionError(f"{len(uncrawled)} notes were never crawled")

    # 3. engagement and comments (with their emotion, stance and stage markers)
    engagement.plant_levels(users, knobs, _rng(seed, "levels"))
    engagement.plant_note_engagement(notes, knobs, _rng(seed, "engagement"))
    engagement.plant_comment_totals(notes, sp, knobs, _rng(seed, "comment_totals"))
    engagement.plant_followers(users, knobs, _rng(seed, "followers"))
    pool = CommenterPool(sp, _rng(seed, "commenters"), ids)
    CommentPlanter(
        knobs,
        _rng(seed, "comments"),
        ids,
        pool,
        composer,
        affect.AffectPlanter(knobs, _rng(seed, "affect")),
        affect.CommentStages(knobs, stage_curves, _rng(seed, "comment_stages")),
    ).plant(notes)

    # 4. files: snapshots -> entries, damage, serialisation
    planner.attach_comments()
    files = planner.ordered_files()
    plant_damage(files, knobs.garbage_rate, _rng(seed, "damage"))
    builder = RecordBuilder(knobs, _rng(seed, "records"))
    writer = CorpusWriter(out, builder)
    writer.write_all(files)

    # 5. truth and manual coding
    truth_dir = out / "_truth"
    months = truth.crawl_months(planner.snaps)
    sample = truth.manual_sample(notes, knobs, _rng(seed, "manual"))
    truth.write_notes(truth_dir, notes, months, builder, {n.idx for n in sample})
    comment_sample = truth.affect_manual_sample(notes, knobs, _rng(seed, "affect_manual"))
    truth.write_comments(truth_dir, notes, months, knobs.growth_tau_hours, {c.comment_id for c in comment_sample})
    truth.write_users(truth_dir, users)
    truth.write_timeline(truth_dir, targets)
    truth.write_file_truth(truth_dir, writer.stats, writer.damage)
    truth.write_json(truth_dir / "params.json", params_dict(sp, knobs, seed))
    truth.write_manual(out, sample, knobs, _rng(seed, "coders"))
    truth.write_affect_manual(out, comment_sample, knobs, _rng(seed, "affect_coders"))
    sentiment_notes = truth.sentiment_manual_notes(notes, sample, knobs, _rng(seed, "sentiment_manual"))
    truth.write_sentiment_manual(out, sentiment_notes, comment_sample, knobs, _rng(seed, "sentiment_coders"))

    n_comments = sum(len(n.comments) for n in notes)
    n_top = sum(1 for n in notes for c in n.comments if c.parent is None)
    return {
        "scale": scale,
        "seed": seed,
        "out_dir": str(out),
        "notes": len(notes),
        "creators": len(users),
        "top_level_comments": n_top,
        "sub_comments": n_comments - n_top,
        "files": len(writer.stats),
        "records_written": sum(s.records_written for s in writer.stats),
        "damaged_records": sum(s.damaged for s in writer.stats),
        "months": sorted({s.month for s in writer.stats}),
        "seconds": round(time.perf_counter() - started, 2),
    }
