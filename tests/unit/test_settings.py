"""Settings: each declared once (a resource field naming its variable), read from the environment in
lib/settings.py only, when the definitions load."""

import re
from pathlib import Path

import dagster as dg
import pytest

from rednote_dagster.defs.resources import (
    CheckThresholds,
    EmbeddingModel,
    LlmEndpoint,
    SchemeCoding,
    SentimentModel,
    build_resources,
)
from rednote_dagster.lib.settings import DataPaths, settings_from_environment

PACKAGE = Path(__file__).resolve().parents[2] / "rednote_dagster"

# variable → (resource, field, value in the environment, value the field gets); README.md lists them
VARIABLES = {
    "REDNOTE_EMBEDDING_MODEL": (EmbeddingModel, "model", "static", "static"),
    "REDNOTE_EMBEDDING_REVISION": (EmbeddingModel, "revision", "abc123", "abc123"),
    "REDNOTE_SENTIMENT_BACKEND": (SentimentModel, "backend", "lexicon", "lexicon"),
    "REDNOTE_SENTIMENT_MODEL": (SentimentModel, "model", "/models/sentiment", "/models/sentiment"),
    "REDNOTE_SENTIMENT_REVISION": (SentimentModel, "revision", "", ""),
    "REDNOTE_SENTIMENT_INT8": (SentimentModel, "int8", "1", True),
    "REDNOTE_SENTIMENT_THRESHOLD": (SentimentModel, "confidence_threshold", "0.45", 0.45),
    "REDNOTE_LEXICON_WORKERS": (SentimentModel, "lexicon_workers", "0", 0),
    "REDNOTE_LLM_MODEL": (LlmEndpoint, "model", "deepseek-chat", "deepseek-chat"),
    "REDNOTE_TOPIC_BACKEND": (SchemeCoding, "backend", "zero-shot", "zero-shot"),
    "REDNOTE_VALIDATION_SHARE": (SchemeCoding, "validation_share", "0.25", 0.25),
    "REDNOTE_KAPPA_MIN": (CheckThresholds, "kappa_min", "0.7", 0.7),
    "REDNOTE_MAX_UNKNOWN_SHARE": (CheckThresholds, "max_unknown_share", "0.1", 0.1),
}


def test_every_variable_sets_its_field(monkeypatch):
    for name, (resource, field, raw, value) in VARIABLES.items():
        assert resource().model_dump()[field] != value or raw == "", name  # the default differs
        monkeypatch.setenv(name, raw)
        assert getattr(resource.from_env(), field) == value, name
        assert f"${name}" in resource.model_fields[field].description


def test_unset_variables_leave_the_defaults(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for resource in (EmbeddingModel, SentimentModel, LlmEndpoint, SchemeCoding, CheckThresholds):
        assert resource.from_env().model_dump() == resource().model_dump()
    assert SentimentModel().model == "tabularisai/multilingual-sentiment-analysis"
    assert SentimentModel().lexicon_workers is None
    assert SchemeCoding().validation_share == 0.5
    assert (CheckThresholds().kappa_min, CheckThresholds().max_unknown_share) == (0.6, 0.2)


def test_parsing_by_type():
    variables = {"text": ("T", str), "number": ("N", float), "count": ("C", int), "flag": ("F", bool)}
    assert settings_from_environment(variables, {}) == {}
    assert settings_from_environment(variables, {"T": "", "N": "", "C": " ", "F": "off"}) == {"text": ""}
    assert settings_from_environment(variables, {"T": "x", "N": "0.5", "C": "3", "F": "YES"}) == {
        "text": "x",
        "number": 0.5,
        "count": 3,
        "flag": True,
    }
    with pytest.raises(ValueError, match="N='half' is not a number"):
        settings_from_environment(variables, {"N": "half"})


def test_secrets_go_in_as_env_vars_so_only_their_names_are_stored(monkeypatch):
    monkeypatch.setenv("REDNOTE_LLM_BASE_URL", "https://user:pw@llm.example")
    monkeypatch.setenv("REDNOTE_LLM_MODEL", "m")
    monkeypatch.setenv("REDNOTE_LLM_API_KEY", "sk-secret")
    endpoint = LlmEndpoint.from_env()
    assert endpoint.model == "m"
    assert "sk-secret" not in repr(endpoint) and "pw@" not in repr(endpoint)

    @dg.asset
    def uses(llm_endpoint: LlmEndpoint) -> None:
        assert (llm_endpoint.base_url, llm_endpoint.api_key) == ("https://user:pw@llm.example", "sk-secret")

    assert dg.materialize([uses], resources={"llm_endpoint": endpoint}).success


def test_build_resources_reads_the_environment_when_called(monkeypatch, tmp_path):
    monkeypatch.setenv("REDNOTE_TOPIC_BACKEND", "supervised")
    assert build_resources(DataPaths(tmp_path))["scheme_coding"].backend == "supervised"
    monkeypatch.setenv("REDNOTE_TOPIC_BACKEND", "llm")
    assert build_resources(DataPaths(tmp_path))["scheme_coding"].backend == "llm"


# Files that may touch os.environ besides lib/settings.py, and why.
ENVIRONMENT_WRITERS = {
    "__main__.py": "sets DAGSTER_HOME for the command line before Dagster starts",
    "lib/report/images.py": "passes the environment on to the figure renderer's subprocess",
}


def test_the_environment_is_read_in_lib_settings_only():
    touching = {
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if re.search(r"os\.environ|getenv", p.read_text(encoding="utf-8"))
    }
    assert touching - set(ENVIRONMENT_WRITERS) == {"lib/settings.py"}
