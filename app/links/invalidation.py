"""Telling every web process to drop what it remembers about a repository's links or a result.

Link answers are cached in each web process's memory, so a change made elsewhere (a push, a repository
made private, an uninstall, a failed result) must reach all of them at once. With REDIS_URL set, a change
is published on one Redis pub/sub channel and every web process applies it; without Redis there is one
process and it is applied in place. Each process also applies its own changes at once, without waiting
for the round trip.

A change stored in a transaction is announced only after that transaction commits
(`forget_after_commit`): announced earlier, another process could look the link up again before the
change is visible and cache the old answer for the whole TTL.

Messages missed while a subscriber is disconnected are not replayed: on subscribing again, the process
forgets every cached link instead (the next click on each looks it up once).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.asyncio.connection import parse_url
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger("contextjson.links")

CHANNEL_PREFIX = "cj:invalidate"
_PENDING = "contextjson.invalidations"  # key in a session's `info`: changes waiting for its commit
_LISTENING = "contextjson.invalidation_hooks"  # the session's commit hooks are registered
_MAX_BACKOFF = 30.0


class Forgetter(Protocol):
    """What a web process drops when told to (LinkResolver implements it)."""

    def forget_repo(self, owner: str, repo: str) -> None: ...

    def forget_result(self, result_id: str) -> None: ...

    def forget_all(self) -> None: ...


@dataclass
class Invalidation:
    """Repositories (owner, name) and results whose cached links must be dropped."""

    repos: list[tuple[str, str]] = field(default_factory=list)
    results: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.repos or self.results)

    def to_json(self) -> str:
        return json.dumps({"repos": self.repos, "results": self.results}, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> Invalidation:
        data = json.loads(raw)
        repos = [(str(owner), str(name)) for owner, name in data.get("repos", [])]
        return cls(repos=repos, results=[str(r) for r in data.get("results", [])])


class InvalidationBus:
    """In-process bus: changes are applied to this process's listeners only (no REDIS_URL)."""

    def __init__(self) -> None:
        self._listeners: list[Forgetter] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def attach(self, listener: Forgetter) -> None:
        """Apply every change announced from now on to `listener` (a web process's LinkResolver)."""
        self._listeners.append(listener)

    async def start(self) -> None:
        """Begin receiving changes announced by other processes (nothing to do in process)."""

    async def forget_repo(self, owner: str, repo: str) -> None:
        """Every process drops its cached links of owner/repo."""
        await self.publish(Invalidation(repos=[(owner, repo)]))

    async def forget_result(self, result_id: str) -> None:
        """Every process drops its cached links that point at a result."""
        await self.publish(Invalidation(results=[result_id]))

    async def publish(self, change: Invalidation) -> None:
        """Announce a change (already committed) to every web process."""
        self._apply(change)

    def forget_after_commit(
        self, session: AsyncSession, *, repos: Iterable[tuple[str, str]] = (), results: Iterable[str] = ()
    ) -> None:
        """Announce these changes once `session` commits (dropped if it rolls back)."""
        sync_session = session.sync_session
        if not sync_session.info.get(_LISTENING):
            sync_session.info[_LISTENING] = True
            event.listen(sync_session, "after_commit", self._on_commit)
            event.listen(sync_session, "after_transaction_end", _on_transaction_end)
        pending: Invalidation = sync_session.info.setdefault(_PENDING, Invalidation())
        pending.repos.extend(repos)
        pending.results.extend(results)

    def _on_commit(self, sync_session: Any) -> None:
        change: Invalidation | None = sync_session.info.pop(_PENDING, None)
        if change:
            self._apply(change)  # this process at once; the others through the channel
            self._announce_later(change)

    def _announce_later(self, change: Invalidation) -> None:
        """Tell the other processes, from a commit hook (nothing to do in process)."""

    def _apply(self, change: Invalidation) -> None:
        for listener in self._listeners:
            for owner, repo in change.repos:
                listener.forget_repo(owner, repo)
            for result_id in change.results:
                listener.forget_result(result_id)

    async def flush(self) -> None:
        """Wait until every announcement scheduled by a commit has been sent."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        await self.flush()


def _on_transaction_end(sync_session: Any, transaction: Any) -> None:
    # After a commit the changes were taken already; after a rollback (or close) they never happened.
    if transaction.parent is None:
        sync_session.info.pop(_PENDING, None)


class RedisInvalidationBus(InvalidationBus):
    """Changes go through Redis pub/sub to every web process, and are applied here at once too."""

    def __init__(self, redis_url: str) -> None:
        super().__init__()
        self._url = redis_url
        self._publisher: Redis | None = None
        self._listener_task: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self.channel = channel_name(redis_url)

    async def publish(self, change: Invalidation) -> None:
        self._apply(change)
        await self._announce(change)

    def _announce_later(self, change: Invalidation) -> None:
        task = asyncio.get_running_loop().create_task(self._announce(change))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _announce(self, change: Invalidation) -> None:
        if self._publisher is None:
            # Small and quick to give up: a lost announcement is bounded by the cache TTL, a stuck job is not.
            self._publisher = Redis.from_url(self._url, max_connections=4, socket_connect_timeout=2, socket_timeout=2)
        for attempt in (1, 2):  # the second try gets a fresh connection if Redis restarted meanwhile
            try:
                await self._publisher.publish(self.channel, change.to_json())
                return
            except (RedisError, OSError) as exc:
                if attempt == 2:
                    log.warning("links.invalidation.publish_failed error=%s", exc)

    @property
    def subscribed(self) -> bool:
        """Whether this process is listening to the channel right now."""
        return self._subscribed.is_set()

    async def start(self, ready_timeout: float = 2.0) -> None:
        """Subscribe in the background (reconnecting forever); wait briefly for the first subscription."""
        if self._listener_task is None:
            self._listener_task = asyncio.create_task(self._listen_forever(), name="links.invalidation")
        try:
            await asyncio.wait_for(self._subscribed.wait(), ready_timeout)
        except TimeoutError:
            log.warning("links.invalidation.not_subscribed_yet channel=%s (retrying in the background)", self.channel)

    async def _listen_forever(self) -> None:
        backoff = 0.5
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis down or restarted: wait and subscribe again, never give up
                if self._subscribed.is_set():
                    backoff = 0.5  # it was working: start the backoff over
                self._subscribed.clear()
                log.warning("links.invalidation.disconnected error=%s retry_in=%.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(_MAX_BACKOFF, backoff * 2)

    async def _listen_once(self) -> None:
        client = Redis.from_url(self._url, socket_connect_timeout=2, socket_keepalive=True, health_check_interval=15)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
            if not self._subscribed.is_set():
                self._subscribed.set()
                log.info("links.invalidation.subscribed channel=%s", self.channel)
                # Whatever was announced while this process was not listening is lost: forget it all.
                for listener in self._listeners:
                    listener.forget_all()
            while True:
                message = await pubsub.get_message(timeout=5.0)
                if message is not None and message.get("type") == "message":
                    self._receive(message["data"])
        finally:
            await pubsub.aclose()
            await client.aclose()

    def _receive(self, raw: bytes) -> None:
        try:
            change = Invalidation.from_json(raw)
        except (ValueError, TypeError) as exc:
            log.warning("links.invalidation.bad_message error=%s", exc)
            return
        self._apply(change)

    async def close(self) -> None:
        await self.flush()
        if self._listener_task is not None:
            self._listener_task.cancel()
            await asyncio.gather(self._listener_task, return_exceptions=True)
            self._listener_task = None
        if self._publisher is not None:
            await self._publisher.aclose()
            self._publisher = None


def channel_name(redis_url: str) -> str:
    """One channel per Redis database: pub/sub ignores SELECT, so deployments sharing a server stay apart."""
    return f"{CHANNEL_PREFIX}:{parse_url(redis_url).get('db', 0)}"


def make_invalidation_bus(redis_url: str | None) -> InvalidationBus:
    """Through Redis when REDIS_URL is set (web processes and workers are separate), else in process."""
    return RedisInvalidationBus(redis_url) if redis_url else InvalidationBus()
