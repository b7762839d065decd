"""In-memory map from a visitor link to its result, so a cached click costs one dict lookup.

Entries are fresh for `ttl` seconds. After that they are still served (stale) for up to `max_stale`
seconds while one background lookup refreshes them, so a busy link never stalls when its entry expires.
A replica that did not process a push therefore serves the previous answer for about `ttl` seconds; the
process that handles the push drops the repository's entries at once.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

from app.private_repos.access import PrivateRepo

LinkKey = tuple[str, str, str, str]  # owner, repo (lower-case), branch ("" = default), context id


@dataclass(frozen=True, slots=True)
class PrivateLink:
    """A private repository's link: served only to a visitor admitted to `repo` (public links are a plain id)."""

    result_id: str
    repo: PrivateRepo


CachedLink = str | PrivateLink  # a public link's result id, or a private one


def result_id_of(cached: CachedLink) -> str:
    return cached.result_id if isinstance(cached, PrivateLink) else cached


class LinkCache:
    """A bounded LRU with expiry; single-threaded use inside one event loop."""

    def __init__(self, ttl_seconds: float, max_entries: int = 100_000, max_stale_seconds: float = 300.0):
        self._ttl = ttl_seconds
        self._max = max_entries
        self._max_stale = max_stale_seconds
        self._entries: OrderedDict[LinkKey, tuple[CachedLink, float]] = OrderedDict()  # result, fresh until

    @staticmethod
    def key(owner: str, repo: str, branch: str | None, context_id: str) -> LinkKey:
        return (owner.lower(), repo.lower(), branch or "", context_id)

    def get(self, key: LinkKey) -> CachedLink | None:
        """The cached result while fresh, else None."""
        result_id, fresh = self.lookup(key)
        return result_id if fresh else None

    def lookup(self, key: LinkKey) -> tuple[CachedLink | None, bool]:
        """(result or None, whether it is still fresh); entries too old to serve are dropped."""
        entry = self._entries.get(key)
        if entry is None:
            return None, False
        result_id, fresh_until = entry
        now = time.monotonic()
        if now <= fresh_until:
            return result_id, True
        if now > fresh_until + self._max_stale:
            del self._entries[key]
            return None, False
        return result_id, False

    def put(self, key: LinkKey, result_id: CachedLink) -> None:
        if self._ttl <= 0:
            return
        self._entries[key] = (result_id, time.monotonic() + self._ttl)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        """Drop every entry."""
        self._entries.clear()

    def forget(self, key: LinkKey) -> None:
        """Drop one link (its lookup was refused)."""
        self._entries.pop(key, None)

    def forget_repo(self, owner: str, repo: str) -> None:
        """Drop every entry of a repository (after a push or a settings change)."""
        prefix = (owner.lower(), repo.lower())
        for key in [k for k in self._entries if k[:2] == prefix]:
            del self._entries[key]

    def forget_result(self, result_id: str) -> None:
        """Drop entries pointing at a result that failed (a new click should try again)."""
        for key in [k for k, (cached, _) in self._entries.items() if result_id_of(cached) == result_id]:
            del self._entries[key]
