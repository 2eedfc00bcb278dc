"""enrich/note_topics through the LLM backend against a local chat-completions server (codes,
unknowns with reasons, prompt hashes, token usage, cache, no key anywhere), and the κ check of
analysis/coding_agreement failing when the model disagrees with the coders."""

import dagster as dg
import duckdb

from rednote_dagster.defs.analysis.coding_agreement import coding_agreement
from rednote_dagster.defs.enrich.taxonomy_coding import note_topics
from rednote_dagster.defs.ingest.assets import raw_comments, raw_notes
from rednote_dagster.defs.resources import SchemeCoding, build_resources
from rednote_dagster.lib.settings import DataPaths
from tests.unit.test_llm_backend import _no_proxy, ok, server  # noqa: F401 - fixtures
from tests.xhs_samples import comment, note, write_jsonl

MARCH = "2025-03-01"
KEY = "sk-topic-asset-secret-4242"


def answer(request):
    prompt = request["json"]["messages"][1]["content"]
    if "dumplings" in prompt:
        return ok("2c")
    if "nonsense" in prompt:
        return ok("Food")  # off-scheme, twice
    return ok("1a. About TikTok Ban / Censorship")


def write_inbox(inbox):
    write_jsonl(
        inbox / "2025-03/xhs/jsonl/search_contents_x.jsonl",
        [note(1, desc="I made dumplings today"), note(2, desc="the ban is coming"), note(3, desc="nonsense words")],
    )
    write_jsonl(
        inbox / "2025-03/xhs/jsonl/search_comments_x.jsonl",
        [comment(1, 1, content="looks tasty", like="5"), comment(2, 1, content="recipe please", like="50")],
    )


def rows(root, sql):
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_note_topics_through_the_llm_backend(data_root, server, monkeypatch):  # noqa: F811
    monkeypatch.setenv("REDNOTE_LLM_BASE_URL", server.base_url)
    monkeypatch.setenv("REDNOTE_LLM_MODEL", "test-model")
    monkeypatch.setenv("REDNOTE_LLM_API_KEY", KEY)
    server.default = answer
    write_inbox(data_root / "inbox")
    resources = build_resources(DataPaths(data_root))
    assert resources["scheme_coding"].backend == "auto" and resources["llm_endpoint"].configured

    result = dg.materialize([raw_notes, raw_comments, note_topics], resources=resources, partition_key=MARCH)
    assert result.success
    got = rows(
        data_root,
        """SELECT right(note_id, 2), code, category, backend, model_id, length(prompt_hash),
                                    unknown_reason, raw_response FROM enrich.note_topics ORDER BY note_id""",
    )
    assert [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in got] == [
        ("01", "2c", "2", "llm", "test-model", 64),
        ("02", "1a", "1", "llm", "test-model", 64),
        ("03", None, None, "llm", "test-model", 64),
    ]
    assert "off-scheme answer: 'Food'" in got[2][6] and "Food" in got[2][7]
    # the paper's prompt: the most-liked comment first
    first = next(r for r in server.requests if "dumplings" in r["json"]["messages"][1]["content"])
    assert "1. recipe please\n2. looks tasty" in first["json"]["messages"][1]["content"]
    (mat,) = [m for m in result.get_asset_materialization_events() if m.asset_key.path == ["enrich", "note_topics"]]
    meta = mat.materialization.metadata
    assert meta["backend"].value == "llm" and meta["prompt_tokens"].value > 0 and meta["unknown"].value == 1

    asked = len(server.requests)
    again = dg.materialize([note_topics], resources=resources, partition_key=MARCH)
    assert again.success and len(server.requests) == asked, "cached prompts are not sent again"

    with duckdb.connect(str(data_root / "warehouse.duckdb"), read_only=True) as con:
        tables = con.execute("SELECT table_schema || '.' || table_name FROM information_schema.tables").fetchall()
        for (table,) in tables:
            dump = con.execute(f"SELECT string_agg(t::VARCHAR, '|') FROM {table} t").fetchall()[0][0] or ""
            assert KEY not in dump, table


def test_kappa_check_fails_when_the_model_disagrees_with_the_coders(data_root, server, monkeypatch):  # noqa: F811
    monkeypatch.setenv("REDNOTE_LLM_BASE_URL", server.base_url)
    monkeypatch.setenv("REDNOTE_LLM_MODEL", "test-model")
    server.default = answer
    write_inbox(data_root / "inbox")
    from tests.xhs_samples import hex_id

    manual = data_root / "manual"
    manual.mkdir()
    ids = [hex_id(n, "67890abc") for n in (1, 2, 3)]
    lines = ["note_id,coder,code"] + [
        f"{i},{coder},{code}" for i, code in zip(ids, ["1a", "2c", "6"]) for coder in ("a", "b")
    ]
    (manual / "taxonomy_coding.csv").write_text("\n".join(lines) + "\n")
    resources = build_resources(DataPaths(data_root))
    resources["scheme_coding"] = SchemeCoding(validation_share=1.0)
    assert dg.materialize([raw_notes, raw_comments, note_topics], resources=resources, partition_key=MARCH).success
    result = dg.materialize([coding_agreement], resources=resources, raise_on_error=False)
    checks = {check.check_name: check for check in result.get_asset_check_evaluations()}
    assert not checks["kappa_above_minimum"].passed
    assert checks["kappa_above_minimum"].severity == dg.AssetCheckSeverity.ERROR
    # no sentiment coding yet: said, not blocked on
    sentiment = checks["sentiment_kappa_above_minimum"]
    assert not sentiment.passed and sentiment.severity == dg.AssetCheckSeverity.WARN
    assert "no manual coding" in sentiment.metadata["failures"].value
    kappa = rows(
        data_root,
        """SELECT kappa, n FROM analysis.coding_agreement WHERE label_table = 'enrich.note_topics'
                               AND language = 'all' AND comparison = 'model_vs_consensus' AND level = 'code'""",
    )
    assert kappa[0][1] == 2 and kappa[0][0] < 0.6  # note 3 has no model code: unknowns are not agreement
    inter = rows(
        data_root,
        "SELECT kappa FROM analysis.coding_agreement "
        "WHERE comparison = 'a_vs_b' AND level = 'code' AND language = 'all'",
    )
    assert inter == [(1.0,)]
