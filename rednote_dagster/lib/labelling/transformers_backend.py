"""Sequence-classification models from transformers (Feng et al. §4.1 sentiment model by default).

Fast on CPU without changing labels: each text is tokenized once, texts are sorted by token
length and batched (little padding), the forward pass runs under ``inference_mode``; optional
dynamic int8 quantization of the Linear layers trades a little agreement for speed. The label
order comes from ``config.id2label`` and is mapped onto the scheme by name, never assumed.
"""

import hashlib
import logging
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from rednote_dagster.lib.labelling.base import LabelBackend, Prediction
from rednote_dagster.lib.labelling.scheme import Document, LabelScheme
from rednote_dagster.lib.progress import progress_bar

log = logging.getLogger(__name__)

# The model's weights changed after its release (its hub history), so the revision is pinned.
DEFAULT_SENTIMENT_MODEL = "tabularisai/multilingual-sentiment-analysis"
DEFAULT_SENTIMENT_REVISION = "0b38380e32bc7c649d021c6763909013b0fdb29e"


def local_revision(path: Path) -> str:
    """A revision for a model given as a local folder: hash of its config and weight files."""
    digest = hashlib.sha256()
    for file in sorted(
        p for p in path.rglob("*") if p.is_file() and p.suffix in {".json", ".safetensors", ".bin", ".txt", ".model"}
    ):
        digest.update(file.relative_to(path).as_posix().encode())
        with file.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return "local-" + digest.hexdigest()[:16]


class TransformersClassifier(LabelBackend):
    name = "transformers"

    def __init__(
        self,
        scheme: LabelScheme,
        model: str = DEFAULT_SENTIMENT_MODEL,
        revision: str | None = DEFAULT_SENTIMENT_REVISION,
        *,
        batch_size: int = 32,
        max_length: int | None = None,
        threads: int | None = None,
        int8: bool = False,
        device: str | None = None,
        progress: Callable[[str], None] | None = None,
        progress_every: int = 50,
    ):
        super().__init__(scheme)
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self._torch = torch
        if threads:
            torch.set_num_threads(threads)
        local = Path(model).expanduser()
        if local.is_dir():
            self.model_id, self.model_revision, revision = str(local.resolve()), local_revision(local), None
        else:
            self.model_id, self.model_revision = model, revision or "unpinned"
        self.tokenizer = AutoTokenizer.from_pretrained(model, revision=revision)
        net = AutoModelForSequenceClassification.from_pretrained(model, revision=revision)
        net.eval()
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        if int8 and self.device == "cpu":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch deprecates quantized tensors; the API still works
                net = torch.ao.quantization.quantize_dynamic(net, {torch.nn.Linear}, dtype=torch.qint8)
            self.model_revision += "+int8"  # int8 labels are cached apart from fp32 ones
        self.model = net.to(self.device)
        self.int8 = int8 and self.device == "cpu"
        self.batch_size = batch_size
        limit = getattr(net.config, "max_position_embeddings", None) or 512
        tok_limit = self.tokenizer.model_max_length if self.tokenizer.model_max_length < 1_000_000 else limit
        self.max_length = min(max_length or tok_limit, tok_limit, limit)
        self.progress = progress
        self.progress_every = progress_every
        self.column_of_code = self._map_labels(net.config.id2label)

    def _map_labels(self, id2label: dict) -> list[int]:
        """Model output column for each scheme code, read from config.id2label."""
        by_code: dict[str, int] = {}
        for idx, name in id2label.items():
            code = self.scheme.code_for_name(name)
            if code is None:
                raise ValueError(
                    f"model label {name!r} (id {idx}) is not in scheme {self.scheme.name!r} "
                    f"({', '.join(f'{label.code}={label.name}' for label in self.scheme.labels)}); id2label={id2label}"
                )
            by_code[code] = int(idx)
        missing = [c for c in self.scheme.codes if c not in by_code]
        if missing:
            raise ValueError(f"model has no label for scheme codes {missing}; id2label={id2label}")
        return [by_code[c] for c in self.scheme.codes]

    def probabilities(self, texts: list[str]):
        """Softmax probabilities, shape (len(texts), n_codes), columns in scheme order."""
        import numpy as np

        torch = self._torch
        encoded = self.tokenizer(texts, truncation=True, max_length=self.max_length)["input_ids"]
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))
        out = np.zeros((len(texts), len(self.scheme.codes)), dtype=np.float64)
        columns = torch.tensor(self.column_of_code)
        started, done = time.perf_counter(), 0
        bar = progress_bar(len(texts), f"{self.scheme.name} ({Path(self.model_id).name})")
        with torch.inference_mode(), bar:
            for b, start in enumerate(range(0, len(order), self.batch_size)):
                idx = order[start : start + self.batch_size]
                batch = self.tokenizer.pad({"input_ids": [encoded[i] for i in idx]}, return_tensors="pt")
                batch = {k: v.to(self.device) for k, v in batch.items()}
                logits = self.model(**batch).logits.float().cpu()
                out[idx] = torch.softmax(logits, dim=-1)[:, columns].double().numpy()
                done += len(idx)
                bar.update(len(idx))
                if self.progress and (b + 1) % self.progress_every == 0:
                    rate = done / (time.perf_counter() - started)
                    self.progress(f"{self.scheme.name}: {done}/{len(texts)} texts, {rate:.0f} texts/s")
        return out

    def _predict(self, documents: list[Document]) -> list[Prediction]:
        texts = [d.text for d in documents]
        probs = self.probabilities(texts)
        best = probs.argmax(axis=1)
        return [
            Prediction(code=self.scheme.codes[j], confidence=float(row[j]), probabilities=row.tolist())
            for row, j in zip(probs, best)
        ]
