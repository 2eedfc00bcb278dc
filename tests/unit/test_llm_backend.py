"""ChatCompletionsBackend against a real local HTTP server speaking the chat-completions protocol.

The server (stdlib ThreadingHTTPServer on 127.0.0.1, port 0) records every request and answers
from a per-test script: a queue of replies, then a default. Backoff waits go to an injected
``sleep`` that only records them, so retries cost no real time; only the timeout tests wait
(fractions of a second).
"""

import json
import logging
import re
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rednote_dagster.lib.labelling.base import Prediction
from rednote_dagster.lib.labelling.cache import input_hash, label_documents
from rednote_dagster.lib.labelling.llm import ChatCompletionsBackend, parse_answer
from rednote_dagster.lib.labelling.scheme import Document
from rednote_dagster.lib.labelling.schemes import TAXONOMY

# Distinctive, so a substring search for it cannot match anything by accident.
KEY = "sk-LEAKCANARY-7f3a9c2e51d84b06"


# --- a scriptable chat-completions server ----------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    body: object = ""  # dict → JSON; str/bytes sent as is
    headers: dict = field(default_factory=dict)
    delay: float = 0.0


def ok(content: str, prompt_tokens: int = 7, completion_tokens: int = 2) -> Reply:
    return Reply(
        body={
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
    )


class ChatServer:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests: list[dict] = []  # path, headers (lower-cased names), json
        self.script: deque = deque()
        self.default = lambda request: Reply(status=500, body="script exhausted")
        self.in_flight = 0
        self.max_in_flight = 0
        self.base_url = ""

    def then(self, *replies) -> None:
        """Queue replies (Reply or callable(request) -> Reply), used in arrival order."""
        self.script.extend(replies)

    def take(self, request: dict) -> Reply:
        with self.lock:
            self.requests.append(request)
            reply = self.script.popleft() if self.script else self.default
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        return reply(request) if callable(reply) else reply

    def done(self) -> None:
        with self.lock:
            self.in_flight -= 1


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like real API servers

    def do_POST(self):
        chat: ChatServer = self.server.chat
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        request = {
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "json": json.loads(raw),
        }
        reply = chat.take(request)
        try:
            if reply.delay:
                time.sleep(reply.delay)
            body = reply.body
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
            if isinstance(body, str):
                body = body.encode()
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)
        finally:
            chat.done()

    def log_message(self, *args):
        pass


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    # httpx honours proxy variables; the local server must be reached directly.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server():
    chat = ChatServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.chat = chat
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    chat.base_url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    yield chat
    httpd.shutdown()
    httpd.server_close()


def make_backend(base_url: str, **overrides) -> tuple[ChatCompletionsBackend, list[float]]:
    sleeps: list[float] = []
    options = dict(
        api_key=KEY, max_attempts=3, backoff_base_s=0.01, backoff_max_s=0.05, timeout_s=5.0, sleep=sleeps.append
    )
    options.update(overrides)
    return ChatCompletionsBackend(TAXONOMY, base_url, "test-model", **options), sleeps


def doc(title: str, description: str = "a description", comments: str = "first comment\nsecond comment") -> Document:
    return Document(
        text=f"{title} {description}", fields={"title": title, "description": description, "comments": comments}
    )


def title_of(request: dict) -> str:
    return re.search(r"Title: (\S+)", request["json"]["messages"][1]["content"]).group(1)


# --- 1. happy path -----------------------------------------------------------------------------


