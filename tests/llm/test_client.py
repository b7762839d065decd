"""LLMClient against the loopback FakeLLM, plus httpx.MockTransport for wire details the fake never sends."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from app.llm import ChatRequest, Completion, LLMClient, SSEDecoder, UpstreamError, Usage
from tests.fakes.fixtures import fake_llm  # noqa: F401  (fixture)
from tests.fakes.llm import (
    FakeLLM,
    default_reply,
    estimate_completion_tokens,
    estimate_prompt_tokens,
    split_chunks,
)

MODEL = "gpt-4.1-mini"
MESSAGES = [
    {"role": "system", "content": "You explain repositories."},
    {"role": "user", "content": "What does octo/hello do?"},
]
REQUEST = ChatRequest(model=MODEL, messages=MESSAGES)
REPLY = default_reply(MESSAGES)
FAST_BACKOFF: dict[str, Any] = {"backoff_base": 0.01, "backoff_cap": 0.05}

MakeClient = Callable[..., LLMClient]


@dataclass
class Watcher:
    """Records what a watcher of the generation sees: delta texts, and None for each reset."""

    events: list[str | None] = field(default_factory=list)
    delta_times: list[float] = field(default_factory=list)

    async def on_delta(self, text: str) -> None:
        self.events.append(text)
        self.delta_times.append(time.monotonic())

    async def on_reset(self) -> None:
        self.events.append(None)

    @property
    def resets(self) -> int:
        return self.events.count(None)

    @property
    def text(self) -> str:
        """The text on screen: what arrived after the last reset."""
        last_reset = max((i for i, e in enumerate(self.events) if e is None), default=-1)
        return "".join(e for e in self.events[last_reset + 1 :] if e is not None)


@pytest.fixture
async def make_client(fake_llm: FakeLLM) -> AsyncIterator[MakeClient]:  # noqa: F811
    """Builds LLMClients for the fake (small backoffs unless overridden) and closes them afterwards."""
    clients: list[LLMClient] = []

    def make(**options: Any) -> LLMClient:
        base_url = options.pop("base_url", fake_llm.url)
        api_key = options.pop("api_key", fake_llm.api_key)
        client = LLMClient(base_url, api_key, **{**FAST_BACKOFF, **options})
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


async def stream(client: LLMClient, request: ChatRequest = REQUEST) -> tuple[Completion, Watcher]:
    watcher = Watcher()
    completion = await client.stream_chat(request, watcher.on_delta, watcher.on_reset)
    return completion, watcher


async def stream_error(client: LLMClient, request: ChatRequest = REQUEST) -> tuple[UpstreamError, Watcher]:
    watcher = Watcher()
    with pytest.raises(UpstreamError) as caught:
        await client.stream_chat(request, watcher.on_delta, watcher.on_reset)
    return caught.value, watcher


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- request body ------------------------------------------------------------------------------------


def test_body_is_openai_json() -> None:
    request = ChatRequest(model=MODEL, messages=MESSAGES, max_tokens=64, temperature=0.2)
    assert request.body(stream=False) == {"model": MODEL, "messages": MESSAGES, "max_tokens": 64, "temperature": 0.2}
    streamed = ChatRequest(model=MODEL, messages=MESSAGES).body(stream=True)
    assert streamed == {
        "model": MODEL,
        "messages": MESSAGES,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


# --- happy paths -------------------------------------------------------------------------------------


async def test_stream_delivers_deltas_usage_and_finish_reason(make_client: MakeClient, fake_llm: FakeLLM) -> None:  # noqa: F811
    completion, watcher = await stream(make_client())

    assert watcher.events == split_chunks(REPLY)
    assert completion.text == REPLY
    assert completion.finish_reason == "stop"
    assert completion.usage == Usage(estimate_prompt_tokens(MESSAGES), estimate_completion_tokens(REPLY))
    assert completion.attempts == 1
    [call] = fake_llm.calls
    assert call.headers["authorization"] == f"Bearer {fake_llm.api_key}"
    assert call.body == REQUEST.body(stream=True)


async def test_max_tokens_ends_with_length(make_client: MakeClient, fake_llm: FakeLLM) -> None:  # noqa: F811
    completion, watcher = await stream(make_client(), ChatRequest(model=MODEL, messages=MESSAGES, max_tokens=5))

    assert completion.finish_reason == "length"
    assert completion.text == watcher.text == "".join(split_chunks(REPLY)[:5])
    assert completion.usage == Usage(estimate_prompt_tokens(MESSAGES), 5)
    assert fake_llm.calls[0].body is not None and fake_llm.calls[0].body["max_tokens"] == 5


async def test_complete_without_streaming(make_client: MakeClient, fake_llm: FakeLLM) -> None:  # noqa: F811
    completion = await make_client().complete(REQUEST)

    assert completion == Completion(
        REPLY, Usage(estimate_prompt_tokens(MESSAGES), estimate_completion_tokens(REPLY)), "stop", attempts=1
    )
    assert fake_llm.calls[0].body == REQUEST.body(stream=False)


async def test_base_url_may_end_with_slash(make_client: MakeClient, fake_llm: FakeLLM) -> None:  # noqa: F811
    completion, _ = await stream(make_client(base_url=fake_llm.url + "/"))
    assert completion.text == REPLY


async def test_deltas_are_passed_on_as_they_arrive(make_client: MakeClient, fake_llm: FakeLLM) -> None:  # noqa: F811
    fake_llm.token_delay = 0.05
    fake_llm.script("one two three four five six seven eight nine ten")
    started = time.monotonic()
    completion, watcher = await stream(make_client())

    assert completion.text == "one two three four five six seven eight nine ten"
    # The first token reaches the watcher right after the fake wrote it, long before the stream ends.
    assert watcher.delta_times[0] - fake_llm.first_token_times[0] < 0.1
    assert watcher.delta_times[0] - started < 0.3 < time.monotonic() - started


async def test_connection_is_kept_alive(fake_llm: FakeLLM) -> None:  # noqa: F811
    transport = ConnectCounter()
    async with LLMClient(fake_llm.url, fake_llm.api_key, transport=transport) as client:
        await stream(client)
        await stream(client)
        await client.complete(REQUEST)
    assert transport.connects == 1


class ConnectCounter(httpx.AsyncBaseTransport):
    """A real transport that counts TCP connects through httpcore's trace extension."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.connects = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        async def trace(name: str, info: dict[str, Any]) -> None:
            if name == "connection.connect_tcp.complete":
                self.connects += 1

        request.extensions["trace"] = trace
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


