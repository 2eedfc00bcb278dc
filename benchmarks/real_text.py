"""The labelling backends on public, human-labelled social-media text (zh / en), beside simple baselines.

Input: a folder of labelled sets (docs/real_text.md says how to obtain them; they are not in git). Each
set is a folder with ``train.csv`` and ``test.csv`` (or only ``data.csv``, split here 50/50, stratified
by label, seed :data:`SEED`), columns ``text,label``, and ``labels.json``: ``language`` ("zh" / "en")
and, per scheme, a mapping from the set's own labels to ours (``{"sentiment": {orig: "negative" |
"neutral" | "positive" | null}, "emotion": {orig: <emotion code> | null}, "stance": …}``). A set takes
part in a scheme only if it maps that scheme; rows whose label maps to null are dropped, and so are
multi-label rows (``labels.json`` ``multi_label`` with ``label_separator``, e.g. GoEmotions' "+").

What runs is the project's own code (``rednote_dagster.lib.labelling``):

* ``lexicon`` — :class:`LexiconSentiment` (VADER + SnowNLP, five levels), sentiment only;
* ``supervised`` — :class:`SupervisedOnEmbeddings` trained on the set's train rows (≤ ``--train-size``,
  stratified), over the project's embeddings (``--embedding-model``: "" = the default, USE multilingual;
  ``minilm``, ``static`` or any REDNOTE_EMBEDDING_MODEL value);
* ``zeroshot`` — :class:`ZeroShotOnEmbeddings` over the scheme's label descriptions. It refuses texts
  in a language its encoder was not validated for; refused rows are counted (``refused``) and left out
  of its scores, and a backend that leaves fewer than :data:`MIN_SCORED` rows is listed as not evaluated, with
  its reason;
* ``llm`` — :class:`ChatCompletionsBackend` from the LLM endpoint settings (REDNOTE_LLM_*), only with
  ``--llm``; the sentiment scheme has no prompt, so not for sentiment.

Comparison. Sentiment is compared on three classes: the project's five levels collapsed by the sign of
their value (−2, −1 → negative; 0 → neutral; 1, 2 → positive; the project has no coarser mapping of its
own). Emotion and stance are compared on the scheme's codes. Only labels both sides have count (as the
set's mapping says); a prediction outside the set's mapped label set counts as wrong. Macro-F1 averages
over the gold labels of the test rows; κ is Cohen's κ over all labels. A row a backend refuses to label
(no code, with a reason) is not scored; its share is the ``refused`` column.

Baselines on the same test rows: majority class of the train half (every scheme); plain SnowNLP
(``SnowNLP(text).sentiments`` < 0.4 negative, > 0.6 positive, else neutral; on a set without neutral,
≥ 0.5 positive else negative) and plain VADER (compound ≥ 0.05 positive, ≤ −0.05 negative, else neutral,
which counts as wrong on a set without neutral), sentiment only. texts/s: test texts over the seconds
``predict`` took, embeddings computed afresh (the embedding cache is emptied first).

Run: .venv/bin/python benchmarks/real_text.py SETS_DIR [--sets a,b] [--schemes sentiment,emotion,stance]
         [--backends lexicon,supervised,zeroshot] [--llm] [--limit N] [--train-size 1000]
         [--embedding-model static] [--json out.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import statistics
import sys
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from common import BENCH_DIR  # common puts the repo root on sys.path

SEED = 0
SCHEMES = ("sentiment", "emotion", "stance")
BACKENDS = ("lexicon", "supervised", "zeroshot", "llm")
BACKEND_ALIASES = {"zero-shot": "zeroshot", "zero_shot": "zeroshot"}
COARSE = ("negative", "neutral", "positive")
COARSE_CODE = {"negative": "-1", "neutral": "0", "positive": "1"}  # training codes of the sentiment scheme
NO_LABEL = "(no label)"  # a prediction the backend could not give (Prediction.code None)
MIN_SCORED = 30  # a backend that refuses all but fewer than this many test rows of a set is not evaluated
SNOWNLP_CUTS = (0.4, 0.6)
VADER_CUT = 0.05

HEADER = (
    "Sentiment compared on negative/neutral/positive (five levels collapsed by sign); emotion and stance on the "
    "scheme's codes. Only labels both sides have count, as each set's labels.json maps them; a prediction "
    "outside the set's mapped label set counts as wrong. Macro-F1 over the gold labels of the test rows, "
    "κ = Cohen's κ. Baselines on the same rows: majority class of the train half; plain SnowNLP (<0.4 neg, "
    ">0.6 pos, else neutral; ≥0.5 pos on sets without neutral); plain VADER (compound ≥0.05 pos, ≤−0.05 neg, "
    "else neutral, wrong on sets without neutral). Rows a backend refuses (no code, with a reason) are not scored; "
    "their share is 'refused'. texts/s: predict() on the test texts, embeddings afresh."
)


class NotAvailable(Exception):
    """A backend that cannot label a scheme (reported, not an error)."""


# --------------------------------------------------------------------------- sets


@dataclass
class LabelledSet:
    name: str
    language: str
    mappings: dict[str, dict[str, str | None]]
    train: list[tuple[str, str]]
    test: list[tuple[str, str]]
    split: str  # "train.csv / test.csv" or "data.csv 50/50"
    separator: str | None = None  # multi-label separator, e.g. "+"
    annotation: str = ""


def read_rows(path: Path) -> list[tuple[str, str]]:
    """(text, label) of a ``text,label`` CSV; rows with empty text or label are left out."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {"text", "label"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: no column {', '.join(sorted(missing))}")
        return [(r["text"], r["label"]) for r in reader if (r["text"] or "").strip() and (r["label"] or "").strip()]


