"""Every setting the environment gives, read here and nowhere else, and only when called, never at import.

Dagster resources (``defs/resources.py``) declare their settings as fields, each naming its variable;
:func:`settings_from_environment` reads those when the definitions load. The rest are read here when
needed: the data root, PNG previews, progress bars, the automation switch, the inbox settle time, the
pseudonym key and the Hugging Face hub switches. The variables are listed in README.md ("Settings").
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DATA_DIR_ENV = "REDNOTE_DATA_DIR"
PROGRESS_ENV = "REDNOTE_PROGRESS"
PNG_PREVIEWS_ENV = "REDNOTE_PNG_PREVIEWS"
PNG_TIMEOUT_ENV = "REDNOTE_PNG_TIMEOUT_S"
PNG_STEP_BUDGET_ENV = "REDNOTE_PNG_STEP_BUDGET_S"
BROWSER_PATH_ENV = "BROWSER_PATH"  # the variable Kaleido's choreographer reads too
AUTOMATION_ENV = "REDNOTE_AUTOMATION"
SETTLE_ENV = "REDNOTE_INBOX_SETTLE_SECONDS"
DEFAULT_SETTLE_SECONDS = 60.0
PSEUDONYM_KEY_ENV = "REDNOTE_PSEUDONYM_KEY"

_OFF = ("0", "off", "false", "no")
_FLAG_ON = ("1", "true", "yes")


@dataclass(frozen=True)
class DataPaths:
    root: Path

    @classmethod
    def from_env(cls) -> DataPaths:
        return cls(Path(os.environ.get(DATA_DIR_ENV, "data")).resolve())

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def models(self) -> Path:
        """Fitted and distilled models (the topic model, static embeddings)."""
        return self.root / "models"

    @property
    def manual(self) -> Path:
        return self.root / "manual"

    def month_dir(self, month_key: str) -> Path:
        """Inbox folder of a collection month; accepts '2025-03' or the partition key '2025-03-01'."""
        return self.inbox / month_key[:7]

    def inbox_months(self) -> list[str]:
        """Collection months (YYYY-MM) that have a folder in the inbox, in order."""
        if not self.inbox.is_dir():
            return []
        return sorted(
            p.name
            for p in self.inbox.iterdir()
            if p.is_dir() and len(p.name) == 7 and p.name[4] == "-" and p.name.replace("-", "").isdigit()
        )


@dataclass(frozen=True)
class PngPreviewSettings:
    """PNG previews of report figures in the Dagster UI (lib/report/images.py)."""

    enabled: bool = True
    timeout_s: float = 30.0  # one figure, a cold browser start included (~3 s)
    step_budget_s: float = 120.0  # all figures of one png_renderer() block, e.g. one dbt step
    browser_path: str | None = None  # None: look for chromium/chrome on PATH

    @classmethod
    def from_env(cls) -> PngPreviewSettings:
        """Raises ValueError, naming the variable, for a value it cannot use."""
        switch = os.environ.get(PNG_PREVIEWS_ENV, "on").strip().lower()
        if switch not in ("on", "off"):
            raise ValueError(f"{PNG_PREVIEWS_ENV}={switch!r} is neither on nor off")
        return cls(
            enabled=switch == "on",
            timeout_s=_positive_seconds(PNG_TIMEOUT_ENV, cls.timeout_s),
            step_budget_s=_positive_seconds(PNG_STEP_BUDGET_ENV, cls.step_budget_s),
            browser_path=os.environ.get(BROWSER_PATH_ENV) or None,
        )


def _positive_seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ValueError(f"{name}={raw!r} is not a positive number of seconds")
    return seconds


def progress_bars_enabled() -> bool:
    """Progress bars for the long loops: on unless REDNOTE_PROGRESS is 0 / off / false."""
    return os.environ.get(PROGRESS_ENV, "on").strip().lower() not in _OFF


def automation_enabled(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the sensors and the schedule start RUNNING in a new instance: on unless REDNOTE_AUTOMATION
    is off / 0 / false / no."""
    return environ.get(AUTOMATION_ENV, "on").strip().lower() not in _OFF


def inbox_settle_seconds() -> float:
    """How long no file of a month folder may change before the new-crawl sensor ingests it."""
    return float(os.environ.get(SETTLE_ENV, DEFAULT_SETTLE_SECONDS))


def pseudonym_key() -> str:
    """The pseudonym key given in the environment, or "" (lib/pseudonym.py then keeps one beside the data)."""
    return os.environ.get(PSEUDONYM_KEY_ENV, "").strip()


def hugging_face_hub_host() -> str | None:
    """Host of the Hugging Face hub as huggingface_hub reads it (HF_ENDPOINT), or None when HF_HUB_OFFLINE
    switches the hub off."""
    if os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0"):
        return None
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").split("://")[-1].split("/")[0]


def settings_from_environment(
    variables: Mapping[str, tuple[str, type]], environ: Mapping[str, str] = os.environ
) -> dict[str, object]:
    """``{setting: value}`` for each ``setting: (variable, type)`` whose variable is set, read now.

    By type: text (``str``) is taken as given, an empty value included; a number (``float``, ``int``)
    left empty (or blank) keeps the default, and one that does not parse raises ValueError naming the variable; a
    flag (``bool``) is on for 1 / true / yes in any case and otherwise keeps the default (off).
    """
    values: dict[str, object] = {}
    for setting, (name, kind) in variables.items():
        raw = environ.get(name)
        if raw is None:
            continue
        if kind is bool:
            if raw.lower() in _FLAG_ON:
                values[setting] = True
        elif kind in (int, float):
            if raw.strip():
                try:
                    values[setting] = kind(raw)
                except ValueError:
                    raise ValueError(f"{name}={raw!r} is not a{'n integer' if kind is int else ' number'}") from None
        else:
            values[setting] = raw
    return values
