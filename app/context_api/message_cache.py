"""Built context messages kept in memory: one build per (repository, commit, context, entry, model) at a time.

A context's system message holds a whole repository (up to a model's context window), so building it costs a
snapshot read and a filter pass; API callers ask the same context many times. A commit never changes, so a
kept build never goes stale; the cache is bounded by the characters it holds (CONTEXT_MESSAGE_CACHE_CHARS),
least recently used dropped first.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

# repository id, commit, context id, the entry as canonical JSON, model, and the repository's full name and
# branch (the message names both: a rename, or one commit on two branches, is another message)
MessageKey = tuple[int, str, str, str, str, str, str]


@dataclass(frozen=True)
class BuiltMessages:
    messages: list[dict[str, str]]  # the system message(s) to put before the caller's
    context_text: str  # the repository context alone

    @property
    def chars(self) -> int:
        return sum(len(message["content"]) for message in self.messages) + len(self.context_text)


class ContextMessageCache:
    """An LRU of built messages bounded by characters; concurrent misses of one key share one build."""

    def __init__(self, max_chars: int):
        self.max_chars = max_chars
        self.chars = 0
        self._kept: OrderedDict[MessageKey, BuiltMessages] = OrderedDict()
        self._building: dict[MessageKey, asyncio.Task[BuiltMessages]] = {}

    def __len__(self) -> int:
        return len(self._kept)

    async def get(self, key: MessageKey, build: Callable[[], Awaitable[BuiltMessages]]) -> BuiltMessages:
        """The kept build of `key`, or the result of `build()` (kept when it fits)."""
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
            return kept
        task = self._building.get(key)
        if task is None:
            task = asyncio.ensure_future(build())
            self._building[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        return await asyncio.shield(task)

    def _finished(self, key: MessageKey, task: asyncio.Task[BuiltMessages]) -> None:
        self._building.pop(key, None)
        if not task.cancelled() and task.exception() is None:
            self._keep(key, task.result())

    def _keep(self, key: MessageKey, built: BuiltMessages) -> None:
        if built.chars > self.max_chars or key in self._kept:
            return
        self._kept[key] = built
        self.chars += built.chars
        while self.chars > self.max_chars:
            _, dropped = self._kept.popitem(last=False)
            self.chars -= dropped.chars
