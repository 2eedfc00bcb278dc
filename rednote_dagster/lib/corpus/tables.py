"""The phrase tables of the corpus text, kept as data in `data/*.toml`.

TOML because `tomllib` is standard library and every string in it is quoted, so no phrase can turn
into a number or a boolean.
"""

from __future__ import annotations

import functools
import re
import tomllib
from importlib.resources import files

# TOML keys are strings; sentiment levels are written signed ("+2", "0", "-1") so that topic codes
# such as "4" stay strings.
_LEVEL = re.compile(r"[+-][0-9]+|0")


@functools.cache
def table(name: str) -> dict:
    """`data/<name>.toml`, read once: arrays as tuples, sentiment-level keys as ints, file order kept."""
    return _frozen(tomllib.loads((files(__package__) / "data" / f"{name}.toml").read_text(encoding="utf-8")))


def _frozen(value):
    if isinstance(value, dict):
        return {int(k) if _LEVEL.fullmatch(k) else k: _frozen(v) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value
