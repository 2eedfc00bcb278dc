"""Fine-tune a DistilBERT-base-sized sentiment model on one bundled-corpus seed, to label another.

    python scripts/finetune_sentiment_model.py --seed 1 --seconds 240 --out data/models/sentiment_seed1
    REDNOTE_SENTIMENT_MODEL=data/models/sentiment_seed1 make run      # labels the seed-0 corpus

The real multilingual model cannot be downloaded here; this gives the transformers path of the
pipeline a model that has learned the corpus's sentiment from a *different* seed, so its labels
of the seed-0 corpus are an out-of-sample check of the whole path (tokenizer, id2label, batching,
cache, marts). Same recipe as benchmarks/sentiment_throughput.py (one implementation).
"""

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from common import corpus
from sentiment_throughput import corpus_texts, finetune


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1, help="corpus seed to learn from (default 1)")
    parser.add_argument("--seconds", type=float, default=240, help="training budget (default 240)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    notes, comments = corpus_texts(corpus("small", args.seed))
    import random

    # Notes are the unit of the topic analyses but a tenth of the texts: repeat them to half the mix.
    texts = notes * max(1, round(len(comments) / max(1, len(notes)))) + comments
    random.Random(f"{args.seed}:finetune").shuffle(texts)
    if args.out.exists():
        shutil.rmtree(args.out)
    report = finetune(texts, args.out, args.seconds)
    print(report)


if __name__ == "__main__":
    main()
