"""Upstream LLM client: OpenAI-compatible chat completions, streamed to watchers, with retries and deadlines."""

from app.llm.client import LLMClient
from app.llm.errors import UpstreamError
from app.llm.sse import SSEDecoder
from app.llm.types import ChatRequest, Completion, Usage

__all__ = ["ChatRequest", "Completion", "LLMClient", "SSEDecoder", "UpstreamError", "Usage"]