# --- retries -----------------------------------------------------------------------------------------


async def test_server_error_then_success(make_client: MakeClient, fake_llm: FakeLLM) -> None:  # noqa: F811
    fake_llm.fail_next(500)
    completion, watcher = await stream(make_client())

    assert completion.text == REPLY
    assert completion.attempts == 2
    assert fake_llm.call_count == 2
    assert watcher.resets == 0  # nothing was delivered before the failure


async def test_cut_stream_is_reset_and_retried(make_client: MakeClient, fake_llm: FakeLLM) -> None:  # noqa: F811
    fake_llm.cut_stream_next(after_chunks=4)  # the role chunk and three words
    completion, watcher = await stream(make_client())

    assert watcher.resets == 1
    assert watcher.events[: watcher.events.index(None)] == split_chunks(REPLY)[:3]
    assert watcher.text == completion.text == REPLY
    assert completion.attempts == 2
    assert completion.usage == Usage(estimate_prompt_tokens(MESSAGES), estimate_completion_tokens(REPLY))


async def test_rate_limit_waits_for_retry_after(make_client: MakeClient, fake_llm: FakeLLM) -> None:  # noqa: F811
    fake_llm.rate_limit_next(retry_after=0.4)
    completion, _ = await stream(make_client(backoff_cap=5))

    first, second = fake_llm.calls
    assert completion.attempts == 2
    assert second.received_at - first.received_at >= 0.38


async def test_retry_after_is_bounded_by_backoff_cap(make_client: MakeClient, fake_llm: FakeLLM) -> None:  # noqa: F811
    fake_llm.rate_limit_next(retry_after=30)
    completion, _ = await stream(make_client(backoff_cap=0.2))

    first, second = fake_llm.calls
    assert completion.attempts == 2
    assert 0.18 <= second.received_at - first.received_at < 1


async def test_persistent_server_error_gives_up(make_client: MakeClient, fake_llm: FakeLLM) -> None:  # noqa: F811
    fake_llm.fail_next(500, times=10, message="The engine is overloaded.")
    error, watcher = await stream_error(make_client(max_attempts=3))

    assert (error.status, error.retryable, error.message, error.attempts) == (500, True, "The engine is overloaded.", 3)
    assert fake_llm.call_count == 3
    assert watcher.events == []


