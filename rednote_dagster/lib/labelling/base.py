"""What every backend returns, and the small interface every backend offers."""

from dataclasses import dataclass

from rednote_dagster.lib.labelling.scheme import Document, LabelScheme


@dataclass
class Prediction:
    """One label. ``code`` is None when the backend could not give one of the scheme's codes;
    ``reason`` then says why (never silently mapped to a code)."""

    code: str | None
    confidence: float | None = None
    probabilities: list[float] | None = None  # aligned with scheme.codes
    reason: str | None = None
    raw_response: str | None = None  # LLM answer as received, for audit
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # False for transient failures (timeouts after all retries …): those are asked again next run.
    cacheable: bool = True


class LabelBackend:
    """Base class. Subclasses set ``name``, ``model_id``, ``model_revision`` and implement
    ``_predict``; ``model_input`` is the exact input whose hash keys the cache."""

    name: str = "backend"
    model_id: str = ""
    model_revision: str = ""

    def __init__(self, scheme: LabelScheme):
        self.scheme = scheme
        self.model_calls = 0  # documents sent to the model, over the backend's lifetime

    def model_input(self, document: Document) -> str:
        return document.text

    def predict(self, documents: list[Document]) -> list[Prediction]:
        self.model_calls += len(documents)
        predictions = self._predict(documents) if documents else []
        if len(predictions) != len(documents):
            raise RuntimeError(f"{self.name} returned {len(predictions)} predictions for {len(documents)} documents")
        return predictions

    def _predict(self, documents: list[Document]) -> list[Prediction]:
        raise NotImplementedError

    def describe(self) -> dict[str, str]:
        return {"backend": self.name, "model_id": self.model_id, "model_revision": self.model_revision}


def prediction_from_probabilities(scheme: LabelScheme, probabilities: list[float]) -> Prediction:
    best = max(range(len(probabilities)), key=probabilities.__getitem__)
    return Prediction(code=scheme.codes[best], confidence=float(probabilities[best]), probabilities=list(probabilities))
