"""Relaying a streamed answer: each upstream chunk goes to the caller as it arrives, while the text and the
usage are collected to charge (and, with `store`, keep) the call when the stream ends or the caller leaves.

The upstream is always asked for its usage chunk (that is what is charged); the caller sees it only if they
asked (`stream_options.include_usage`). A stored call's chunks carry the result id, and one last chunk with
no choices carries `result_url`, just before `[DONE]`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx

from app.completions import accounting
from app.completions.accounting import Answer
from app.completions.service import CompletionClients, OpenCall, shielded
from app.completions.upstream import transport_error, upstream_error, usage_or_estimate
from app.llm import Usage
from app.llm.wire import parse_usage
from app.results.render import render_answer

log = logging.getLogger("contextjson.completions")

DONE = b"data: [DONE]\n\n"


@dataclass
class _Collected:
    """What the stream has said so far."""

    parts: list[str] = field(default_factory=list)
    usage: Usage | None = None
    finish_reason: str | None = None
    tool_calls: bool = False
    model: str | None = None
    created: int | None = None
    failed: bool = False

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def read(self, chunk: dict[str, Any]) -> None:
        self.model = self.model or (chunk.get("model") if isinstance(chunk.get("model"), str) else None)
        self.created = self.created or (chunk.get("created") if isinstance(chunk.get("created"), int) else None)
        if chunk.get("error"):
            self.failed = True
        usage = parse_usage(chunk.get("usage"))
        self.usage = usage or self.usage
        for choice in chunk.get("choices") or ():
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta: dict[str, Any] = choice["delta"] if isinstance(choice.get("delta"), dict) else {}
            if isinstance(delta.get("content"), str):
                self.parts.append(delta["content"])
            self.tool_calls = self.tool_calls or bool(delta.get("tool_calls") or delta.get("function_call"))
            if isinstance(choice.get("finish_reason"), str):
                self.finish_reason = choice["finish_reason"]


def _event(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


async def start_stream(clients: CompletionClients, opened: OpenCall) -> tuple[httpx.Response, AsyncExitStack]:
    """The upstream's stream, open and answering 2xx: its errors still become a proper HTTP error for the caller."""
    upstream = AsyncExitStack()
    try:
        async with asyncio.timeout(clients.llm.total_timeout):
            response = await upstream.enter_async_context(
                clients.llm.passthrough(opened.call.upstream_body, stream=True)
            )
            if not response.is_success:
                raise await upstream_error(response)
    except BaseException as exc:
        await upstream.aclose()
        error = transport_error(exc) if isinstance(exc, TimeoutError | httpx.HTTPError) else exc
        code, detail = getattr(error, "code", "interrupted"), getattr(error, "detail", "interrupted")
        await shielded(accounting.fail_call(clients.sessions, opened.result_id, code, detail))
        if error is exc:
            raise
        raise error from exc
    return response, upstream


async def relay(
    clients: CompletionClients, opened: OpenCall, response: httpx.Response, upstream: AsyncExitStack
) -> AsyncIterator[bytes]:
    """The caller's event stream; charges the call at the end, whatever the end was."""
    seen = _Collected()
    try:
        async with asyncio.timeout(clients.llm.total_timeout):
            async for line in response.aiter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                try:
                    chunk = json.loads(data)
                except ValueError:
                    continue
                if not isinstance(chunk, dict):
                    continue
                seen.read(chunk)
                event = _for_caller(opened, chunk, data)
                if event is not None:
                    yield event
        if opened.result_url:
            yield _event(_closing_chunk(opened, seen))
        yield DONE
    except (TimeoutError, httpx.HTTPError) as exc:
        log.warning("completions.stream_broken result=%s error=%r", opened.result_id, exc)
        seen.failed = True
        yield _event(
            {
                "error": {
                    "message": "The model provider's stream broke off.",
                    "type": "server_error",
                    "code": "upstream_error",
                    "param": None,
                }
            }
        )
    finally:
        await shielded(_close_and_settle(clients, opened, seen, upstream))


def _for_caller(opened: OpenCall, chunk: dict[str, Any], data: str) -> bytes | None:
    """The chunk as the caller should see it (None: not for them), re-encoded only when it changed."""
    changed = False
    if not opened.call.include_usage and "usage" in chunk:
        if not chunk.get("choices"):
            return None  # the usage-only chunk they did not ask for
        del chunk["usage"]
        changed = True
    if opened.result_url and chunk.get("id") != opened.result_id:
        chunk["id"], changed = opened.result_id, True
    return _event(chunk) if changed else b"data: " + data.encode() + b"\n\n"


def _closing_chunk(opened: OpenCall, seen: _Collected) -> dict[str, Any]:
    return {
        "id": opened.result_id,
        "object": "chat.completion.chunk",
        "created": seen.created or int(time.time()),
        "model": seen.model or opened.call.model,
        "choices": [],
        "result_url": opened.result_url,
    }


async def _close_and_settle(
    clients: CompletionClients, opened: OpenCall, seen: _Collected, upstream: AsyncExitStack
) -> None:
    await upstream.aclose()  # ends the upstream call too when the caller left early
    text = seen.text
    if not text and seen.usage is None and (seen.failed or seen.finish_reason is None):
        await accounting.fail_call(clients.sessions, opened.result_id, "upstream_error", "no answer was streamed")
        return
    usage = usage_or_estimate(seen.usage, opened.call.prompt_tokens, text)
    answer = Answer(text, usage)
    if opened.result_url:
        record: dict[str, Any] = dict(opened.call.kept_request)
        if seen.finish_reason and not seen.tool_calls:  # a plain text answer can be replayed from the cache
            record["response"] = completion_object(opened, seen.model, seen.created, text, seen.finish_reason, usage)
        answer = Answer(text, usage, await render_answer(text), record)
    await accounting.settle_call(clients.sessions, clients.catalog, opened.result_id, answer)


def completion_object(
    opened: OpenCall, model: str | None, created: int | None, text: str, finish_reason: str, usage: Usage
) -> dict[str, Any]:
    """The `chat.completion` a non-streamed call would have answered."""
    return {
        "id": opened.result_id,
        "object": "chat.completion",
        "created": created or int(time.time()),
        "model": model or opened.call.model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish_reason}],
        "usage": {
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.prompt_tokens + usage.completion_tokens,
        },
        "result_url": opened.result_url,
    }


async def replay(response: dict[str, Any], include_usage: bool) -> AsyncIterator[bytes]:
    """A kept answer streamed again (a cache hit asked for with `X-Cache: use`)."""
    head = {key: response.get(key) for key in ("id", "created", "model")} | {"object": "chat.completion.chunk"}
    choice = (response.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    delta = {"role": "assistant", "content": message.get("content") or ""}
    yield _event(head | {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
    yield _event(head | {"choices": [{"index": 0, "delta": {}, "finish_reason": choice.get("finish_reason")}]})
    if include_usage and response.get("usage"):
        yield _event(head | {"choices": [], "usage": response["usage"]})
    if response.get("result_url"):
        yield _event(head | {"choices": [], "result_url": response["result_url"]})
    yield DONE
