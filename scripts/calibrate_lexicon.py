"""Re-derive the lexicon backend's constants (rednote_dagster/lib/labelling/lexicon.py ZH_WEIGHTS, CUTOFFS).

    python scripts/calibrate_lexicon.py --sets REAL_TEXT_SETS [--corpus CORPUS]
    # CORPUS: python -m rednote_dagster corpus --scale small --seed 1 --out /tmp/corpus_seed1

--sets: a folder of labelled sets as benchmarks/real_text.py reads them (docs/real_text.md). Only their
TRAIN halves are read. On the Chinese sets whose labels.json says the annotation is human (or those
named by --zh-sets) it fits ZH_WEIGHTS (logistic regression, positive vs negative, each set's two
classes weighted equally) and the Chinese inner cut-offs (−1|0, 0|1; grid 0.05, maximising the sets'
mean macro-F1 on negative/neutral/positive). English keeps VADER's ±0.05 (printed: what a fit would
give). Prints macro-F1 / κ per set beside plain SnowNLP and plain VADER, as the benchmark defines them.

--corpus: the outer cut-offs (−2|−1, 1|2) per reading, inner ones held, maximising exact agreement with
the planted levels, notes weighted (by repetition) to count as much as comments; and the agreement.
"""

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import real_text

from rednote_dagster.lib.labelling import lexicon as lex_module
from rednote_dagster.lib.labelling import snownlp_fast
from rednote_dagster.lib.labelling.lexicon import (
    LexiconSentiment,
    calibrate_cutoffs,
    levels_at,
    script_without_stickers,
)
from rednote_dagster.lib.labelling.schemes import SENTIMENT
from rednote_dagster.lib.labelling.text import note_text, without_markup
from rednote_dagster.lib.pseudonym import Pseudonymizer
from rednote_dagster.lib.xhs.ingest import ingest_entity

COARSE_OF_LEVEL = {-1: "negative", 0: "neutral", 1: "positive"}
BAND_GRID = np.round(np.arange(-0.6, 0.601, 0.05), 2)


def coarse(scores, inner: tuple[float, float]) -> list[str]:
    """negative / neutral / positive of scores at inner cut-offs (the outer ones do not matter here)."""
    return [COARSE_OF_LEVEL[int(v)] for v in np.sign(levels_at(scores, (-np.inf, *inner, np.inf)))]


def train_rows(root: Path) -> list[tuple[str, str, bool, bool, list[tuple[str, str]]]]:
    """(set, language, human-annotated, binary, [(text, negative|neutral|positive)]) of every set's train
    half; binary: the set's mapping has no neutral."""
    sets, _ = real_text.load_sets(root, None)
    out = []
    for labelled in sets:
        if "sentiment" not in labelled.mappings:
            continue
        rows, _ = real_text.map_rows(
            labelled.train, labelled.mappings["sentiment"], real_text.COARSE, labelled.separator
        )
        if len({label for _, label in rows}) >= 2:
            human = labelled.annotation.lower() == "human"
            binary = "neutral" not in labelled.mappings["sentiment"].values()
            out.append((labelled.name, labelled.language, human, binary, rows))
    return out


def fit_zh_weights(features: dict[str, np.ndarray], gold: dict[str, list[str]]) -> tuple[float, ...]:
    from sklearn.linear_model import LogisticRegression

    x, y, w = [], [], []  # weights: each set's two classes count alike, mean weight 1
    for name, f in features.items():
        polar = [i for i, label in enumerate(gold[name]) if label != "neutral"]
        counts = {label: sum(gold[name][i] == label for i in polar) for label in ("negative", "positive")}
        for i in polar:
            x.append(f[i])
            y.append(gold[name][i] == "positive")
            w.append(1 / (2 * counts[gold[name][i]]))
    w = np.array(w) * len(w) / sum(w)
    model = LogisticRegression().fit(np.array(x), y, sample_weight=w)
    return (*(round(float(c), 3) for c in model.coef_[0]), round(float(model.intercept_[0]), 3))


def zh_scores(features: np.ndarray, weights) -> np.ndarray:
    a, b, c, k = weights
    return np.tanh((features @ np.array([a, b, c]) + k) / 2)


def best_band(scores: dict[str, np.ndarray], gold: dict[str, list[str]]) -> tuple[float, float]:
    best, band = -1.0, (0.0, 0.0)
    for lo in BAND_GRID:
        for hi in BAND_GRID[lo <= BAND_GRID]:
            f1 = np.mean([real_text.metrics(gold[n], coarse(s, (lo, hi)))["macro_f1"] for n, s in scores.items()])
            if f1 > best + 1e-12:
                best, band = f1, (float(lo), float(hi))
    return band