def stratified_sample(labels: list[str], n: int, seed: int = SEED) -> list[int]:
    """Indices of a proportional sample of ``n`` by label (largest remainder, seeded), in source order."""
    if n >= len(labels):
        return list(range(len(labels)))
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    quotas = {label: n * len(idx) / len(labels) for label, idx in by_label.items()}
    take = {label: int(q) for label, q in quotas.items()}
    for label in sorted(quotas, key=lambda k: (-(quotas[k] - take[k]), k))[: n - sum(take.values())]:
        take[label] += 1
    rng = random.Random(seed)
    chosen = []
    for label in sorted(by_label):
        idx = list(by_label[label])
        rng.shuffle(idx)
        chosen += idx[: take[label]]
    return sorted(chosen)


def load_set(folder: Path) -> LabelledSet:
    """One set; ValueError saying why it cannot be used."""
    meta_path = folder / "labels.json"
    if not meta_path.is_file():
        raise ValueError("no labels.json")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    language = meta.get("language")
    if language not in ("zh", "en"):
        raise ValueError(f"labels.json language is {language!r}, not zh or en")
    if (folder / "train.csv").is_file() and (folder / "test.csv").is_file():
        train, test, split = read_rows(folder / "train.csv"), read_rows(folder / "test.csv"), "train.csv / test.csv"
    elif (folder / "data.csv").is_file():
        rows = read_rows(folder / "data.csv")
        held = set(stratified_sample([label for _, label in rows], len(rows) // 2))
        test = [r for i, r in enumerate(rows) if i in held]
        train = [r for i, r in enumerate(rows) if i not in held]
        split = f"data.csv 50/50 (stratified, seed {SEED})"
    else:
        raise ValueError("neither train.csv + test.csv nor data.csv")
    if not test:
        raise ValueError("no test rows")
    mappings = {s: meta[s] for s in SCHEMES if isinstance(meta.get(s), dict)}
    separator = meta.get("label_separator", "+") if meta.get("multi_label") else None
    annotation = str(meta.get("annotation", "")).split(" ")[0].split("(")[0].strip()
    return LabelledSet(folder.name, language, mappings, train, test, split, separator, annotation)


def load_sets(root: Path, only: list[str] | None) -> tuple[list[LabelledSet], list[dict]]:
    """The usable sets under ``root`` (sorted by name), and why the others were left out."""
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    if only:
        unknown = sorted(set(only) - {p.name for p in folders})
        if unknown:
            raise SystemExit(
                f"real_text: no set {', '.join(unknown)} in {root} (sets: {', '.join(p.name for p in folders)})"
            )
        folders = [p for p in folders if p.name in only]
    sets, unusable = [], []
    for folder in folders:
        try:
            sets.append(load_set(folder))
        except (ValueError, OSError, json.JSONDecodeError, csv.Error) as exc:
            unusable.append({"set": folder.name, "scheme": None, "backend": None, "reason": f"unusable set: {exc}"})
    return sets, unusable


# --------------------------------------------------------------------------- schemes


def scheme_targets(scheme_name: str) -> tuple[str, ...]:
    """The labels a scheme is compared on."""
    from rednote_dagster.lib.labelling.schemes import SCHEMES as PROJECT_SCHEMES

    return COARSE if scheme_name == "sentiment" else PROJECT_SCHEMES[scheme_name].codes


def map_rows(
    rows: list[tuple[str, str]], mapping: dict[str, str | None], targets: tuple[str, ...], separator: str | None
) -> tuple[list[tuple[str, str]], Counter]:
    """(text, our label) for the rows whose label maps onto ``targets``; and what was dropped, by reason."""
    by_fold = {t.lower(): t for t in targets}
    kept, dropped = [], Counter()
    for text, label in rows:
        if label in mapping:
            target = mapping[label]
            if target is None:
                dropped["maps to null"] += 1
            elif str(target).lower() not in by_fold:
                dropped[f"maps to {target!r}, not a label of ours"] += 1
            else:
                kept.append((text, by_fold[str(target).lower()]))
        elif separator and separator in label:
            dropped["multi-label"] += 1
        else:
            dropped["label not in the mapping"] += 1
    return kept, dropped


# --------------------------------------------------------------------------- metrics and baselines


def metrics(gold: list[str], predicted: list[str]) -> dict[str, float | None]:
    from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # κ of one class against itself is undefined (nan → None)
        kappa = float(cohen_kappa_score(gold, predicted))
    return {
        "accuracy": float(accuracy_score(gold, predicted)),
        "macro_f1": float(f1_score(gold, predicted, labels=sorted(set(gold)), average="macro", zero_division=0)),
        "kappa": None if math.isnan(kappa) else kappa,
    }


def snownlp_label(p: float, binary: bool) -> str:
    if binary:
        return "positive" if p >= 0.5 else "negative"
    return "negative" if p < SNOWNLP_CUTS[0] else "positive" if p > SNOWNLP_CUTS[1] else "neutral"


def vader_label(compound: float) -> str:
    return "positive" if compound >= VADER_CUT else "negative" if compound <= -VADER_CUT else "neutral"


class PlainScores:
    """Plain SnowNLP P(positive) and VADER compound per text, each computed once."""

    def __init__(self):
        from snownlp import SnowNLP
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._snownlp, self._vader = SnowNLP, SentimentIntensityAnalyzer()
        self.snownlp: dict[str, float] = {}
        self.vader: dict[str, float] = {}

    def score(self, texts: list[str]) -> None:
        for text in texts:
            if text not in self.snownlp:
                self.snownlp[text] = float(self._snownlp(text).sentiments)
            if text not in self.vader:
                self.vader[text] = float(self._vader.polarity_scores(text)["compound"])


def baselines(
    scheme_name: str, train: list[tuple[str, str]], test: list[tuple[str, str]], plain: PlainScores | None
) -> dict[str, dict | None]:
    gold = [label for _, label in test]
    majority = Counter(label for _, label in train or test).most_common(1)[0][0]
    out: dict[str, dict | None] = {"majority": metrics(gold, [majority] * len(gold)) | {"label": majority}}
    if scheme_name == "sentiment" and plain is not None:
        texts = [text for text, _ in test]
        plain.score(texts)
        binary = "neutral" not in {label for _, label in train + test}
        out["snownlp"] = metrics(gold, [snownlp_label(plain.snownlp[t], binary) for t in texts])
        out["vader"] = metrics(gold, [vader_label(plain.vader[t]) for t in texts])
    else:
        out["snownlp"] = out["vader"] = None
    return out


# --------------------------------------------------------------------------- backends


@dataclass
class Backends:
    """The project's backends, built once per run and shared by the sets."""

    embedding_model: str = ""
    train_size: int = 1000
    _lexicon: object = None
    _embedder: object = None
    _llm: object = None
    notes: dict[str, str] = field(default_factory=dict)

    def lexicon(self):
        if self._lexicon is None:
            from rednote_dagster.lib.labelling.lexicon import LexiconSentiment
            from rednote_dagster.lib.labelling.schemes import SENTIMENT

            self._lexicon = LexiconSentiment(SENTIMENT, workers=1)
            self._lexicon.score("很好 good")  # SnowNLP loads its models on first use: not in the timed run
        return self._lexicon

    def embedder(self):
        if self._embedder is None:
            from rednote_dagster.lib.labelling.embeddings import Embedder

            self._embedder = Embedder(self.embedding_model, models_dir=BENCH_DIR / "models")
            self._embedder.model.encode(["warm up 预热"])  # first-call set-up: not in the timed run
        return self._embedder

    def llm(self, scheme):
        from rednote_dagster.defs.resources import LlmEndpoint

        if self._llm is None:
            self._llm = LlmEndpoint.from_env()
        if not self._llm.configured:
            raise NotAvailable("no LLM endpoint configured (REDNOTE_LLM_BASE_URL, REDNOTE_LLM_MODEL)")
        return self._llm.backend(scheme)

    def build(self, backend: str, scheme_name: str, train: list[tuple[str, str]]) -> tuple[object, dict]:
        """(the project's backend for ``scheme_name``, facts about it). Raises NotAvailable."""
        from rednote_dagster.lib.labelling.embeddings import SupervisedOnEmbeddings, ZeroShotOnEmbeddings
        from rednote_dagster.lib.labelling.schemes import SCHEMES as PROJECT_SCHEMES

        scheme = PROJECT_SCHEMES[scheme_name]
        if backend == "lexicon":
            if scheme_name != "sentiment":
                raise NotAvailable("the lexicon backend labels sentiment only")
            return self.lexicon(), {}
        if backend == "llm":
            if not scheme.user_template:
                raise NotAvailable(f"the {scheme_name} scheme has no prompt for the LLM backend")
            return self.llm(scheme), {}
        embedder = self.embedder()
        if backend == "zeroshot":
            return ZeroShotOnEmbeddings(scheme, embedder), {}
        # supervised: the train rows, at most --train-size of them, stratified
        picked = [train[i] for i in stratified_sample([label for _, label in train], self.train_size)]
        if len({label for _, label in picked}) < 2:
            raise NotAvailable("fewer than two classes in the train rows")
        codes = [COARSE_CODE[label] if scheme_name == "sentiment" else label for _, label in picked]
        embedder.known.clear()
        started = time.perf_counter()
        model = SupervisedOnEmbeddings(scheme, embedder, [text for text, _ in picked], codes)
        facts = {"n_train": len(picked), "train_s": round(time.perf_counter() - started, 2)}
        if hasattr(model, "features"):
            facts |= {"features": model.features, "cv_kappa": getattr(model, "cv_kappa", {})}
        return model, facts


def our_label(scheme_name: str, code: str | None) -> str:
    """A backend's code as a label compared with the sets': sentiment levels collapsed by sign."""
    from rednote_dagster.lib.labelling.schemes import SENTIMENT

    if code is None:
        return NO_LABEL
    if scheme_name != "sentiment":
        return code
    value = SENTIMENT.label(code).value
    return "negative" if value < 0 else "positive" if value > 0 else "neutral"


def run_backend(backends: Backends, backend: str, scheme_name: str, train, test) -> dict:
    from rednote_dagster.lib.labelling.scheme import Document

    model, facts = backends.build(backend, scheme_name, train)
    embedder = getattr(model, "embedder", None)
    if embedder is not None:
        embedder.known.clear()  # texts/s with the embeddings computed, not looked up
    documents = [Document(text, {"title": "", "comment": text}) for text, _ in test]
    started = time.perf_counter()
    predictions = model.predict(documents)
    seconds = time.perf_counter() - started
    # A refusal (no code, a reason: e.g. zero-shot on a language its encoder was not validated for) is the
    # backend saying it cannot label the text, which the pipeline records as such; it is counted, not scored.
    refused = [p.code is None and bool(p.reason) for p in predictions]
    refusals = Counter(p.reason for p, r in zip(predictions, refused) if r)
    scored = [(label, p) for (_, label), p, r in zip(test, predictions, refused) if not r]
    if refusals and len(scored) < MIN_SCORED:
        reason, _ = refusals.most_common(1)[0]
        raise NotAvailable(
            f"refuses {len(test) - len(scored)} of {len(test)} test rows, leaving too few to score "
            f"(< {MIN_SCORED}): {reason}"
        )
    predicted = [our_label(scheme_name, p.code) for _, p in scored]
    gold = [label for label, _ in scored]
    gold_set = set(gold)
    return (
        metrics(gold, predicted)
        | {
            "n_scored": len(scored),
            "refused": 1 - len(scored) / len(test),
            "refusal_reasons": dict(refusals.most_common()),
            "texts_per_s": len(test) / seconds if seconds > 0 else None,
            "outside": sum(p not in gold_set for p in predicted) / len(predicted),
            "predicted": dict(Counter(predicted).most_common()),
            "model_id": getattr(model, "model_id", ""),
        }
        | facts
    )


# --------------------------------------------------------------------------- the run


def evaluate(
    sets: list[LabelledSet],
    schemes: list[str],
    backend_names: list[str],
    *,
    limit: int | None,
    train_size: int,
    embedding_model: str,
    with_baselines: bool = True,
    log=print,
) -> tuple[list[dict], list[dict]]:
    """(rows: one per set × scheme × backend, with the baselines; skipped: set × scheme (× backend), why)."""
    backends = Backends(embedding_model=embedding_model, train_size=train_size)
    plain = PlainScores() if with_baselines else None
    rows, skipped = [], []
    for labelled in sets:
        test_all = labelled.test
        if limit is not None and limit < len(test_all):
            test_all = [test_all[i] for i in stratified_sample([label for _, label in test_all], limit)]
        for scheme_name in schemes:
            where = {"set": labelled.name, "scheme": scheme_name}
            if scheme_name not in labelled.mappings:
                skipped.append(where | {"backend": None, "reason": f"labels.json has no {scheme_name} mapping"})
                continue
            mapping, targets = labelled.mappings[scheme_name], scheme_targets(scheme_name)
            train, _ = map_rows(labelled.train, mapping, targets, labelled.separator)
            test, dropped = map_rows(test_all, mapping, targets, labelled.separator)
            if not test:
                shared = sorted({str(v) for v in mapping.values() if v is not None})
                reason = (
                    f"no test row maps onto our {scheme_name} labels ({', '.join(targets)}); "
                    f"the mapping gives {', '.join(shared) or 'only null'}"
                )
                skipped.append(where | {"backend": None, "reason": reason})
                continue
            gold_labels = sorted({label for _, label in test})
            if len(gold_labels) < 2:
                reason = f"the test rows hold one of our {scheme_name} labels only ({gold_labels[0]}): no κ, no F1"
                skipped.append(where | {"backend": None, "reason": reason})
                continue
            common = where | {
                "language": labelled.language,
                "annotation": labelled.annotation,
                "split": labelled.split,
                "n": len(test),
                "n_train_available": len(train),
                "gold": dict(Counter(label for _, label in test).most_common()),
                "dropped_test_rows": dict(dropped),
                "baselines": baselines(scheme_name, train, test, plain) if with_baselines else {},
            }
            ran = False
            for backend in backend_names:
                log(f"[{labelled.name} · {scheme_name} · {backend}: {len(test)} test rows]", flush=True)
                try:
                    result = run_backend(backends, backend, scheme_name, train, test)
                except NotAvailable as exc:
                    skipped.append(where | {"backend": backend, "reason": str(exc)})
                    continue
                except Exception as exc:  # a backend that fails on real text is a finding: report it, go on
                    rows.append(common | {"backend": backend, "error": f"{type(exc).__name__}: {exc}"})
                    ran = True
                    continue
                rows.append(common | {"backend": backend} | result)
                ran = True
            if not ran and with_baselines:
                rows.append(common | {"backend": "(baselines only)"})
    return rows, skipped


def language_summary(rows: list[dict]) -> list[dict]:
    """Per language × scheme × backend: the unweighted mean over sets of each metric and baseline."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["language"], r["scheme"], r["backend"]), []).append(r)

    def mean(values):
        values = [v for v in values if v is not None]
        return statistics.fmean(values) if values else None

    out = []
    for (language, scheme, backend), part in sorted(groups.items()):
        entry = {"language": language, "scheme": scheme, "backend": backend, "sets": len(part)}
        for key in ("accuracy", "macro_f1", "kappa"):
            entry[key] = mean(r.get(key) for r in part)
        for name in ("majority", "snownlp", "vader"):
            entry[name] = {
                key: mean((r["baselines"].get(name) or {}).get(key) for r in part)
                for key in ("accuracy", "macro_f1", "kappa")
            }
        out.append(entry)
    return out


# --------------------------------------------------------------------------- output


def _num(value, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _triple(m: dict | None) -> str:
    if not m or m.get("accuracy") is None:
        return "—"
    return "/".join(_num(m[k]) for k in ("accuracy", "macro_f1", "kappa"))


TABLE_COLUMNS = (
    "set",
    "scheme",
    "backend",
    "lang",
    "n",
    "acc",
    "F1",
    "κ",
    "texts/s",
    "outside",
    "refused",
    "majority a/F1/κ",
    "SnowNLP a/F1/κ",
    "VADER a/F1/κ",
)


def table_cells(rows: list[dict]) -> list[list[str]]:
    cells = []
    for r in rows:
        b = r.get("baselines", {})
        if r.get("error"):
            metrics_cells = ["ERROR", "", "", "", "", ""]
        elif "accuracy" in r:
            metrics_cells = [
                _num(r["accuracy"]),
                _num(r["macro_f1"]),
                _num(r["kappa"]),
                _num(r["texts_per_s"], 0),
                f"{100 * r['outside']:.0f}%",
                f"{100 * r.get('refused', 0):.0f}%",
            ]
        else:
            metrics_cells = ["—"] * 6
        cells.append(
            [r["set"], r["scheme"], r["backend"], r["language"], str(r["n"]), *metrics_cells]
            + [_triple(b.get(k)) for k in ("majority", "snownlp", "vader")]
        )
    return cells


def summary_cells(summary: list[dict]) -> list[list[str]]:
    return [
        [s["language"], s["scheme"], s["backend"], str(s["sets"]), _num(s["accuracy"]), _num(s["macro_f1"])]
        + [_num(s["kappa"])]
        + [_triple(s[k]) for k in ("majority", "snownlp", "vader")]
        for s in summary
    ]


SUMMARY_COLUMNS = ("lang", "scheme", "backend", "sets", "acc", "F1", "κ", "majority", "SnowNLP", "VADER")


def print_table(title: str, columns: tuple[str, ...], cells: list[list[str]], out=None) -> None:
    """A rich table when rich is installed, else plain aligned text."""
    out = out or sys.stdout
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        Table = None
    if Table is not None:
        table = Table(title=title, title_justify="left", show_lines=False)
        for i, name in enumerate(columns):
            table.add_column(name, justify="right" if i >= 4 or name in ("n", "sets") else "left", no_wrap=True)
        for row in cells:
            table.add_row(*row)
        Console(file=out, width=max(200, sum(len(c) for c in columns)), soft_wrap=True).print(table)
        return
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    print(title, file=out)
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in cells:
        print("  ".join(c.ljust(w) if i < 4 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))), file=out)


def _split(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sets_dir", type=Path, help="folder of labelled sets (docs/real_text.md)")
    parser.add_argument("--sets", help="comma-separated set names (default: every set in the folder)")
    parser.add_argument("--schemes", default=",".join(SCHEMES), help=f"comma-separated, of {', '.join(SCHEMES)}")
    parser.add_argument(
        "--backends", default="lexicon,supervised,zeroshot", help=f"comma-separated, of {', '.join(BACKENDS)}"
    )
    parser.add_argument("--llm", action="store_true", help="also the LLM backend (REDNOTE_LLM_* settings)")
    parser.add_argument("--limit", type=int, default=None, help="at most N test rows per set (stratified sample)")
    parser.add_argument("--train-size", type=int, default=1000, help="at most N train rows for supervised")
    parser.add_argument(
        "--embedding-model",
        default="",
        help='REDNOTE_EMBEDDING_MODEL value: "" = the default (USE multilingual), minilm, static',
    )
    parser.add_argument("--no-baselines", action="store_true", help="skip the majority / SnowNLP / VADER baselines")
    parser.add_argument("--json", type=Path, help="also write the rows, skips and summary here")
    args = parser.parse_args(argv)
    args.schemes = _split(args.schemes) or []
    args.backends = [BACKEND_ALIASES.get(b, b) for b in _split(args.backends) or []]
    if args.llm and "llm" not in args.backends:
        args.backends.append("llm")
    for kind, given, allowed in (("scheme", args.schemes, SCHEMES), ("backend", args.backends, BACKENDS)):
        wrong = [g for g in given if g not in allowed]
        if wrong:
            parser.error(f"unknown {kind} {', '.join(wrong)} (choose from {', '.join(allowed)})")
    if args.limit is not None and args.limit < 1 or args.train_size < 1:
        parser.error("--limit and --train-size must be at least 1")
    return args


def main(argv: list[str] | None = None, out=None) -> int:
    args = parse_args(argv)
    out = out or sys.stdout
    if not args.sets_dir.is_dir():
        print(f"real_text: {args.sets_dir} is not a folder", file=sys.stderr)
        return 2
    started = time.perf_counter()
    sets, unusable = load_sets(args.sets_dir, _split(args.sets))
    if not sets:
        reasons = "; ".join(f"{u['set']}: {u['reason']}" for u in unusable) or "no set folders"
        print(f"real_text: no usable labelled set in {args.sets_dir} ({reasons})", file=sys.stderr)
        return 2
    rows, skipped = evaluate(
        sets,
        args.schemes,
        args.backends,
        limit=args.limit,
        train_size=args.train_size,
        embedding_model=args.embedding_model,
        with_baselines=not args.no_baselines,
        log=lambda *a, **k: print(*a, **k, file=sys.stderr),
    )
    skipped = unusable + skipped
    if not rows:
        print(f"real_text: no set × scheme × backend could be evaluated in {args.sets_dir}", file=sys.stderr)
        for s in skipped:
            print(f"  {s['set']} · {s['scheme']} · {s['backend']}: {s['reason']}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - started
    from rednote_dagster.lib.labelling.embeddings import DEFAULT_EMBEDDING_MODEL

    embedding = args.embedding_model or f"{DEFAULT_EMBEDDING_MODEL} (the default)"
    config = {
        "sets_dir": str(args.sets_dir),
        "sets": [s.name for s in sets],
        "schemes": args.schemes,
        "backends": args.backends,
        "limit": args.limit,
        "train_size": args.train_size,
        "embedding_model": embedding,
        "seed": SEED,
        "seconds": round(seconds, 1),
    }
    print(HEADER, file=out)
    print(
        f"sets {len(sets)} from {args.sets_dir}; test rows per set ≤ {args.limit or 'all'}; "
        f"train rows ≤ {args.train_size}; embeddings {embedding}; seed {SEED}; {seconds:.0f} s",
        file=out,
    )
    print_table("real text: set × scheme × backend", TABLE_COLUMNS, table_cells(rows), out)
    summary = language_summary([r for r in rows if "accuracy" in r or r["backend"] == "(baselines only)"])
    print_table("per language (unweighted mean over sets)", SUMMARY_COLUMNS, summary_cells(summary), out)
    for r in rows:
        if r.get("error"):
            print(f"ERROR {r['set']} · {r['scheme']} · {r['backend']}: {r['error']}", file=out)
    if skipped:
        print("not evaluated:", file=out)
        for s in skipped:
            what = " · ".join(x for x in (s["set"], s["scheme"], s["backend"]) if x)
            print(f"  {what}: {s['reason']}", file=out)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"config": config, "rows": rows, "summary": summary, "skipped": skipped}, indent=1) + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
