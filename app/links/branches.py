"""Guards on the GitHub lookups a visitor link can cause: branches GitHub said do not exist are
remembered for a while, and lookups of branches not yet known are limited per repository.

Branch heads normally come from pushes, so a link to a real branch needs no GitHub call. Only a branch
the service has never seen is asked about, and that is exactly what anyone can vary at will: without
these guards every click on `…/tree/<random>/…` would spend one call of the owner's installation quota.
A push drops a repository's remembered misses (through `forget_repo`), so a branch that is created is
found at once.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from app.links.ratelimit import RateLimiter

MissKey = tuple[str, str, str]  # owner, repo (lower-case), branch


class BranchLookups:
    """Per-process memory of missing branches plus a shared per-repository budget of GitHub lookups."""

    def __init__(
        self,
        limiter: RateLimiter,
        *,
        lookups_per_hour: int,
        miss_ttl_seconds: float = 60.0,
        max_misses: int = 10_000,
    ):
        self._limiter = limiter
        self._lookups_per_hour = lookups_per_hour
        self._ttl = miss_ttl_seconds
        self._max = max_misses
        self._misses: OrderedDict[MissKey, float] = OrderedDict()  # key → remembered until (monotonic)

    @staticmethod
    def _key(owner: str, repo: str, branch: str) -> MissKey:
        return (owner.lower(), repo.lower(), branch)

    def known_missing(self, owner: str, repo: str, branch: str) -> bool:
        """Whether GitHub said recently that this branch does not exist."""
        key = self._key(owner, repo, branch)
        until = self._misses.get(key)
        if until is None:
            return False
        if time.monotonic() > until:
            del self._misses[key]
            return False
        return True

    def remember_missing(self, owner: str, repo: str, branch: str) -> None:
        """Remember a "no such branch" answer for a while (bounded: the oldest are dropped first)."""
        key = self._key(owner, repo, branch)
        self._misses[key] = time.monotonic() + self._ttl
        self._misses.move_to_end(key)
        while len(self._misses) > self._max:
            self._misses.popitem(last=False)

    def forget_repo(self, owner: str, repo: str) -> None:
        """Drop a repository's remembered misses (a push may have created the branch)."""
        prefix = (owner.lower(), repo.lower())
        for key in [k for k in self._misses if k[:2] == prefix]:
            del self._misses[key]

    def clear(self) -> None:
        """Drop every remembered miss."""
        self._misses.clear()

    async def allow_lookup(self, repository_id: int, limit: int | None = None) -> int | None:
        """Count one GitHub lookup for the repository; None when allowed, else seconds to wait."""
        return await self._limiter.hit(f"branch-lookup:{repository_id}", limit or self._lookups_per_hour)