async def test_stall_beyond_first_token_timeout_is_retried(make_client: MakeClient, fake_llm: FakeLLM) -> None:  # noqa: F811
    fake_llm.stall_next(10)
    started = time.monotonic()
    completion, _ = await stream(make_client(first_token_timeout=0.3))

    assert completion.text == REPLY
    assert completion.attempts == 2
    assert time.monotonic() - started < 2


async def test_slow_first_token_is_not_an_idle_gap(make_client: MakeClient, fake_llm: FakeLLM) -> None:  # noqa: F811
    fake_llm.first_token_delay = 0.4  # a "thinking" model: role chunk at once, content much later
    completion, _ = await stream(make_client(first_token_timeout=2, idle_timeout=0.2))
    assert completion.text == REPLY


async def test_first_token_timeout_covers_the_wait_after_the_role_chunk(
    make_client: MakeClient,
    fake_llm: FakeLLM,  # noqa: F811
) -> None:
    fake_llm.first_token_delay = 2
    error, _ = await stream_error(make_client(first_token_timeout=0.2, max_attempts=2))

    assert (error.message, error.retryable, error.status) == ("no first token within 0.2 s", True, None)
    assert fake_llm.call_count == 2


async def test_idle_gap_between_chunks_is_retried(make_client: MakeClient, fake_llm: FakeLLM) -> None:  # noqa: F811
    fake_llm.token_delay = 1
    error, watcher = await stream_error(make_client(idle_timeout=0.15, max_attempts=2))

    assert (error.message, error.retryable) == ("no data for 0.15 s", True)
    assert fake_llm.call_count == 2
    assert watcher.resets == 1  # the first attempt's words were withdrawn before the second attempt


async def test_total_timeout_spans_attempts(make_client: MakeClient, fake_llm: FakeLLM) -> None:  # noqa: F811
    fake_llm.stall_next(10, times=20)
    started = time.monotonic()
    error, _ = await stream_error(make_client(first_token_timeout=0.2, total_timeout=0.5, max_attempts=20))

    assert time.monotonic() - started < 1
    assert error.retryable
    assert 2 <= fake_llm.call_count <= 3


async def test_total_timeout_is_reported(make_client: MakeClient, fake_llm: FakeLLM) -> None:  # noqa: F811
    fake_llm.stall_next(10)
    error, _ = await stream_error(make_client(total_timeout=0.3))

    assert (error.message, error.retryable, error.attempts) == ("no complete answer within 0.3 s", True, 1)


async def test_connection_refused_is_retryable() -> None:
    async with LLMClient(f"http://127.0.0.1:{closed_port()}/v1", "k", max_attempts=2, **FAST_BACKOFF) as client:
        error, _ = await stream_error(client)

    assert (error.message, error.status, error.retryable, error.attempts) == ("connection refused", None, True, 2)


# --- failures that retrying cannot fix ---------------------------------------------------------------


async def test_wrong_api_key_is_not_retried(make_client: MakeClient, fake_llm: FakeLLM) -> None:  # noqa: F811
    error, _ = await stream_error(make_client(api_key="sk-wrong-0123456789"))

    assert (error.status, error.retryable) == (401, False)
    assert error.message.startswith("Incorrect API key provided: sk-***6789.")
    assert fake_llm.call_count == 1


async def test_missing_api_key_sends_no_authorization(make_client: MakeClient, fake_llm: FakeLLM) -> None:  # noqa: F811
    with pytest.raises(UpstreamError) as caught:
        await make_client(api_key=None).complete(REQUEST)

    assert caught.value.status == 401
    assert caught.value.message.startswith("You didn't provide an API key.")
    assert "authorization" not in fake_llm.calls[0].headers


async def test_unknown_model_is_not_retried(make_client: MakeClient, fake_llm: FakeLLM) -> None:  # noqa: F811
    error, _ = await stream_error(make_client(), ChatRequest(model="gpt-nope", messages=MESSAGES))

    assert (error.status, error.retryable) == (404, False)
    assert error.message == "The model `gpt-nope` does not exist or you do not have access to it."
    assert fake_llm.call_count == 1


# --- wire details (scripted responses) ---------------------------------------------------------------


def chunk(content: str | None = None, finish_reason: str | None = None) -> dict[str, Any]:
    delta = {} if content is None else {"content": content}
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}


def sse_response(body: str) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body.encode())


def scripted(*responses: httpx.Response) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport answering requests with `responses` in order, and the list of requests it saw."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return responses[len(seen) - 1]

    return httpx.MockTransport(handler), seen


