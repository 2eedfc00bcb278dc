"""Where the data lives. Read from the environment when called, never at import."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DATA_DIR_ENV = "REDNOTE_DATA_DIR"


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
