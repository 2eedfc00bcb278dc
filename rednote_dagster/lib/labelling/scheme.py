"""Label schemes are data: the same backends serve sentiment, taxonomy, stance and emotion."""

import hashlib
import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Label:
    code: str
    name: str
    description: str = ""
    value: float | None = None  # numeric value for ordinal schemes (sentiment −2 … 2)


@dataclass(frozen=True)
class Document:
    """What a backend labels. ``text`` is what classifiers and embedders read; ``fields`` feed
    prompt templates (title, description, comments …)."""

    text: str
    fields: dict = field(default_factory=dict)


@dataclass(frozen=True)
class LabelScheme:
    name: str
    version: str
    labels: tuple[Label, ...]
    system_prompt: str = ""
    user_template: str = ""  # str.format over Document.fields
    ordinal: bool = False

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(label.code for label in self.labels)

    def label(self, code: str) -> Label:
        for label in self.labels:
            if label.code == code:
                return label
        raise KeyError(f"{code!r} is not a code of scheme {self.name!r} (codes: {', '.join(self.codes)})")

    def code_for_name(self, name: str) -> str | None:
        """Code whose code or name matches ``name`` ignoring case, spaces, '-' and '_'
        (how classifier configs spell labels: "Very Negative", "very_negative", "VERY-NEGATIVE")."""
        wanted = _squash(name)
        for label in self.labels:
            if wanted in (_squash(label.code), _squash(label.name)):
                return label.code
        return None

    def render_user_prompt(self, document: Document) -> str:
        return self.user_template.format(**document.fields)

    def fingerprint(self) -> str:
        """Hash of everything that defines the scheme; part of every cache key."""
        payload = json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _squash(text: str) -> str:
    return "".join(ch for ch in str(text).lower() if ch not in " -_")
