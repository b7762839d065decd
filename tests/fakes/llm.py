"""FakeLLM: a loopback OpenAI-compatible chat completions API with scripted replies and failure injection."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from typing import Any

from tests.fakes import llm_wire as wire
from tests.fakes.llm_server import asgi_app
from tests.fakes.llm_state import Fault, Plan, RecordedCall, Reply, Script
from tests.fakes.llm_text import (
    DEFAULT_REPLY_WORDS,
    all_text,
    default_reply,
    estimate_completion_tokens,
    estimate_prompt_tokens,
    split_chunks,
)
from tests.support.servers import run_asgi_in_thread

__all__ = [
    "DEFAULT_MODELS",
    "FakeLLM",
    "RecordedCall",
    "default_reply",
    "estimate_completion_tokens",
    "estimate_prompt_tokens",
    "split_chunks",
]

DEFAULT_MODELS = frozenset({"gpt-4.1", "gpt-4.1-mini", "gpt-4o-mini"})


class FakeLLM:
    """In-memory OpenAI-compatible LLM, served over HTTP inside `with`; `.url` is the `/v1` base URL."""

    def __init__(
        self,
        api_key: str = "test-llm-key",
        *,
        models: Iterable[str] = DEFAULT_MODELS,
        reply_words: int = DEFAULT_REPLY_WORDS,
        first_token_delay: float = 0.0,
        token_delay: float = 0.0,
    ) -> None:
        self.api_key = api_key
        self.models = set(models)
        self.reply_words = reply_words
        # Read per request, so a test may change them between calls.
        self.first_token_delay = first_token_delay
        self.token_delay = token_delay
        self.lock = threading.RLock()
        self.closing = threading.Event()
        self.created = int(time.time())
        self._calls: list[RecordedCall] = []
        self._first_token_times: list[float] = []
        self._faults: list[Fault] = []
        self._scripts: list[Script] = []
        self._rules: list[Script] = []
        self._url: str | None = None
        self._stack = ExitStack()

    # --- serving ---------------------------------------------------------------------------------

    def __enter__(self) -> FakeLLM:
        self.closing.clear()
        self._url = self._stack.enter_context(run_asgi_in_thread(asgi_app(self))) + "/v1"
        return self

    def __exit__(self, *exc_info: object) -> None:
        # Wakes stalled and slow responses so shutdown does not wait for uvicorn's graceful timeout.
        self.closing.set()
        self._stack.close()
        self._url = None

    @property
    def url(self) -> str:
        """Base URL ending in /v1 (use as LLM_BASE_URL / the SDK's base_url); no trailing slash."""
        if self._url is None:
            raise RuntimeError("FakeLLM is not serving; use it as a context manager")
        return self._url

    # --- recordings ------------------------------------------------------------------------------

    @property
    def calls(self) -> list[RecordedCall]:
        """Every POST /chat/completions received (failed and retried ones included), oldest first."""
        with self.lock:
            return list(self._calls)

    @property
    def call_count(self) -> int:
        """len(calls)."""
        with self.lock:
            return len(self._calls)

    @property
    def first_token_times(self) -> list[float]:
        """time.monotonic() when each streamed response's first content chunk was written."""
        with self.lock:
            return list(self._first_token_times)

    def reset(self) -> None:
        """Forget calls, first-token times, pending faults and scripts (configuration is kept)."""
        with self.lock:
            self._calls.clear()
            self._first_token_times.clear()
            self._faults.clear()
            self._scripts.clear()
            self._rules.clear()

    # --- scripting -------------------------------------------------------------------------------

    def script(self, text: str, *, times: int | None = None) -> None:
        """Reply `text` to the next `times` requests (None: all later ones); queued scripts are used in order."""
        with self.lock:
            self._scripts.append(Script(text, times))

    def script_for(self, match: str | Callable[[dict[str, Any]], bool], text: str, *, times: int | None = None) -> None:
        """Reply `text` when `match` (substring of any message, or predicate on the body) fits; beats script()."""
        if isinstance(match, str):
            needle = match
            match = lambda body: needle in all_text(body["messages"])  # noqa: E731
        with self.lock:
            self._rules.append(Script(text, times, match))

    # --- failure injection -----------------------------------------------------------------------

    def fail_next(self, status: int = 500, times: int = 1, message: str | None = None) -> None:
        """Answer the next `times` requests with `status` and an OpenAI error body."""
        message = message or "The server had an error while processing your request. Sorry about that!"
        self._add_fault(Fault("fail", times, status=status, message=message))

    def rate_limit_next(self, times: int = 1, retry_after: float = 1) -> None:
        """Answer the next `times` requests with 429 and `retry-after`."""
        self._add_fault(Fault("rate_limit", times, status=429, retry_after=retry_after))

    def stall_next(self, seconds: float, times: int = 1) -> None:
        """Accept the next `times` requests, then send nothing for `seconds` (ends early if the client leaves)."""
        self._add_fault(Fault("stall", times, seconds=seconds))

    def cut_stream_next(self, after_chunks: int = 3, times: int = 1) -> None:
        """Close the next `times` streamed responses after `after_chunks` SSE events (the role chunk counts)."""
        self._add_fault(Fault("cut", times, after_chunks=after_chunks))

    def _add_fault(self, fault: Fault) -> None:
        with self.lock:
            self._faults.append(fault)

    # --- used by the server (in the server thread) -----------------------------------------------

    def plan(self, headers: dict[str, str], raw: bytes) -> Plan:
        """Record a chat completion request and decide, up front, everything the response will do."""
        with self.lock:
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            call = RecordedCall(body if isinstance(body, dict) else None, headers, time.monotonic())
            self._calls.append(call)
            plan = self._decide(call, raw)
            call.status = plan.error.status if plan.error else 200
            return plan

    def models_response(self, headers: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        """GET /models: status, body, headers."""
        error = self._auth_error(headers)
        if error:
            return error.status, error.body, error.headers
        return 200, wire.models_list(self.models, self.created), {}

    def record_first_token(self, at: float) -> None:
        """Called by the server right after a response's first content chunk was written."""
        with self.lock:
            self._first_token_times.append(at)

    def _decide(self, call: RecordedCall, raw: bytes) -> Plan:
        # Auth first (as upstream does), then injected faults, then validation of the body.
        error = self._auth_error(call.headers)
        if error:
            return Plan(error=error)
        plan = Plan()
        fault = self._take_fault({"fail", "rate_limit", "stall"})
        if fault:
            call.fault = fault.kind
            if fault.kind != "stall":
                return Plan(error=fault.error())
            plan.stall = fault.seconds
        try:
            params = wire.parse_chat_request(raw, self.models)
        except wire.LLMError as exc:
            plan.error = exc
            return plan
        cut = self._take_fault({"cut"}) if params.stream else None
        if cut:
            call.fault = "cut"
        plan.reply = self._reply(params, call.body or {}, cut.after_chunks if cut else None)
        return plan

    def _auth_error(self, headers: dict[str, str]) -> wire.LLMError | None:
        given = headers.get("authorization", "")
        if given == f"Bearer {self.api_key}":
            return None
        if not given.startswith("Bearer ") or not given[7:].strip():
            message = (
                "You didn't provide an API key. You need to provide your API key in an Authorization header "
                "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
            )
            return wire.LLMError(401, message)
        key = given[7:].strip()
        masked = f"{key[:3]}***{key[-4:]}" if len(key) > 8 else "***"
        message = f"Incorrect API key provided: {masked}. You can find your API key at https://platform.openai.com."
        return wire.LLMError(401, message, code="invalid_api_key")

    def _take_fault(self, kinds: set[str]) -> Fault | None:
        fault = next((f for f in self._faults if f.kind in kinds), None)
        if fault:
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)
        return fault

    def _reply(self, params: wire.ChatParams, body: dict[str, Any], cut_after: int | None) -> Reply:
        text = self._scripted_text(body)
        if text is None:
            text = default_reply(params.messages, self.reply_words)
        chunks = split_chunks(text)
        finish_reason = "stop"
        if params.max_tokens is not None and len(chunks) > params.max_tokens:
            chunks, finish_reason = chunks[: params.max_tokens], "length"
        return Reply(
            id=f"chatcmpl-{secrets.token_hex(12)}",
            created=int(time.time()),
            model=params.model,
            chunks=chunks,
            finish_reason=finish_reason,
            usage=wire.usage(estimate_prompt_tokens(params.messages), len(chunks)),
            stream=params.stream,
            include_usage=params.include_usage,
            first_token_delay=self.first_token_delay,
            token_delay=self.token_delay,
            cut_after=cut_after,
        )

    def _scripted_text(self, body: dict[str, Any]) -> str | None:
        script = next((r for r in self._rules if r.match and r.match(body)), None)
        script = script or (self._scripts[0] if self._scripts else None)
        if script is None:
            return None
        if script.remaining is not None:
            script.remaining -= 1
            if script.remaining <= 0:
                for queue in (self._rules, self._scripts):
                    if script in queue:
                        queue.remove(script)
        return script.text