def test_happy_path_codes_in_order_tokens_and_request_shape(server):
    wanted = ["1a", "2c", "4", "7"]
    docs = [doc(f"want-{code}", f"description of {code}", f"comment about {code}") for code in wanted]
    delays = dict(zip(wanted, [0.3, 0.2, 0.1, 0.0]))  # later documents answer first

    def answer(request):
        code = title_of(request).removeprefix("want-")
        user = request["json"]["messages"][1]["content"]
        return Reply(body=ok(code, prompt_tokens=len(user), completion_tokens=1).body, delay=delays[code])

    server.default = answer
    backend, sleeps = make_backend(server.base_url, max_concurrency=4)
    predictions = backend.predict(docs)

    assert [p.code for p in predictions] == wanted  # input order despite reversed arrival
    assert server.max_in_flight > 1  # the requests really overlapped
    for d, p in zip(docs, predictions):
        assert p.prompt_tokens == len(TAXONOMY.render_user_prompt(d))
        assert p.completion_tokens == 1
        assert p.raw_response == p.code
        assert p.confidence is None and p.reason is None and p.cacheable
    assert backend.usage == {
        "requests": 4,
        "retries": 0,
        "prompt_tokens": sum(p.prompt_tokens for p in predictions),
        "completion_tokens": 4,
    }
    assert sleeps == []

    assert len(server.requests) == 4
    by_title = {title_of(r): r for r in server.requests}
    for d in docs:
        request = by_title[d.fields["title"]]
        assert request["path"] == "/v1/chat/completions"
        assert request["headers"]["authorization"] == f"Bearer {KEY}"
        body = request["json"]
        assert body["model"] == "test-model"
        assert body["temperature"] == 0
        assert body["max_tokens"] == 16
        assert [m["role"] for m in body["messages"]] == ["system", "user"]
        assert body["messages"][0]["content"] == TAXONOMY.system_prompt
        user = body["messages"][1]["content"]
        assert user == TAXONOMY.render_user_prompt(d)
        for value in d.fields.values():
            assert value in user


def test_concurrency_is_bounded(server):
    server.default = lambda request: Reply(body=ok("5b").body, delay=0.1)
    backend, _ = make_backend(server.base_url, max_concurrency=2)
    predictions = backend.predict([doc(f"d{i}") for i in range(6)])
    assert [p.code for p in predictions] == ["5b"] * 6
    assert server.max_in_flight == 2


def test_no_authorization_header_without_key(server):
    server.then(ok("6"))
    backend, _ = make_backend(server.base_url, api_key=None)
    assert backend.predict([doc("x")])[0].code == "6"
    assert "authorization" not in server.requests[0]["headers"]


# --- 2. rate limits: Retry-After -------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(server, status):
    server.then(Reply(status=status, body="slow down", headers={"Retry-After": "2"}), ok("3b"))
    backend, sleeps = make_backend(server.base_url)
    [prediction] = backend.predict([doc("x")])
    assert prediction.code == "3b"
    assert len(sleeps) == 1 and sleeps[0] >= 2  # recorded, not slept: the test stays fast
    assert len(server.requests) == 2
    assert backend.usage["retries"] == 1 and backend.usage["requests"] == 2


def test_429_without_retry_after_uses_backoff(server):
    server.then(Reply(status=429, body="slow down"), ok("3b"))
    backend, sleeps = make_backend(server.base_url, backoff_base_s=0.01)
    assert backend.predict([doc("x")])[0].code == "3b"
    assert sleeps == [pytest.approx(0.01)]


# --- 3. server errors ------------------------------------------------------------------------


def test_500_then_success(server):
    server.then(Reply(status=500, body="oops"), ok("2a", prompt_tokens=11, completion_tokens=3))
    backend, sleeps = make_backend(server.base_url)
    [prediction] = backend.predict([doc("x")])
    assert prediction.code == "2a" and prediction.cacheable
    assert (prediction.prompt_tokens, prediction.completion_tokens) == (11, 3)
    assert len(server.requests) == 2 and len(sleeps) == 1


def test_500_forever_gives_up_after_max_attempts(server):
    server.default = lambda request: Reply(status=500, body="oops")
    backend, sleeps = make_backend(server.base_url, max_attempts=4, backoff_base_s=0.01, backoff_max_s=0.03)
    [prediction] = backend.predict([doc("x")])
    assert prediction.code is None
    assert prediction.reason == "request failed: HTTP 500 after 4 attempts"
    assert prediction.cacheable is False
    assert len(server.requests) == 4
    assert sleeps == [pytest.approx(0.01), pytest.approx(0.02), pytest.approx(0.03)]  # exponential, capped
    assert backend.usage["requests"] == 4 and backend.usage["retries"] == 3


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_other_4xx_are_not_retried(server, status):
    server.default = lambda request: Reply(status=status, body={"error": {"message": "no"}})
    backend, sleeps = make_backend(server.base_url)
    [prediction] = backend.predict([doc("x")])
    assert prediction.code is None
    assert prediction.reason == f"request failed: HTTP {status}"
    assert prediction.cacheable is False
    assert len(server.requests) == 1 and sleeps == []


