"""Re-derive the lexicon backend's cut-offs (rednote_dagster/lib/labelling/lexicon.py CUTOFFS).

    python -m rednote_dagster corpus --scale small --seed 1 --out /tmp/corpus_seed1
    python scripts/calibrate_lexicon.py /tmp/corpus_seed1

Scores every note and comment of the corpus with LexiconSentiment.score, then, per script,
searches cut-offs that maximise exact agreement with the planted levels, notes weighted (by
repetition) to count as much as comments. Prints the cut-offs and the agreement per entity.
"""

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import polars as pl

from rednote_dagster.lib.labelling.lexicon import LexiconSentiment, calibrate_cutoffs
from rednote_dagster.lib.labelling.schemes import SENTIMENT
from rednote_dagster.lib.labelling.text import note_text
from rednote_dagster.lib.pseudonym import Pseudonymizer
from rednote_dagster.lib.xhs.ingest import ingest_entity


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


def main(root: Path) -> None:
    lexicon = LexiconSentiment(SENTIMENT)
    scored = [(entity, *lexicon.score(text), level) for entity, text, level in corpus_texts(root)]
    for script in ("en", "zh", "mixed"):
        notes = [r for r in scored if r[1] == script and r[0] == "note"]
        comments = [r for r in scored if r[1] == script and r[0] == "comment"]
        balanced = notes * max(1, round(len(comments) / max(1, len(notes)))) + comments
        cuts, _ = calibrate_cutoffs([r[2] for r in balanced], [r[3] for r in balanced])
        agreement = {
            name: float(np.mean([int(np.digitize(r[2], cuts)) - 2 == r[3] for r in part]))
            for name, part in (("notes", notes), ("comments", comments))
            if part
        }
        print(
            f"{script:6s} cut-offs {tuple(round(c, 3) for c in cuts)}  exact agreement "
            + ", ".join(
                f"{k} {v:.3f} (n={len(notes) if k == 'notes' else len(comments)})" for k, v in agreement.items()
            )
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