def calibrate_real(root: Path, zh_sets: list[str] | None, lexicon: LexiconSentiment) -> tuple[float, float]:
    """Fits and prints ZH_WEIGHTS and the Chinese inner cut-offs; returns the latter."""
    sets = train_rows(root)
    fit_on = [n for n, lang, human, _, _ in sets if lang == "zh" and (n in zh_sets if zh_sets else human)]
    if not fit_on:
        raise SystemExit(f"calibrate_lexicon: no Chinese set to fit on in {root}")
    gold = {n: [label for _, label in rows] for n, *_, rows in sets}
    zh = {n: np.array([lexicon.zh_features(t) for t, _ in rows]) for n, lang, *_, rows in sets if lang == "zh"}
    weights = fit_zh_weights({n: zh[n] for n in fit_on}, gold)
    lex_module.ZH_WEIGHTS = weights  # so that --corpus, in this run, reads with them
    zh_s = {n: zh_scores(f, weights) for n, f in zh.items()}
    band = best_band({n: zh_s[n] for n in fit_on}, gold)
    en = {n: np.array([lexicon.en_score(t) for t, _ in rows]) for n, lang, *_, rows in sets if lang == "en"}
    print(f"ZH_WEIGHTS = {weights}  (fitted on the train halves of {', '.join(fit_on)})")
    print(f"zh inner cut-offs {band}; en keeps VADER's (-0.05, 0.05), a fit would give {best_band(en, gold)}")
    print("train halves, macro-F1 / κ: this reading | plain SnowNLP | plain VADER")
    for name, lang, _, binary, rows in sets:
        texts = [t for t, _ in rows]
        ours = coarse(zh_s[name], band) if lang == "zh" else coarse(en[name], (-0.05, 0.05))
        snow = [real_text.snownlp_label(snownlp_fast.sentiments(t), binary) for t in texts]
        vader = [real_text.vader_label(lexicon._vader.polarity_scores(t)["compound"]) for t in texts]
        cells = [real_text.metrics(gold[name], p) for p in (ours, snow, vader)]
        print(
            f"  {name:32s} {lang} n={len(rows):5d}{' (fitted on)' if name in fit_on else ''}  "
            + " | ".join(f"{c['macro_f1']:.3f} / {c['kappa']:.3f}" for c in cells)
        )
    return band


def corpus_texts(root: Path) -> list[tuple[str, str, int]]:
    """(entity, text, planted level) for every accepted note and comment."""
    truth_notes = pl.read_csv(root / "_truth/notes.csv", infer_schema_length=0)
    truth_comments = pl.read_csv(root / "_truth/comments.csv", infer_schema_length=0)
    truth = {("note", i): int(s) for i, s in truth_notes.select("note_id", "sentiment").iter_rows()}
    truth |= {("comment", i): int(s) for i, s in truth_comments.select("comment_id", "sentiment").iter_rows()}
    texts: dict[tuple[str, str], str] = {}
    pseudonymizer = Pseudonymizer(b"calibration-only-key-32-bytes!!!")
    for month in sorted(p.name for p in root.iterdir() if p.name[:1].isdigit()):
        for entity, id_column in (("note", "note_id"), ("comment", "comment_id")):
            rows = pl.from_arrow(
                ingest_entity(root / month, dt.date.fromisoformat(f"{month}-01"), entity, pseudonymizer).rows
            )
            for row in rows.iter_rows(named=True):
                texts[(entity, row[id_column])] = (
                    note_text(row["title"], row["description"]) if entity == "note" else row["content"] or ""
                )
    return [(k[0], t, truth[k]) for k, t in texts.items() if k in truth and t.strip()]


def calibrate_corpus(root: Path, zh_inner: tuple[float, float], lexicon: LexiconSentiment) -> None:
    """Prints the outer cut-offs per reading (inner held) and the exact agreement per entity."""
    inner = {"en": (-0.05, 0.05), "zh": zh_inner}
    rows = [(entity, without_markup(text), level) for entity, text, level in corpus_texts(root)]
    for reading in ("en", "zh"):
        score = lexicon.zh_score if reading == "zh" else lexicon.en_score
        scored = [(e, score(t), level) for e, t, level in rows if script_without_stickers(t) == reading]
        notes = [r for r in scored if r[0] == "note"]
        comments = [r for r in scored if r[0] == "comment"]
        balanced = notes * max(1, round(len(comments) / max(1, len(notes)))) + comments
        cuts, _ = calibrate_cutoffs(
            [r[1] for r in balanced], [r[2] for r in balanced], fixed={1: inner[reading][0], 2: inner[reading][1]}
        )
        agreement = {
            name: (float(np.mean(levels_at([r[1] for r in part], cuts) == np.array([r[2] for r in part]))), len(part))
            for name, part in (("notes", notes), ("comments", comments))
            if part
        }
        print(
            f"{reading} cut-offs {tuple(round(c, 3) for c in cuts)}  exact agreement "
            + ", ".join(f"{k} {v:.3f} (n={n})" for k, (v, n) in agreement.items())
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", type=Path, help="folder of labelled real-text sets (train halves are read)")
    parser.add_argument("--zh-sets", help="comma-separated Chinese sets to fit on (default: human-annotated)")
    parser.add_argument("--corpus", type=Path, help="a generated corpus, for the outer cut-offs")
    args = parser.parse_args(argv)
    if not args.sets and not args.corpus:
        parser.error("give --sets, --corpus or both")
    lexicon = LexiconSentiment(SENTIMENT, workers=1)
    zh_inner = (lex_module.CUTOFFS["zh"][1], lex_module.CUTOFFS["zh"][2])
    if args.sets:
        zh_sets = [s.strip() for s in args.zh_sets.split(",")] if args.zh_sets else None
        zh_inner = calibrate_real(args.sets, zh_sets, lexicon)
    if args.corpus:
        calibrate_corpus(args.corpus, zh_inner, lexicon)


if __name__ == "__main__":
    main()
