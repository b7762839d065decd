"""Deterministic reply text, chunking and token estimates of the fake LLM (pure functions tests can reuse)."""

from __future__ import annotations

import itertools
import math
import re
from typing import Any

DEFAULT_REPLY_WORDS = 40
SNIPPET_CHARS = 60
PER_MESSAGE_TOKENS = 4
FILLER_WORDS = ("lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do")

# A chunk is a word with the whitespace before it, so chunks join back to the exact text; trailing
# whitespace becomes its own last chunk rather than being lost.
_CHUNK_RE = re.compile(r"\s*\S+|\s+\Z")


def message_text(message: dict[str, Any]) -> str:
    """The text of one chat message: a string content, or the text parts of a content list."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def all_text(messages: list[dict[str, Any]]) -> str:
    """Every message's text joined with newlines (what substring scripts match against)."""
    return "\n".join(message_text(m) for m in messages)


def split_chunks(text: str) -> list[str]:
    """The streamed content deltas for `text`: one per word, and `"".join(chunks) == text`."""
    return _CHUNK_RE.findall(text)


def estimate_prompt_tokens(messages: list[dict[str, Any]]) -> int:
    """ceil(characters of all message texts / 4) + 4 per message."""
    chars = sum(len(message_text(m)) for m in messages)
    return math.ceil(chars / 4) + PER_MESSAGE_TOKENS * len(messages)


def estimate_completion_tokens(text: str) -> int:
    """One token per streamed chunk (word)."""
    return len(split_chunks(text))


def default_reply(messages: list[dict[str, Any]], reply_words: int = DEFAULT_REPLY_WORDS) -> str:
    """`Answer to: <first 60 chars of the last user (else system) message>` padded with filler words."""
    source = _last_with_role(messages, ("user",)) or _last_with_role(messages, ("system", "developer"))
    snippet = " ".join(message_text(source).split())[:SNIPPET_CHARS] if source else ""
    words = f"Answer to: {snippet}".split()
    filler = itertools.cycle(FILLER_WORDS)
    while len(words) < reply_words:
        words.append(next(filler))
    return " ".join(words)


def _last_with_role(messages: list[dict[str, Any]], roles: tuple[str, ...]) -> dict[str, Any] | None:
    return next((m for m in reversed(messages) if m.get("role") in roles), None)
