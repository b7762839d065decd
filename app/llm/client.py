"""LLMClient: chat completions against any OpenAI-compatible API, streamed, with retries and deadlines.

Timeouts are enforced here with asyncio deadlines rather than httpx's per-read timeouts, because the limits
that matter are about the generation, not single socket reads: time to the first token (a model may think
for a while after sending its role chunk), the gap between chunks once tokens flow, and a total across all
attempts. httpx only keeps its connect timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any, TypeVar, cast

import httpx

from app.llm.errors import AttemptFailed, MalformedPayload, UpstreamError, status_failure, transport_failure
from app.llm.retry import Backoff, Deadline, earliest
from app.llm.sse import SSEDecoder
from app.llm.types import ChatRequest, Completion, Usage
from app.llm.wire import parse_chunk, parse_completion, parse_json_object

__all__ = ["ChatRequest", "Completion", "LLMClient", "UpstreamError", "Usage"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
OnDelta = Callable[[str], Awaitable[None]]
OnReset = Callable[[], Awaitable[None]]

_ERROR_BODY_LIMIT = 64 * 1024
_DRAIN_SECONDS = 1.0
_USER_AGENT = "contextjson/0.1"


@dataclass
class _Progress:
    """What the current streamed attempt has produced so far."""

    parts: list[str] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage | None = None
    started: bool = False  # the model produced something: from now on idle_timeout applies, not first_token
    done: bool = False  # `[DONE]` (or a whole JSON answer) arrived

    def completion(self) -> Completion:
        """The finished answer (attempts is filled in by the retry loop)."""
        return Completion("".join(self.parts), self.usage, self.finish_reason, attempts=1)


class LLMClient:
    """Chat completions over one pooled HTTP client; safe to share between concurrent generations."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        max_attempts: int = 3,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        connect_timeout: float = 10.0,
        first_token_timeout: float = 120.0,
        idle_timeout: float = 60.0,
        total_timeout: float = 600.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._max_attempts = max_attempts
        self._backoff = Backoff(backoff_base, backoff_cap)
        self._connect_timeout = connect_timeout
        self._first_token_timeout = first_token_timeout
        self._idle_timeout = idle_timeout
        self._total_timeout = total_timeout
        headers = {"User-Agent": _USER_AGENT}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        timeout = httpx.Timeout(None, connect=connect_timeout)
        self._http = httpx.AsyncClient(headers=headers, timeout=timeout, transport=transport)

    async def __aenter__(self) -> LLMClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._http.aclose()

    async def stream_chat(self, request: ChatRequest, on_delta: OnDelta, on_reset: OnReset) -> Completion:
        """Stream a completion, calling `on_delta` per content chunk and `on_reset` before a retry discards them."""
        body = request.body(stream=True)
        delivered = False

        async def deliver(text: str) -> None:
            nonlocal delivered
            delivered = True
            await on_delta(text)

        async def reset() -> None:
            nonlocal delivered
            if delivered:
                delivered = False
                await on_reset()

        return await self._with_retries(lambda total: self._stream_attempt(body, deliver, total), reset)

    async def complete(self, request: ChatRequest) -> Completion:
        """A non-streamed completion; each attempt may take up to what is left of total_timeout."""
        body = request.body(stream=False)

        async def nothing_to_reset() -> None:
            return None

        return await self._with_retries(lambda total: self._complete_attempt(body, total), nothing_to_reset)

    # --- retries -------------------------------------------------------------------------------------

    @property
    def total_timeout(self) -> float:
        return self._total_timeout

    @contextlib.asynccontextmanager
    async def passthrough(self, body: dict[str, Any], *, stream: bool) -> AsyncIterator[httpx.Response]:
        """One call with a caller's own body (the OpenAI-compatible API), whatever its status; body unread.

        No retries: the caller is a program with its own retry policy (the OpenAI SDK retries 429 and 5xx),
        and a streamed answer cannot be taken back once relayed.
        """
        accept = "text/event-stream" if stream else "application/json"
        request = self._http.build_request("POST", self._url, json=body, headers={"Accept": accept})
        response = await self._http.send(request, stream=True)
        try:
            yield response
        finally:
            await response.aclose()

    async def _with_retries(
        self, attempt: Callable[[Deadline], Awaitable[Completion]], before_retry: Callable[[], Awaitable[None]]
    ) -> Completion:
        total = Deadline.after(self._total_timeout, f"no complete answer within {self._total_timeout:g} s")
        number = 0
        while True:
            number += 1
            try:
                return replace(await attempt(total), attempts=number)
            except AttemptFailed as failure:
                delay = self._retry_delay(failure, number, total)
                if delay is None:
                    raise failure.final(number) from failure
                logger.warning(
                    "LLM attempt %d/%d failed (%s); retrying in %.2f s", number, self._max_attempts, failure, delay
                )
                await before_retry()
                await asyncio.sleep(delay)

    def _retry_delay(self, failure: AttemptFailed, number: int, total: Deadline) -> float | None:
        """Seconds to wait before the next attempt, or None when this failure is final."""
        if not failure.retryable or number >= self._max_attempts:
            return None
        delay = self._backoff.delay(failure, number)
        # Sleeping past the total deadline could only end in a timeout, so report the real failure now.
        return delay if delay < total.remaining() else None

    # --- attempts ------------------------------------------------------------------------------------

    async def _stream_attempt(self, body: dict[str, Any], deliver: OnDelta, total: Deadline) -> Completion:
        first = Deadline.after(self._first_token_timeout, f"no first token within {self._first_token_timeout:g} s")
        async with self._open(body, earliest(first, total), accept="text/event-stream") as response:
            progress = await self._read_stream(response, deliver, first, total)
        return progress.completion()

    async def _complete_attempt(self, body: dict[str, Any], total: Deadline) -> Completion:
        async with self._open(body, total, accept="application/json") as response:
            content = await self._timed(response.aread(), total, in_body=True)
        text, finish_reason, usage = parse_completion(parse_json_object(content, "response"))
        return Completion(text, usage, finish_reason, attempts=1)

    @contextlib.asynccontextmanager
    async def _open(self, body: dict[str, Any], deadline: Deadline, *, accept: str) -> AsyncIterator[httpx.Response]:
        """POST the request; yields a 2xx response with its body unread, raises AttemptFailed otherwise."""
        request = self._http.build_request("POST", self._url, json=body, headers={"Accept": accept})
        response = await self._timed(self._http.send(request, stream=True), deadline)
        try:
            if not response.is_success:
                raise status_failure(response, await self._error_body(response, deadline))
            yield response
        finally:
            await response.aclose()

    async def _error_body(self, response: httpx.Response, deadline: Deadline) -> bytes:
        try:
            return await self._timed(_read_limited(response, _ERROR_BODY_LIMIT), deadline, in_body=True)
        except AttemptFailed:
            return b""  # the status alone still says what went wrong

    async def _timed(self, awaitable: Awaitable[T], deadline: Deadline, *, in_body: bool = False) -> T:
        """Await within `deadline`, turning timeouts and network errors into AttemptFailed."""
        try:
            async with asyncio.timeout(deadline.remaining()):
                return await awaitable
        except TimeoutError:
            raise AttemptFailed(deadline.message) from None
        except httpx.TransportError as exc:
            raise transport_failure(exc, connect_timeout=self._connect_timeout, in_body=in_body) from exc

    # --- reading a stream ----------------------------------------------------------------------------

    async def _read_stream(
        self, response: httpx.Response, deliver: OnDelta, first: Deadline, total: Deadline
    ) -> _Progress:
        progress = _Progress()
        if response.headers.get("content-type", "").startswith("application/json"):
            await self._read_whole(response, deliver, progress, total)
            return progress
        decoder = SSEDecoder()
        # aiter_lines yields each line as soon as its bytes arrive, so deltas are not held back by buffering.
        lines = cast(AsyncGenerator[str, None], response.aiter_lines())
        async with contextlib.aclosing(lines):
            while not progress.done and (line := await self._next_line(lines, progress, first, total)) is not None:
                data = decoder.feed(line)
                if data is not None:
                    await self._on_event(data, progress, deliver)
            if progress.done:
                await self._drain(lines, total)
            else:
                await self._on_last_event(decoder.flush(), progress, deliver)
        if progress.finish_reason is None and not progress.done:
            raise AttemptFailed("stream ended before completion")
        return progress

    async def _next_line(
        self, lines: AsyncIterator[str], progress: _Progress, first: Deadline, total: Deadline
    ) -> str | None:
        """The next line, or None at the end of the stream."""
        waiting = first
        if progress.started:
            waiting = Deadline.after(self._idle_timeout, f"no data for {self._idle_timeout:g} s")
        try:
            return await self._timed(anext(lines, None), earliest(waiting, total), in_body=True)
        except AttemptFailed:
            if progress.finish_reason is not None:
                return None  # the answer is complete; only the trailing usage chunk or [DONE] went missing
            raise

    async def _on_event(self, data: str, progress: _Progress, deliver: OnDelta) -> None:
        if data.strip() == "[DONE]":
            progress.done = True
            return
        chunk = parse_chunk(parse_json_object(data, "stream event"))
        progress.started = progress.started or chunk.progress
        progress.finish_reason = chunk.finish_reason or progress.finish_reason
        progress.usage = chunk.usage or progress.usage
        if chunk.content:
            progress.parts.append(chunk.content)
            await deliver(chunk.content)

    async def _on_last_event(self, data: str | None, progress: _Progress, deliver: OnDelta) -> None:
        """An event left without its closing blank line at the end of the stream."""
        if data is None:
            return
        # Cut off inside the event: leave it to the completeness check, which reports the cut stream.
        with contextlib.suppress(MalformedPayload):
            await self._on_event(data, progress, deliver)

    async def _drain(self, lines: AsyncIterator[str], total: Deadline) -> None:
        # Reading to the end of the body lets httpx put the connection back in the pool (keep-alive).
        deadline = earliest(Deadline.after(_DRAIN_SECONDS, "drain"), total)
        with contextlib.suppress(AttemptFailed):
            while await self._timed(anext(lines, None), deadline, in_body=True) is not None:
                pass

    async def _read_whole(
        self, response: httpx.Response, deliver: OnDelta, progress: _Progress, total: Deadline
    ) -> None:
        """A JSON body where a stream was asked for: a server that ignores `stream`, or an error sent with 200."""
        content = await self._timed(response.aread(), total, in_body=True)
        text, progress.finish_reason, progress.usage = parse_completion(parse_json_object(content, "response"))
        progress.done = True
        if text:
            progress.parts.append(text)
            await deliver(text)


async def _read_limited(response: httpx.Response, limit: int) -> bytes:
    """At most `limit` bytes of the body (error bodies are small; a huge one is not worth reading)."""
    content = b""
    async for piece in response.aiter_bytes():
        content += piece
        if len(content) >= limit:
            break
    return content[:limit]
