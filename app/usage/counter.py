"""Counting visitor clicks in memory on the hot path, and writing them in batches off it.

Each web process owns one UsageCounter (like its LinkResolver). A click is a few dictionary updates; every
USAGE_FLUSH_SECONDS, and once more on shutdown, what was counted is added to the database with one upsert
per key, so any number of processes add up. A crash loses at most the last few seconds of clicks, never
money (money is read from the ledger, see app.usage.report). A failed flush keeps its counts for the next
one, up to `max_keys` keys; beyond that the oldest are dropped and the loss is logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from litestar.types import HTTPScope

from app.db.engine import Sessions
from app.usage.repository import write_usage
from app.usage.tally import DayResult, Tally, day_of
from app.usage.visitors import VisitorHasher, referrer_host

log = logging.getLogger("contextjson.usage")

SECONDS_PER_DAY = 86_400
MAX_KEYS = 50_000  # (day, result) keys waiting to be written, per process
_HOST_MEMO = 4_096


class UsageCounter:
    """One process's click counts since the last flush, and the task that writes them."""

    def __init__(
        self, sessions: Sessions, secret_key: str, *, max_keys: int = MAX_KEYS, clock: Callable[[], float] = time.time
    ):
        self._sessions = sessions
        self._hasher = VisitorHasher(secret_key)
        self._max_keys = max_keys
        self._clock = clock
        self._pending: dict[DayResult, Tally] = {}  # counted on the hot path; raw client addresses
        self._unsent: dict[DayResult, Tally] = {}  # prepared (addresses hashed), not yet written
        self._hosts: dict[bytes, str | None] = {}  # Referer value → host, so a click rarely parses a URL
        self._dropped = 0
        self._lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def click(self, result_id: str, hit: bool, scope: HTTPScope, viewer_login: str | None = None) -> None:
        """Count one visitor click answered with `result_id`; `hit`: that answer already existed.

        `viewer_login` is the logged-in GitHub user who opened a private repository's link (None otherwise).
        The hot path: no I/O and no hashing here (addresses are hashed when the batch is prepared).
        """
        key = (int(self._clock() // SECONDS_PER_DAY), result_id)
        tally = self._pending.get(key)
        if tally is None:
            if len(self._pending) >= self._max_keys:
                self._dropped += 1
                return
            tally = self._pending[key] = Tally()
        tally.clicks += 1
        if hit:
            tally.hits += 1
        client = scope.get("client")
        tally.add_visitor(client[0] if client else "")
        for name, value in scope["headers"]:
            if name == b"referer":
                host = self._host(value)
                if host is not None:
                    tally.add_host(host)
                break
        if viewer_login is not None:
            tally.add_login(viewer_login)

    def _host(self, raw: bytes) -> str | None:
        try:
            return self._hosts[raw]
        except KeyError:
            if len(self._hosts) >= _HOST_MEMO:
                self._hosts.clear()
            host = self._hosts[raw] = referrer_host(raw.decode("latin-1"))
            return host

    @property
    def waiting(self) -> int:
        """Clicks counted but not yet written."""
        return sum(t.clicks for t in self._pending.values()) + sum(t.clicks for t in self._unsent.values())

    async def flush(self) -> None:
        """Write what was counted so far; on failure keep it (bounded) for the next flush."""
        async with self._lock:
            self._prepare()
            if not self._unsent:
                return
            try:
                await write_usage(self._sessions, self._unsent)
            except Exception:
                log.exception("usage.flush_failed keys=%d clicks=%d", len(self._unsent), self.waiting)
                self._bound()
                return
            self._unsent = {}

    def _prepare(self) -> None:
        """Move the hot path's counts to the unsent batch, hashing client addresses on the way."""
        batch, self._pending = self._pending, {}
        dropped, self._dropped = self._dropped, 0
        if dropped:
            log.error("usage.dropped clicks=%d reason=too_many_keys max_keys=%d", dropped, self._max_keys)
        for key, tally in batch.items():
            day = day_of(key[0])
            tally.visitors = {self._hasher.visitor(host or None, day) for host in tally.visitors}
            kept = self._unsent.get(key)
            if kept is None:
                self._unsent[key] = tally
            else:
                kept.merge(tally)
        self._bound()

    def _bound(self) -> None:
        excess = len(self._unsent) - self._max_keys
        if excess <= 0:
            return
        lost = 0
        for key in list(self._unsent)[:excess]:  # the oldest first (dicts keep insertion order)
            lost += self._unsent.pop(key).clicks
        log.error("usage.dropped clicks=%d reason=unsent_backlog max_keys=%d", lost, self._max_keys)

    def start(self, interval_seconds: float) -> None:
        """Flush every `interval_seconds` until `close`."""
        self._task = asyncio.create_task(self._run(interval_seconds), name="usage.flush")

    async def _run(self, interval_seconds: float) -> None:
        stopping = False
        while not stopping:
            try:
                await asyncio.wait_for(self._stopping.wait(), interval_seconds)
                stopping = True  # still one last flush below
            except TimeoutError:
                pass
            try:
                await self.flush()  # a write is never cancelled half-way: close() waits for this one
            except Exception:  # a bug in preparing a batch must not stop every later flush
                log.exception("usage.flush_crashed")

    async def close(self) -> None:
        """Stop flushing periodically and write what is left (the process is shutting down)."""
        self._stopping.set()
        if self._task is not None:
            await self._task
        else:
            await self.flush()