def test_connection_refused_is_retried_then_reported():
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    backend, sleeps = make_backend(f"http://127.0.0.1:{port}/v1", max_attempts=2)
    [prediction] = backend.predict([doc("x")])
    assert prediction.code is None and prediction.cacheable is False
    assert prediction.reason.startswith("request failed: connection error")
    assert "after 2 attempts" in prediction.reason
    assert len(sleeps) == 1


# --- 4. timeouts -----------------------------------------------------------------------------


def test_timeout_then_success(server):
    server.then(Reply(body=ok("1b").body, delay=0.6), ok("1b"))
    backend, sleeps = make_backend(server.base_url, timeout_s=0.2)
    [prediction] = backend.predict([doc("x")])
    assert prediction.code == "1b"
    assert len(server.requests) == 2 and len(sleeps) == 1


def test_timeout_forever(server):
    server.default = lambda request: Reply(body=ok("1b").body, delay=0.5)
    backend, _ = make_backend(server.base_url, timeout_s=0.2, max_attempts=2)
    [prediction] = backend.predict([doc("x")])
    assert prediction.code is None and prediction.cacheable is False
    assert prediction.reason == "request failed: timeout after 2 attempts"
    assert len(server.requests) == 2


# --- 5. off-scheme answers are asked again once --------------------------------------------


def test_off_scheme_then_valid(server):
    server.then(ok("Food", prompt_tokens=100, completion_tokens=1), ok("2c", prompt_tokens=120, completion_tokens=2))
    backend, _ = make_backend(server.base_url)
    [prediction] = backend.predict([doc("x")])
    assert prediction.code == "2c" and prediction.cacheable
    assert (prediction.prompt_tokens, prediction.completion_tokens) == (220, 3)  # both turns
    assert "Food" in prediction.raw_response and "2c" in prediction.raw_response

    assert len(server.requests) == 2
    first, second = (r["json"]["messages"] for r in server.requests)
    assert second[:2] == first
    assert second[2] == {"role": "assistant", "content": "Food"}
    assert second[3]["role"] == "user"
    assert "exactly one of" in second[3]["content"]
    assert all(code in second[3]["content"] for code in TAXONOMY.codes)


def test_off_scheme_twice_is_unknown_and_cacheable(server):
    server.then(ok("Food"), ok("Lifestyle stuff"))
    backend, _ = make_backend(server.base_url)
    [prediction] = backend.predict([doc("x")])
    assert prediction.code is None
    assert prediction.reason == "off-scheme answer: 'Lifestyle stuff' (asked twice)"
    assert "Food" in prediction.raw_response and "Lifestyle stuff" in prediction.raw_response
    assert prediction.cacheable is True  # a real answer for this input, not a transient failure
    assert len(server.requests) == 2
    assert server.requests[1]["json"]["messages"][2] == {"role": "assistant", "content": "Food"}


# --- 6. malformed bodies ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        "this is not json",
        {"id": "x", "object": "chat.completion"},
        {"choices": []},
        {"choices": [{"message": {"role": "assistant", "content": None}}]},
    ],
)
def test_malformed_body_is_retried(server, bad):
    server.then(Reply(body=bad), ok("5c"))
    backend, sleeps = make_backend(server.base_url)
    [prediction] = backend.predict([doc("x")])
    assert prediction.code == "5c"
    assert len(server.requests) == 2 and len(sleeps) == 1


def test_malformed_forever_is_unknown(server):
    body = "<html>bad gateway</html>" * 200  # 4,800 chars
    server.default = lambda request: Reply(body=body)
    backend, _ = make_backend(server.base_url, max_attempts=3)
    [prediction] = backend.predict([doc("x")])
    assert prediction.code is None and prediction.cacheable is False
    assert prediction.reason.startswith("malformed response: ")
    assert prediction.raw_response == body[:2000]
    assert len(server.requests) == 3


# --- 7. parsing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer, code",
    [
        ("2c", "2c"),
        ("1A", "1a"),
        ("  7\n", "7"),
        ("2c. Food, Lifestyle & Fashion", "2c"),
        ("4: Marketing & E-Commerce", "4"),
        ("`3b`", "3b"),
        ("```\n5a\n```", "5a"),
        ('"6".', "6"),
        ("'1b'", "1b"),
        ("**2b**", "2b"),
        ("Food", None),
        ("Food, Lifestyle & Fashion", None),
        ("1", None),  # a category with sub-topics is not a code
        ("12", None),
        ("1ab", None),
        ("1a or 3b", None),  # two codes: ambiguous, not the first one
        ("category 2c", None),
        ("", None),
    ],
)
def test_parse_answer(answer, code):
    assert parse_answer(answer, TAXONOMY.codes) == code


