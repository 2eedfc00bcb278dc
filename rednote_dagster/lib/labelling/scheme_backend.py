"""Which backend codes items into a label scheme (the taxonomy, emotion, stance; Feng et al. §4.2), and
building it.

``auto``: the LLM when an endpoint is configured, else the supervised backend when the scheme's manual
coding exists (trained on its training part, ``lib/coding.py``), else zero-shot.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rednote_dagster.lib.coding import consensus, read_adjudication, read_manual_coding, split
from rednote_dagster.lib.labelling.base import LabelBackend
from rednote_dagster.lib.labelling.embeddings import Embedder, SupervisedOnEmbeddings, ZeroShotOnEmbeddings
from rednote_dagster.lib.labelling.scheme import LabelScheme

log = logging.getLogger(__name__)

BACKENDS = ("auto", "llm", "supervised", "zero-shot")


def choose_backend(backend: str, llm_configured: bool, has_manual_coding: bool) -> str:
    if backend not in BACKENDS:
        raise ValueError(f"taxonomy backend must be one of {BACKENDS}, not {backend!r}")
    if backend != "auto":
        return backend
    if llm_configured:
        return "llm"
    return "supervised" if has_manual_coding else "zero-shot"


@dataclass
class SchemeBackend:
    kind: str  # llm | supervised | zero-shot
    backend: LabelBackend
    embedder: Embedder | None = None  # whose new vectors are stored with each month; None for the LLM
    training_ids: set[str] = field(default_factory=set)  # manually coded items the backend was trained on


def build_scheme_backend(
    scheme: LabelScheme,
    kind: str,
    *,
    llm: Callable[[LabelScheme], LabelBackend],
    embedder: Callable[[], Embedder],
    manual_coding: Path,
    id_column: str,
    validation_share: float,
    texts_of: Callable[[list[str]], dict[str, str]],
    info: Callable[[str], None] = log.info,
) -> SchemeBackend:
    """The backend of ``kind`` (:func:`choose_backend`). Supervised: trained on the items of the manual
    coding's training part that both coders agree on; ``texts_of(ids) -> {id: text}`` fetches their texts."""
    if kind == "llm":
        return SchemeBackend(kind, llm(scheme))
    model = embedder()
    if kind == "zero-shot":
        return SchemeBackend(kind, ZeroShotOnEmbeddings(scheme, model), model)
    training, _ = split(read_manual_coding(manual_coding, scheme.codes, id_column), validation_share, id_column)
    codes = consensus(training, id_column, read_adjudication(manual_coding, scheme.codes, id_column))
    text_of = texts_of(codes[id_column].to_list())
    pairs = [(text_of[i], c) for i, c in codes.iter_rows() if i in text_of and text_of[i].strip()]
    info(
        f"supervised {scheme.name} backend: {len(pairs)} manually coded training items "
        f"({codes.height} coded with agreement, validation share {validation_share})"
    )
    backend = SupervisedOnEmbeddings(scheme, model, [p[0] for p in pairs], [p[1] for p in pairs])
    info(f"supervised {scheme.name} backend learns from {backend.features} (cross-validated κ {backend.cv_kappa})")
    return SchemeBackend(kind, backend, model, set(codes[id_column]))