async def test_sse_variants_are_parsed() -> None:
    body = (
        ": keep-alive comment\r\n\r\n"
        f"event: message\r\ndata:{json.dumps(chunk('Hello'))}\r\n\r\n"
        # One JSON object split over two data lines (joined with \n, which JSON treats as whitespace).
        'data: {"choices": [{"index": 0,\ndata: "delta": {"content": " world"}}]}\n\n'
        f"data: {json.dumps(chunk(finish_reason='stop'))}\n\n"
        'data: {"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 2}}\n\n'
        "data: [DONE]"  # no closing blank line
    )
    transport, seen = scripted(sse_response(body))
    async with LLMClient("http://llm.test/v1/", None, transport=transport) as client:
        completion, watcher = await stream(client)

    assert watcher.events == ["Hello", " world"]
    assert completion == Completion("Hello world", Usage(7, 2), "stop", attempts=1)
    assert str(seen[0].url) == "http://llm.test/v1/chat/completions"


async def test_error_event_in_stream_is_retried() -> None:
    overloaded = {"error": {"message": "Overloaded, try again", "type": "server_error"}}
    first = sse_response(f"data: {json.dumps(chunk('Hel'))}\n\ndata: {json.dumps(overloaded)}\n\n")
    second = sse_response(f"data: {json.dumps(chunk('Hello', 'stop'))}\n\ndata: [DONE]\n\n")
    transport, _ = scripted(first, second)
    async with LLMClient("http://llm.test/v1", "k", transport=transport, **FAST_BACKOFF) as client:
        completion, watcher = await stream(client)

    assert watcher.events == ["Hel", None, "Hello"]
    assert (completion.text, completion.usage, completion.attempts) == ("Hello", None, 2)


async def test_error_event_for_a_bad_request_is_final() -> None:
    invalid = {"error": {"message": "Context too long", "type": "invalid_request_error"}}
    transport, seen = scripted(sse_response(f"data: {json.dumps(invalid)}\n\n"))
    async with LLMClient("http://llm.test/v1", "k", transport=transport, **FAST_BACKOFF) as client:
        error, _ = await stream_error(client)

    assert (error.message, error.retryable, len(seen)) == ("Context too long", False, 1)


async def test_stream_ending_without_done_or_finish_is_a_cut() -> None:
    cut = sse_response(f"data: {json.dumps(chunk('Hel'))}\n\n")
    transport, seen = scripted(cut, cut)
    async with LLMClient("http://llm.test/v1", "k", max_attempts=2, transport=transport, **FAST_BACKOFF) as client:
        error, watcher = await stream_error(client)

    assert (error.message, error.retryable, len(seen)) == ("stream ended before completion", True, 2)
    assert watcher.events == ["Hel", None, "Hel"]


async def test_json_answer_to_a_stream_request_is_accepted() -> None:
    answer = {
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1},
    }
    transport, _ = scripted(httpx.Response(200, json=answer))
    async with LLMClient("http://llm.test/v1", "k", transport=transport) as client:
        completion, watcher = await stream(client)

    assert watcher.events == ["Hi"]
    assert completion == Completion("Hi", Usage(3, 1), "stop", attempts=1)


async def test_non_json_error_body_is_described() -> None:
    transport, _ = scripted(httpx.Response(400, text=""), httpx.Response(400, text="<html>Bad gateway config</html>"))
    async with LLMClient("http://llm.test/v1", "k", transport=transport) as client:
        first, _ = await stream_error(client)
        second, _ = await stream_error(client)

    assert (first.message, first.status, first.retryable) == ("HTTP 400 Bad Request", 400, False)
    assert second.message == "<html>Bad gateway config</html>"


async def test_exhausted_quota_is_not_retried() -> None:
    quota = {
        "error": {
            "message": "You exceeded your current quota.",
            "type": "insufficient_quota",
            "code": "insufficient_quota",
        }
    }
    transport, seen = scripted(httpx.Response(429, json=quota))
    async with LLMClient("http://llm.test/v1", "k", transport=transport) as client:
        error, _ = await stream_error(client)

    assert (error.message, error.status, error.retryable, len(seen)) == (
        "You exceeded your current quota.",
        429,
        False,
        1,
    )


def test_sse_decoder_follows_the_event_stream_rules() -> None:
    decoder = SSEDecoder()
    lines = ["\ufeffdata: a", "data:b", ": comment", "id: 7", "", "event: x", "", "data", "", "data:  two spaces", ""]
    assert [decoder.feed(line) for line in lines] == [
        None, None, None, None, "a\nb", None, None, None, "", None, " two spaces"
    ]  # fmt: skip
    assert decoder.flush() is None
