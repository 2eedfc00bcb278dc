"""Labels from any OpenAI-compatible ``POST {base_url}/chat/completions`` endpoint
(DeepSeek, vLLM, Ollama …).

Each document is one chat: the scheme's system prompt and its rendered user prompt. The answer
must be one of the scheme's codes; anything else is asked again once with a corrective message
and, if still off-scheme, returned as an explicit unknown — never mapped to a code by guessing.
Transient failures (timeouts, connection errors, 429, 5xx, malformed bodies) are retried with
exponential backoff that honours ``Retry-After``; if they persist the unknown is marked
``cacheable=False`` so the next run asks again.

The API key only ever goes into the ``Authorization`` header: it is kept in a wrapper whose repr
hides it, is not part of :meth:`ChatCompletionsBackend.model_input`, and is scrubbed from any
response text that is kept (a misbehaving proxy may echo request headers).
"""

import email.utils
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit, urlunsplit

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from rednote_dagster.lib.labelling.base import LabelBackend, Prediction
from rednote_dagster.lib.labelling.scheme import Document, LabelScheme

log = logging.getLogger(__name__)

RAW_RESPONSE_LIMIT = 2_000
REASK_SEPARATOR = "\n--- asked again ---\n"

# Stripped from both ends of an answer: quotes, markdown code/emphasis marks and whitespace.
_STRIP_CHARS = " \t\r\n\"'`*“”‘’"


def parse_answer(answer: str, codes: tuple[str, ...]) -> str | None:
    """The scheme code an answer states, or None.

    Accepted: exactly a code after stripping whitespace, quotes, markdown backticks/emphasis and a
    trailing period, ignoring case ("1A" → "1a"); or a code followed by a non-alphanumeric
    character ("2c. Food, Lifestyle & Fashion" → "2c"). Names ("Food") are never mapped, and an
    answer naming a second code ("1a or 3b") is ambiguous, hence rejected.
    """
    text = answer
    while True:  # repeat: '"2c."' needs quotes, then the period, stripped
        stripped = text.strip(_STRIP_CHARS).removesuffix(".")
        if stripped == text:
            break
        text = stripped
    by_lower = {code.lower(): code for code in codes}
    lowered = text.lower()
    if lowered in by_lower:
        return by_lower[lowered]
    # Longest first so a code is never shadowed by a shorter one it starts with ("1" vs "1a").
    for low in sorted(by_lower, key=len, reverse=True):
        if lowered.startswith(low) and len(lowered) > len(low) and not lowered[len(low)].isalnum():
            rest_tokens = set(re.split(r"[^0-9a-z-]+", lowered[len(low) :]))
            if any(other in rest_tokens for other in by_lower if other != low):
                return None
            return by_lower[low]
    return None


