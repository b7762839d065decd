"""The fake LLM's ASGI app: async so it can delay, stall, stream and cut connections for real."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from tests.fakes import llm_wire as wire
from tests.fakes.llm_state import Plan, Reply
from tests.support.servers import answer_lifespan

if TYPE_CHECKING:
    from tests.fakes.llm import FakeLLM

Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]

_POLL = 0.05  # how often long waits look at the fake's closing flag


def asgi_app(fake: FakeLLM) -> Callable[..., Awaitable[None]]:
    """The ASGI app serving `fake` under /v1."""

    async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await answer_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        raw = await _read_body(receive)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        method, path = scope["method"].upper(), scope["path"].rstrip("/")
        gone = asyncio.Event()
        watcher = asyncio.create_task(_watch_disconnect(receive, gone))
        try:
            if (method, path) == ("POST", "/v1/chat/completions"):
                await _chat(fake, fake.plan(headers, raw), send, gone)
            elif (method, path) == ("GET", "/v1/models"):
                await _send_json(send, *fake.models_response(headers))
            else:
                error = wire.LLMError(404, f"Invalid URL ({method} {scope['path']})")
                await _send_json(send, error.status, error.body, error.headers)
        finally:
            watcher.cancel()

    return app


async def _chat(fake: FakeLLM, plan: Plan, send: Send, gone: asyncio.Event) -> None:
    if plan.stall and not await _pause(plan.stall, fake, gone):
        await _unavailable(send, gone)
        return
    if plan.error is not None:
        await _send_json(send, plan.error.status, plan.error.body, plan.error.headers)
        return
    assert plan.reply is not None
    reply = plan.reply
    if reply.stream:
        await _stream(fake, reply, send, gone)
        return
    # A non-streamed answer takes as long as streaming it would have.
    generation = reply.first_token_delay + reply.token_delay * max(len(reply.chunks) - 1, 0)
    if generation and not await _pause(generation, fake, gone):
        await _unavailable(send, gone)
        return
    usage = reply.usage
    body = wire.completion(reply.id, reply.created, reply.model, reply.text, reply.finish_reason, usage)
    await _send_json(send, 200, body)


async def _stream(fake: FakeLLM, reply: Reply, send: Send, gone: asyncio.Event) -> None:
    def chunk(delta: dict[str, Any] | None, finish: str | None = None, usage: dict | None = None) -> bytes:
        data = wire.chunk(reply.id, reply.created, reply.model, delta, finish, include_usage=reply.include_usage)
        if usage is not None:
            data["usage"] = usage
        return wire.sse(data)

    events = [(False, chunk({"role": "assistant", "content": ""}))]
    events += [(True, chunk({"content": text})) for text in reply.chunks]
    events.append((False, chunk({}, reply.finish_reason)))
    if reply.include_usage:
        events.append((False, chunk(None, usage=reply.usage)))
    await send({"type": "http.response.start", "status": 200, "headers": _headers(_SSE_HEADERS)})
    first_content = True
    for index, (is_content, data) in enumerate(events):
        if reply.cut_after is not None and index >= reply.cut_after:
            await _abort(send)
            return
        delay = reply.first_token_delay if index == 1 else reply.token_delay if is_content and index > 1 else 0.0
        if delay and not await _pause(delay, fake, gone):
            await _abort(send)
            return
        await send({"type": "http.response.body", "body": data, "more_body": True})
        if is_content and first_content:
            first_content = False
            fake.record_first_token(time.monotonic())
    if reply.cut_after is not None:  # a cut stream never gets its [DONE]
        await _abort(send)
        return
    await send({"type": "http.response.body", "body": wire.sse("[DONE]"), "more_body": True})
    await send({"type": "http.response.body", "body": b""})


_SSE_HEADERS = {"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache"}


async def _pause(seconds: float, fake: FakeLLM, gone: asyncio.Event) -> bool:
    """Wait `seconds`; False as soon as the client disconnected or the fake is shutting down."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        if gone.is_set() or fake.closing.is_set():
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(gone.wait(), min(left, _POLL))
    return not gone.is_set()


async def _unavailable(send: Send, gone: asyncio.Event) -> None:
    # Only reached when shutting down with the client still connected: answer rather than let uvicorn log a 500.
    if not gone.is_set():
        error = wire.LLMError(503, "The fake LLM is shutting down.")
        await _send_json(send, error.status, error.body, error.headers)


async def _abort(send: Send) -> None:
    """Close the connection mid-body, as a crashed upstream would (the client sees an incomplete chunked body)."""
    # uvicorn's `send` is a bound method of its request cycle, which holds the transport. Closing it ourselves
    # (instead of returning and letting uvicorn close it) avoids uvicorn logging an error for every cut.
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        return
    transport.close()
    for _ in range(200):  # connection_lost (which marks the cycle disconnected) runs once buffers are flushed
        if getattr(cycle, "disconnected", True):
            return
        await asyncio.sleep(0.005)


async def _send_json(send: Send, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
    payload = json.dumps(body).encode()
    all_headers = {"content-type": "application/json", "content-length": str(len(payload)), **(headers or {})}
    await send({"type": "http.response.start", "status": status, "headers": _headers(all_headers)})
    await send({"type": "http.response.body", "body": payload})


def _headers(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    headers = {"x-request-id": f"req_{secrets.token_hex(12)}", **headers}
    return [(k.encode(), v.encode()) for k, v in headers.items()]


async def _read_body(receive: Receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def _watch_disconnect(receive: Receive, gone: asyncio.Event) -> None:
    # The body is fully read, so the next message uvicorn delivers is the disconnect (or end of response).
    while (await receive())["type"] != "http.disconnect":
        pass
    gone.set()