def test_answers_parsed_end_to_end(server):
    server.default = lambda request: {
        "a": ok("2c. Food, Lifestyle & Fashion"),
        "b": ok("1A"),
        "c": ok("Food"),
    }[title_of(request)]
    backend, _ = make_backend(server.base_url)
    predictions = backend.predict([doc("a"), doc("b"), doc("c")])
    assert [p.code for p in predictions] == ["2c", "1a", None]
    assert predictions[0].raw_response == "2c. Food, Lifestyle & Fashion"
    assert predictions[2].reason == "off-scheme answer: 'Food' (asked twice)"
    assert len(server.requests) == 4  # "Food" was asked again; the others were not


# --- 8. the API key never leaks -----------------------------------------------------------


@pytest.fixture
def all_logs():
    """Every log record at DEBUG, httpx/httpcore included; works with or without pytest's
    logging plugin (-p no:logging)."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            self.format(record)  # fills record.exc_text when there is a traceback
            records.append(record)

    handler = Keep(level=logging.DEBUG)
    root = logging.getLogger()
    loggers = [root, logging.getLogger("httpx"), logging.getLogger("httpcore"), logging.getLogger("rednote_dagster")]
    saved = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    root.addHandler(handler)
    yield records
    root.removeHandler(handler)
    for lg, level in saved:
        lg.setLevel(level)


def test_api_key_never_leaks(server, all_logs):
    seen: set[str] = set()
    seen_lock = threading.Lock()

    def leaky(request):
        # A misbehaving upstream that echoes the Authorization header back in every way it can.
        auth = request["headers"]["authorization"]
        title = title_of(request)
        with seen_lock:
            first = title not in seen
            seen.add(title)
        if title == "ratelimited" and first:
            return Reply(status=429, body=f"too many requests for {auth}", headers={"Retry-After": "1"})
        return {
            "plain": ok("1a"),
            "ratelimited": ok("3a"),
            "echo-answer": ok(f"2c {auth}"),
            "echo-malformed": Reply(body=f"proxy error; you sent {auth}"),
            "echo-500": Reply(status=500, body=f"upstream failed for {auth}"),
            "echo-401": Reply(status=401, body={"error": {"message": f"Incorrect API key provided: {KEY}"}}),
            "off-scheme": ok(f"Food {KEY}"),
        }[title]

    server.default = leaky
    backend, _ = make_backend(server.base_url, max_attempts=2)
    titles = ["plain", "ratelimited", "echo-answer", "echo-malformed", "echo-500", "echo-401", "off-scheme"]
    docs = [doc(t) for t in titles]
    run = label_documents(backend, docs)

    # Positive controls: the key was really sent and really echoed, and logging was captured.
    assert all(r["headers"]["authorization"] == f"Bearer {KEY}" for r in server.requests)
    by_title = dict(zip(titles, run.predictions))
    assert by_title["echo-answer"].code == "2c" and "***" in by_title["echo-answer"].raw_response
    assert "***" in by_title["echo-malformed"].raw_response
    assert {r.name.split(".")[0] for r in all_logs} >= {"httpx", "httpcore", "rednote_dagster"}

    for record in all_logs:
        assert KEY not in record.getMessage()
        assert KEY not in (record.exc_text or "")
    for p in run.predictions:
        assert KEY not in repr(p)  # code, reason, raw_response …
    assert run.new_entries.num_rows > 0
    assert KEY not in repr(run.new_entries.to_pylist())
    for d in docs:
        assert KEY not in backend.model_input(d)
    assert KEY not in repr(backend)
    assert KEY not in repr(vars(backend))
    assert KEY not in repr(backend.describe()) + repr(backend.usage) + repr(run.backend)


# --- 9. cache --------------------------------------------------------------------------------


def test_second_run_from_cache_makes_no_requests(server):
    server.default = lambda request: ok(title_of(request).removeprefix("want-"))
    backend, _ = make_backend(server.base_url)
    docs = [doc("want-1a"), doc("want-3c"), doc("want-5b")]
    first = label_documents(backend, docs)
    assert [p.code for p in first.predictions] == ["1a", "3c", "5b"]
    assert first.new_entries.num_rows == 3
    assert first.input_hashes == [input_hash(backend.model_input(d)) for d in docs]
    requests_after_first = len(server.requests)
    assert requests_after_first == 3

    second = label_documents(backend, docs, cached=dict(zip(first.input_hashes, first.predictions)))
    assert len(server.requests) == requests_after_first
    assert [p.code for p in second.predictions] == ["1a", "3c", "5b"]
    assert (second.cache_hits, second.cache_misses, second.new_entries.num_rows) == (3, 0, 0)


def test_transient_failures_are_not_cached(server):
    server.default = lambda request: ok("7") if title_of(request) == "good" else Reply(status=502, body="")
    backend, _ = make_backend(server.base_url, max_attempts=2)
    docs = [doc("good"), doc("bad")]
    first = label_documents(backend, docs)
    assert [p.code for p in first.predictions] == ["7", None]
    assert first.new_entries.column("input_hash").to_pylist() == [first.input_hashes[0]]

    cached = {h: p for h, p in zip(first.input_hashes, first.predictions) if p.cacheable}
    before = len(server.requests)
    second = label_documents(backend, docs, cached=cached)
    assert len(server.requests) - before == 2  # only "bad" is asked again (2 attempts)
    assert second.cache_misses == 1


# --- model_input and configuration -------------------------------------------------------


def test_model_input_is_canonical_and_keyless():
    d = doc("title 标题", "描述", "评论")
    backend, _ = make_backend("http://example.invalid/v1")
    payload = json.loads(backend.model_input(d))
    assert set(payload) == {"model", "temperature", "max_tokens", "messages"}
    assert payload["messages"] == [
        {"role": "system", "content": TAXONOMY.system_prompt},
        {"role": "user", "content": TAXONOMY.render_user_prompt(d)},
    ]
    assert "标题" in backend.model_input(d)  # ensure_ascii=False
    assert backend.model_input(d) == json.dumps(payload, sort_keys=True, ensure_ascii=False)

    # The key and the endpoint do not change the answer's cache key; model and sampling do.
    same = make_backend("http://other.invalid", api_key="another-key")[0]
    assert same.model_input(d) == backend.model_input(d)
    for changed in (
        ChatCompletionsBackend(TAXONOMY, "http://example.invalid/v1", "other-model"),
        make_backend("http://example.invalid/v1", temperature=0.7)[0],
        make_backend("http://example.invalid/v1", max_tokens=32)[0],
    ):
        assert changed.model_input(d) != backend.model_input(d)


def test_endpoint_resource_builds_the_backend():
    from rednote_dagster.defs.resources import LlmEndpoint

    endpoint = LlmEndpoint(base_url=" https://api.example.com/ ", model="deepseek-chat", api_key=KEY)
    assert endpoint.configured
    backend = endpoint.backend(TAXONOMY)
    assert backend.url == "https://api.example.com/chat/completions"
    assert (backend.model_id, backend.model_revision) == ("deepseek-chat", "api")
    assert backend.name == "llm"
    assert KEY not in repr(backend)

    keyless = LlmEndpoint(base_url="http://localhost:11434/v1", model="qwen").backend(TAXONOMY)
    assert keyless._api_key is None

    for missing, variable in (("base_url", "REDNOTE_LLM_BASE_URL"), ("model", "REDNOTE_LLM_MODEL")):
        partial = LlmEndpoint(**{"base_url": "https://api.example.com", "model": "m", "api_key": KEY, missing: ""})
        assert not partial.configured
        with pytest.raises(ValueError, match=variable) as excinfo:
            partial.backend(TAXONOMY)
        assert KEY not in str(excinfo.value)


def test_prediction_shape_for_unknowns_is_plain_prediction(server):
    # label_documents writes these fields to the cache table; they must be plain values.
    server.then(ok("Food"), ok("Food"))
    backend, _ = make_backend(server.base_url)
    [p] = backend.predict([doc("x")])
    assert isinstance(p, Prediction)
    assert p.probabilities is None and p.confidence is None
    assert isinstance(p.raw_response, str) and isinstance(p.reason, str)
