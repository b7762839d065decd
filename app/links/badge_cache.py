"""Badges remembered in memory for a few seconds, so a README viewed often costs a dict lookup.

Dropped with the repository's visitor links (app.links.invalidation reaches every web process on a push,
a visibility change or an uninstall), so a badge changes as soon as its link does.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from app.links.badges import Badge

BadgeKey = tuple[str, str, str, str]  # owner, repo (lower-case), branch ("" = default), context id ("" = repo)


def badge_key(owner: str, repo: str, branch: str | None, context_id: str | None) -> BadgeKey:
    """One badge URL, spelled the way every spelling of it is looked up (names are case-insensitive)."""
    return (owner.lower(), repo.lower(), branch or "", context_id or "")


class BadgeCache:
    """A bounded LRU with expiry; single-threaded use inside one event loop."""

    def __init__(self, ttl_seconds: float, max_entries: int = 20_000):
        self._ttl = ttl_seconds
        self._max = max_entries
        self._entries: OrderedDict[BadgeKey, tuple[Badge, float]] = OrderedDict()

    def get(self, key: BadgeKey) -> Badge | None:
        """The badge while fresh, else None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if time.monotonic() > entry[1]:
            del self._entries[key]
            return None
        return entry[0]

    def put(self, key: BadgeKey, badge: Badge) -> None:
        """Remember a badge for the TTL (nothing when the TTL is 0)."""
        if self._ttl <= 0:
            return
        self._entries[key] = (badge, time.monotonic() + self._ttl)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def forget_repo(self, owner: str, repo: str) -> None:
        """Drop every badge of a repository."""
        prefix = (owner.lower(), repo.lower())
        for key in [k for k in self._entries if k[:2] == prefix]:
            del self._entries[key]

    def clear(self) -> None:
        """Drop every badge."""
        self._entries.clear()
