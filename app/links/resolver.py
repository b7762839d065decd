"""Serving visitor links and badges: memory cache first, then one database lookup per link at a time.

Concurrent misses for the same link share one lookup (single flight in this process, on top of the
database's unique link key), and a stale cache entry is served while one background lookup refreshes it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from prometheus_client import Counter

from app.context_files.checks import CheckClients
from app.jobs_catalog import generate_job
from app.links.badge_cache import BadgeCache, BadgeKey, badge_key
from app.links.badges import Badge, context_badge, repository_badge
from app.links.branches import BranchLookups
from app.links.cache import CachedLink, LinkCache, LinkKey, PrivateLink
from app.links.errors import GitHubUnavailable, LinkError, PrivateRefused, RateLimited
from app.links.ratelimit import make_rate_limiter
from app.links.resolve import LinkOutcome, LinkRequest, resolve_link
from app.queue import JobQueue

log = logging.getLogger("contextjson.links")

_LINKS = Counter("contextjson_link_requests", "Visitor link requests by how they were answered", ["outcome"])
# Children bound once: a labelled lookup per request would cost more than the cached hit itself.
HIT, STALE_HIT, LOOKUP, GENERATED, REFUSED = (
    _LINKS.labels(name) for name in ("hit", "stale_hit", "lookup", "generated", "refused")
)


class LinkResolver:
    """Per-process state for answering links: the link cache, client limits, in-flight lookups and refreshes.

    Web processes only: a worker never answers links, so it holds none of this.
    """

    def __init__(self, clients: CheckClients, queue: JobQueue):
        self._clients = clients
        self._queue = queue
        settings = clients.settings
        self.sessions = clients.sessions  # for the badge, which reads without resolving
        self.secret_key = settings.secret_key  # keys the client hashes of the rate limits
        self.cache = LinkCache(settings.link_cache_ttl_seconds)
        self.badges = BadgeCache(settings.link_cache_ttl_seconds)
        self._badge_reads: dict[BadgeKey, asyncio.Task[Badge]] = {}
        self.rate_limiter = make_rate_limiter(settings.redis_url, settings.visitor_generations_per_hour)
        self._inflight: dict[LinkKey, asyncio.Task[LinkOutcome]] = {}
        # Bumped by every forget: a lookup that started before one may have read what was just
        # invalidated, so it answers its caller but does not put its answer in the cache.
        self._epoch = 0
        self.lookups = BranchLookups(
            self.rate_limiter,
            lookups_per_hour=settings.branch_lookups_per_hour,
            miss_ttl_seconds=settings.branch_miss_ttl_seconds,
        )

    def cached(self, key: LinkKey, link: Callable[[], LinkRequest]) -> CachedLink | None:
        """The cached result id (refreshing it in the background when stale), or None on a miss.

        A private repository's link comes back as a PrivateLink, which the caller must admit the visitor to;
        stale, it is a miss (looked up again on behalf of a visitor, never refreshed without one).
        `link` builds the full request only when a refresh needs it (hashing the client address costs
        more than a fresh hit).
        """
        result_id, fresh = self.cache.lookup(key)
        if result_id is None:
            return None
        if fresh:
            HIT.inc()
        else:
            if result_id.__class__ is not str:
                return None
            STALE_HIT.inc()
            if key not in self._inflight:
                task = self._start(key, link())
                task.add_done_callback(self._log_refresh_failure)
        return result_id

    async def resolve(self, key: LinkKey, link: LinkRequest) -> LinkOutcome:
        """The result for a missed link; raises LinkError. Callers for one key share one lookup.

        `created` is true only for the caller whose lookup started a new result, not for those that joined it.
        """
        task = self._inflight.get(key)
        if task is None:
            return await asyncio.shield(self._start(key, link))
        try:
            shared = await asyncio.shield(task)
        except (RateLimited, PrivateRefused):
            # Another client's limit, or a visitor refused a private repository: look again as ourselves.
            return await self._lookup(key, link)
        return replace(shared, created=False)

    def _start(self, key: LinkKey, link: LinkRequest) -> asyncio.Task[LinkOutcome]:
        task = asyncio.create_task(self._lookup(key, link))
        self._inflight[key] = task
        task.add_done_callback(lambda _: self._inflight.pop(key, None))
        return task

    async def _lookup(self, key: LinkKey, link: LinkRequest) -> LinkOutcome:
        LOOKUP.inc()
        epoch = self._epoch
        try:
            outcome = await resolve_link(self._clients, link, self.lookups, self.rate_limiter)
        except LinkError as exc:
            if not isinstance(exc, GitHubUnavailable):
                # A refused link must stop answering from memory at once (uninstalled, made private,
                # context removed...); only a passing GitHub outage keeps serving what was cached.
                self.cache.forget(key)
            raise
        if outcome.created:
            GENERATED.inc()
            await self._enqueue(outcome.result_id)
            log.info("links.generation_queued result=%s link=%s", outcome.result_id, "/".join(key))
        if epoch == self._epoch:
            private = outcome.private
            self.cache.put(key, outcome.result_id if private is None else PrivateLink(outcome.result_id, private))
        return outcome

    async def badge(self, owner: str, repo: str, branch: str | None, context_id: str | None) -> Badge:
        """A context's badge (context_id None: the repository's): from memory, else a few indexed reads.

        Concurrent misses for one badge share one read, as link lookups do.
        """
        key = badge_key(owner, repo, branch, context_id)
        badge = self.badges.get(key)
        if badge is not None:
            return badge
        task = self._badge_reads.get(key)
        if task is None:
            task = asyncio.create_task(self._read_badge(key, owner, repo, branch, context_id))
            self._badge_reads[key] = task
            task.add_done_callback(lambda _: self._badge_reads.pop(key, None))
        return await asyncio.shield(task)

    async def _read_badge(
        self, key: BadgeKey, owner: str, repo: str, branch: str | None, context_id: str | None
    ) -> Badge:
        epoch = self._epoch
        async with self.sessions() as session:
            if context_id is None:
                badge = await repository_badge(session, owner, repo, branch)
            else:
                badge = await context_badge(session, owner, repo, branch, context_id)
        if epoch == self._epoch:  # read before a forget: answer it, do not keep it
            self.badges.put(key, badge)
        return badge

    async def _enqueue(self, result_id: str) -> None:
        try:
            await self._queue.enqueue(generate_job(result_id))
        except Exception:
            # The pending result is committed: the periodic requeue starts it once the queue is back, and
            # the visitor's page waits for it meanwhile.
            log.exception("links.enqueue_failed result=%s", result_id)

    def forget_repo(self, owner: str, repo: str) -> None:
        """Drop everything this process remembers about a repository's links (push, rename, visibility)."""
        self._epoch += 1
        self.cache.forget_repo(owner, repo)
        self.badges.forget_repo(owner, repo)
        self.lookups.forget_repo(owner, repo)

    def forget_result(self, result_id: str) -> None:
        """Drop links that point at a result (it failed, or may no longer be shown)."""
        self._epoch += 1
        self.cache.forget_result(result_id)

    def forget_all(self) -> None:
        """Drop everything remembered about links (invalidations may have been missed, e.g. Redis was away)."""
        self._epoch += 1
        self.cache.clear()
        self.badges.clear()
        self.lookups.clear()

    async def close(self) -> None:
        """Stop lookups still running (a refresh started by the last stale hit) before the database goes away."""
        tasks: list[asyncio.Task[Any]] = [*self._inflight.values(), *self._badge_reads.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # each closes its session on the way out
        await self.rate_limiter.close()

    def _log_refresh_failure(self, task: asyncio.Task[LinkOutcome]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.info("links.refresh_failed error=%s", task.exception())
