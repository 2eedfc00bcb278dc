"""Progress bars for the long loops (embedding, model and lexicon labelling, BERTopic): tqdm on stderr.

A bar disappears when its loop ends (``leave=False``): the command line then prints one line per
step with the counts, rate and elapsed time, so a finished run reads as a short summary. Bars are
drawn only for loops long enough to need one, and ``REDNOTE_PROGRESS=off`` turns them off.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from tqdm.auto import tqdm

from rednote_dagster.lib.settings import progress_bars_enabled

T = TypeVar("T")

# Below this many items a loop takes a second or two: a bar would only flicker.
MIN_ITEMS = 500


def progress_bar(total: int, desc: str, unit: str = "texts", *, long: bool | None = None) -> tqdm:
    """A bar for ``total`` items; disabled (a no-op with the same API) for short loops (``long``: at
    least ``MIN_ITEMS`` items, unless said) or when turned off."""
    interactive = sys.stderr.isatty()
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        unit_scale=True,
        leave=False,
        dynamic_ncols=True,
        # In a log file every redraw is kept, so draw less often there.
        mininterval=0.2 if interactive else 10.0,
        disable=not (total >= MIN_ITEMS if long is None else long) or not progress_bars_enabled(),
    )


def batched_with_progress(items: Sequence[T], size: int, desc: str, unit: str = "texts") -> Iterator[Sequence[T]]:
    """``items`` in slices of ``size``, advancing a bar by each slice's length."""
    with progress_bar(len(items), desc, unit) as bar:
        for start in range(0, len(items), size):
            chunk = items[start : start + size]
            yield chunk
            bar.update(len(chunk))


def track(items: Iterable[T], total: int, desc: str, unit: str = "texts") -> Iterator[T]:
    """``items`` unchanged, advancing a bar by one per item."""
    with progress_bar(total, desc, unit) as bar:
        for item in items:
            yield item
            bar.update()
