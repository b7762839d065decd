"""Request and result types of the upstream chat completions client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion request to an OpenAI-compatible API."""

    model: str
    messages: list[dict[str, str]]
    max_tokens: int | None = None
    temperature: float | None = None

    def body(self, *, stream: bool) -> dict[str, Any]:
        """The OpenAI JSON body; streamed requests also ask for the final usage chunk."""
        body: dict[str, Any] = {"model": self.model, "messages": [dict(m) for m in self.messages]}
        if self.max_tokens is not None:
            # "max_tokens" rather than "max_completion_tokens": the older name is the one every compatible API knows.
            body["max_tokens"] = self.max_tokens
        if self.temperature is not None:
            body["temperature"] = self.temperature
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body


@dataclass(frozen=True)
class Usage:
    """Token counts the upstream reported (what billing charges)."""

    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class Completion:
    """A finished generation; `attempts` counts upstream calls including the successful one."""

    text: str
    usage: Usage | None
    finish_reason: str | None
    attempts: int
