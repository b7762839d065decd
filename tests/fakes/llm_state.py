"""Records and plans of the fake LLM: recorded calls, injected faults, scripts and per-request plans."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.llm_wire import LLMError


@dataclass
class RecordedCall:
    """One POST /chat/completions as received: parsed JSON body (None if not an object) and lower-cased headers."""

    body: dict[str, Any] | None
    headers: dict[str, str]
    received_at: float  # time.monotonic()
    status: int = 200  # the status the fake chose (200 also for stalled and cut responses)
    fault: str | None = None  # "fail", "rate_limit", "stall" or "cut" when an injected fault applied

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The request's messages ([] when the body was invalid)."""
        messages = (self.body or {}).get("messages")
        return messages if isinstance(messages, list) else []

    @property
    def model(self) -> str | None:
        """The requested model."""
        return (self.body or {}).get("model")


@dataclass(eq=False)
class Fault:
    """A pending injected failure, consumed by the next matching requests."""

    kind: str
    remaining: int
    status: int = 500
    message: str | None = None
    seconds: float = 0.0
    after_chunks: int = 0
    retry_after: float = 1

    def error(self) -> LLMError:
        """The error response of a "fail" or "rate_limit" fault."""
        if self.kind == "rate_limit":
            retry_after = f"{self.retry_after:g}"
            return LLMError(
                429,
                f"Rate limit reached for requests. Please try again in {retry_after}s.",
                code="rate_limit_exceeded",
                headers={"retry-after": retry_after, "x-ratelimit-remaining-requests": "0"},
            )
        return LLMError(self.status, self.message or f"Injected failure ({self.status})")


@dataclass(eq=False)
class Script:
    """A scripted reply; `match=None` applies to any request, `remaining=None` never runs out."""

    text: str
    remaining: int | None
    match: Callable[[dict[str, Any]], bool] | None = None


@dataclass
class Reply:
    """A successful completion, decided when the request arrived."""

    id: str
    created: int
    model: str
    chunks: list[str]
    finish_reason: str
    usage: dict[str, int]
    stream: bool
    include_usage: bool
    first_token_delay: float
    token_delay: float
    cut_after: int | None  # close the stream after this many SSE events

    @property
    def text(self) -> str:
        """The full reply content."""
        return "".join(self.chunks)


@dataclass
class Plan:
    """What to do with one request: an optional stall, then an error or a reply."""

    stall: float = 0.0
    error: LLMError | None = None
    reply: Reply | None = field(default=None)
