"""Where the data lives, and how figure previews are made. Read from the environment when called, never at import."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

DATA_DIR_ENV = "REDNOTE_DATA_DIR"
PROGRESS_ENV = "REDNOTE_PROGRESS"
PNG_PREVIEWS_ENV = "REDNOTE_PNG_PREVIEWS"
PNG_TIMEOUT_ENV = "REDNOTE_PNG_TIMEOUT_S"
PNG_STEP_BUDGET_ENV = "REDNOTE_PNG_STEP_BUDGET_S"
BROWSER_PATH_ENV = "BROWSER_PATH"  # the variable Kaleido's choreographer reads too


@dataclass(frozen=True)
class DataPaths:
    root: Path

    @classmethod
    def from_env(cls) -> "DataPaths":
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
            p.name for p in self.inbox.iterdir()
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
    def from_env(cls) -> "PngPreviewSettings":
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
    return os.environ.get(PROGRESS_ENV, "on").strip().lower() not in ("0", "off", "false", "no")
