"""Deterministic synthetic RedNote corpus, written as MediaCrawler writes it, with planted truth.

See docs/corpus.md. Pure standard library: `generate_corpus(out_dir, scale, seed)`.
"""

from .generate import generate_corpus

__all__ = ["generate_corpus"]
