"""In-memory map from a visitor link to its result, so a cached click costs one dict lookup.

Entries live `ttl` seconds: after a push, a replica that did not process it serves the previous answer
for at most that long. The process that handles the push drops the repository's entries at once.
"""

from __future__ import annotations

import time
from collections import OrderedDict

LinkKey = tuple[str, str, str, str]  # owner, repo (lower-case), branch ("" = default), context id


class LinkCache:
    """A bounded LRU with expiry; single-threaded use inside one event loop."""

    def __init__(self, ttl_seconds: float, max_entries: int = 100_000):
        self._ttl = ttl_seconds
        self._max = max_entries
        self._entries: OrderedDict[LinkKey, tuple[str, float]] = OrderedDict()

    @staticmethod
    def key(owner: str, repo: str, branch: str | None, context_id: str) -> LinkKey:
        return (owner.lower(), repo.lower(), branch or "", context_id)

    def get(self, key: LinkKey) -> str | None:
        """The cached result id, or None when absent or expired."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        result_id, expires = entry
        if expires < time.monotonic():
            del self._entries[key]
            return None
        return result_id

    def put(self, key: LinkKey, result_id: str) -> None:
        if self._ttl <= 0:
            return
        self._entries[key] = (result_id, time.monotonic() + self._ttl)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def forget_repo(self, owner: str, repo: str) -> None:
        """Drop every entry of a repository (after a push or a settings change)."""
        prefix = (owner.lower(), repo.lower())
        for key in [k for k in self._entries if k[:2] == prefix]:
            del self._entries[key]

    def forget_result(self, result_id: str) -> None:
        """Drop entries pointing at a result that failed (a new click should try again)."""
        for key in [k for k, (rid, _) in self._entries.items() if rid == result_id]:
            del self._entries[key]