class _Secret:
    """Holds the API key; its repr never shows it (so vars(backend) and tracebacks stay clean)."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "_Secret('***')"


class _Retryable(Exception):
    """A transient failure: retried by tenacity, reported by ``reason`` once retries run out."""

    def __init__(self, reason: str, retry_after: float | None = None, body: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.body = body


class _Malformed(_Retryable):
    pass


class _Fatal(Exception):
    """A failure retrying cannot fix (4xx other than 429, redirects …)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class ChatCompletionsBackend(LabelBackend):
    name = "llm"

    def __init__(
        self,
        scheme: LabelScheme,
        base_url: str,
        model: str,
        api_key: str | None = None,
        *,
        temperature: float = 0.0,
        max_concurrency: int = 4,
        timeout_s: float = 60.0,
        max_attempts: int = 5,
        backoff_base_s: float = 1.0,
        backoff_max_s: float = 60.0,
        max_tokens: int = 16,
        model_revision: str = "api",
        sleep: Callable[[float], None] = time.sleep,
    ):
        super().__init__(scheme)
        if not base_url:
            raise ValueError("base_url is required")
        if not model:
            raise ValueError("model is required")
        if max_concurrency < 1 or max_attempts < 1:
            raise ValueError("max_concurrency and max_attempts must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + "/chat/completions"
        self.model_id = model
        self.model_revision = model_revision
        self.temperature = temperature
        self.max_concurrency = max_concurrency
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.max_tokens = max_tokens
        self._sleep = sleep
        self._api_key = _Secret(api_key) if api_key else None
        self._lock = threading.Lock()
        # Running totals over the backend's lifetime; "retries" counts backoff waits (re-asks of
        # off-scheme answers are requests, not retries).
        self.usage = {"requests": 0, "retries": 0, "prompt_tokens": 0, "completion_tokens": 0}

    def __repr__(self) -> str:
        key = "set" if self._api_key else "none"
        return (
            f"{type(self).__name__}(scheme={self.scheme.name!r}, base_url={_without_userinfo(self.base_url)!r}, "
            f"model={self.model_id!r}, model_revision={self.model_revision!r}, api_key=<{key}>)"
        )

    # --- what is asked -------------------------------------------------------------------

    def _messages(self, document: Document) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": self.scheme.system_prompt},
            {"role": "user", "content": self.scheme.render_user_prompt(document)},
        ]

    def _payload(self, messages: list[dict[str, str]]) -> dict:
        return {
            "model": self.model_id,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "messages": messages,
        }

    def model_input(self, document: Document) -> str:
        # Everything that decides the answer (and nothing secret): its hash keys the cache.
        return json.dumps(self._payload(self._messages(document)), sort_keys=True, ensure_ascii=False)

    def _corrective(self) -> str:
        return (
            "That answer is not one of the allowed labels. Your answer must be exactly one of these "
            f"codes and nothing else: {', '.join(self.scheme.codes)}"
        )

    # --- labelling -----------------------------------------------------------------------

    def _predict(self, documents: list[Document]) -> list[Prediction]:
        limits = httpx.Limits(max_connections=self.max_concurrency, max_keepalive_connections=self.max_concurrency)
        with httpx.Client(timeout=httpx.Timeout(self.timeout_s), limits=limits) as client:
            workers = min(self.max_concurrency, len(documents))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="llm-label") as pool:
                # map keeps input order whatever order the answers arrive in.
                return list(pool.map(lambda d: self._label_one(client, d), documents))

    def _label_one(self, client: httpx.Client, document: Document) -> Prediction:
        messages = self._messages(document)
        tokens = [0, 0]  # prompt, completion over every attempt for this document
        answers: list[str] = []

        def failed(reason: str, raw: str | None = None) -> Prediction:
            raw = raw if raw is not None else (REASK_SEPARATOR.join(answers) or None)
            return Prediction(
                code=None,
                reason=self._redact(reason),
                raw_response=self._redact(raw) if raw is not None else None,
                prompt_tokens=tokens[0],
                completion_tokens=tokens[1],
                cacheable=False,
            )

        for attempt in ("first", "re-ask"):
            try:
                answer = self._ask(client, messages, tokens)
            except _Malformed as exc:
                return failed(
                    f"malformed response: {exc.reason} after {self.max_attempts} attempts",
                    (exc.body or "")[:RAW_RESPONSE_LIMIT],
                )
            except _Retryable as exc:
                return failed(f"request failed: {exc.reason} after {self.max_attempts} attempts")
            except _Fatal as exc:
                return failed(f"request failed: {exc.reason}")
            answers.append(self._redact(answer))
            code = parse_answer(answer, self.scheme.codes)
            raw = REASK_SEPARATOR.join(answers)
            if code is not None:
                return Prediction(code=code, raw_response=raw, prompt_tokens=tokens[0], completion_tokens=tokens[1])
            if attempt == "first":
                messages = messages + [
                    {"role": "assistant", "content": answer},
                    {"role": "user", "content": self._corrective()},
                ]
        # A well-formed but off-scheme answer is a real result for this input: cacheable.
        return Prediction(
            code=None,
            reason=f"off-scheme answer: {answers[-1][:200]!r} (asked twice)",
            raw_response=raw,
            prompt_tokens=tokens[0],
            completion_tokens=tokens[1],
            cacheable=True,
        )

    def _ask(self, client: httpx.Client, messages: list[dict[str, str]], tokens: list[int]) -> str:
        """One chat turn with retries; raises _Retryable (retries exhausted) or _Fatal."""
        exponential = wait_exponential(multiplier=self.backoff_base_s, max=self.backoff_max_s)

        def wait(state: RetryCallState) -> float:
            delay = exponential(state)
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, _Retryable) and exc.retry_after is not None:
                delay = max(delay, exc.retry_after)  # the server said how long; wait at least that
            return delay

        def before_sleep(state: RetryCallState) -> None:
            with self._lock:
                self.usage["retries"] += 1
            exc = state.outcome.exception() if state.outcome else None
            reason = exc.reason if isinstance(exc, _Retryable) else type(exc).__name__
            log.warning(
                "LLM request attempt %d failed (%s); retrying in %.2fs",
                state.attempt_number,
                reason,
                state.upcoming_sleep,
            )

        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=wait,
            retry=retry_if_exception_type(_Retryable),
            sleep=self._sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        return retrying(self._request, client, messages, tokens)

    def _request(self, client: httpx.Client, messages: list[dict[str, str]], tokens: list[int]) -> str:
        """One HTTP attempt; adds the reported token usage to ``tokens`` (this document's)."""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key is not None:
            headers["Authorization"] = f"Bearer {self._api_key.reveal()}"
        with self._lock:
            self.usage["requests"] += 1
        try:
            response = client.post(self.url, headers=headers, json={**self._payload(messages), "stream": False})
        except httpx.TimeoutException as exc:
            raise _Retryable("timeout") from exc
        except httpx.TransportError as exc:
            # Class name only: exception texts may carry the URL, and nothing more is needed.
            raise _Retryable(f"connection error ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise _Fatal(type(exc).__name__) from exc

        status = response.status_code
        if status == 429 or status >= 500:
            retry_after = _retry_after_seconds(response.headers.get("Retry-After")) if status in (429, 503) else None
            raise _Retryable(f"HTTP {status}", retry_after=retry_after)
        if status >= 300:
            # The error body is not kept: some APIs quote (part of) a rejected key in it.
            raise _Fatal(f"HTTP {status}")

        body = response.text
        try:
            data = json.loads(body)
        except ValueError:
            raise _Malformed("body is not JSON", body=self._redact(body)) from None
        usage = data.get("usage") if isinstance(data, dict) else None
        prompt_tokens, completion_tokens = _token_counts(usage)
        # Tokens were spent even if the body turns out unusable below, so count them now.
        tokens[0] += prompt_tokens
        tokens[1] += completion_tokens
        with self._lock:
            self.usage["prompt_tokens"] += prompt_tokens
            self.usage["completion_tokens"] += completion_tokens
        try:
            content = data["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            content = None
        if not isinstance(content, str):
            raise _Malformed("no choices[0].message.content", body=self._redact(body))
        log.debug("LLM answer received (%d prompt / %d completion tokens)", prompt_tokens, completion_tokens)
        return content

    def _redact(self, text: str) -> str:
        if self._api_key is not None and text:
            return text.replace(self._api_key.reveal(), "***")
        return text


def _token_counts(usage) -> tuple[int, int]:
    if not isinstance(usage, dict):
        return 0, 0

    def count(name: str) -> int:
        value = usage.get(name)
        return value if isinstance(value, int) and value >= 0 else 0

    return count("prompt_tokens"), count("completion_tokens")
