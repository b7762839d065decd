"""Catches an outside HTTP call (GitHub, the model API, any fake) made while the calling task holds a database
connection: with SQLite's single shared connection that call would stall every other request until it
returns, and on PostgreSQL it pins a pooled connection (and its row locks) for as long as GitHub takes.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass
class HeldCall:
    url: str
    stack: str


@dataclass
class HeldConnectionWatch:
    """Which task holds which pooled connection, and every outside call made while holding one."""

    holders: dict[int, asyncio.Task[Any] | None] = field(default_factory=dict)
    calls: list[HeldCall] = field(default_factory=list)
    outside_calls: int = 0
    # Second connections taken by a task that already holds one: on SQLite's single connection that waits
    # for itself until the pool times out.
    nested: list[str] = field(default_factory=list)

    def on_checkout(self, _dbapi: Any, record: Any, _proxy: Any) -> None:
        task = _current_task()
        if task is not None and task in self.holders.values():
            self.nested.append("".join(traceback.format_stack(limit=25)))
        self.holders[id(record)] = task

    def on_checkin(self, _dbapi: Any, record: Any) -> None:
        self.holders.pop(id(record), None)

    def before_call(self, request: Any) -> None:
        if request.url.host == "contextjson.test":  # the test's own client talking to the app over ASGI
            return
        self.outside_calls += 1
        task = _current_task()
        if task is not None and task in self.holders.values():
            self.calls.append(HeldCall(str(request.url), "".join(traceback.format_stack(limit=25))))

    def report(self) -> str:
        held = [f"{c.url} called while holding a database connection:\n{c.stack}" for c in self.calls]
        nested = [f"a second connection taken while holding one:\n{stack}" for stack in self.nested]
        return "\n\n".join(held + nested)


def _current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running loop (a sync checkout at start-up)
        return None


@contextmanager
def watch_held_connections(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldConnectionWatch]:
    """Record outside calls made by a task that holds a connection of `engine` (pool events + httpx send)."""
    watch = HeldConnectionWatch()
    event.listen(engine.sync_engine, "checkout", watch.on_checkout)
    event.listen(engine.sync_engine, "checkin", watch.on_checkin)
    for client_class in _http_clients():
        _watch_sends(client_class, watch, monkeypatch)
    try:
        yield watch
    finally:
        event.remove(engine.sync_engine, "checkout", watch.on_checkout)
        event.remove(engine.sync_engine, "checkin", watch.on_checkin)


def _http_clients() -> list[type[Any]]:
    """httpx's client, and httpx2's (authlib's OAuth client, used to log in with GitHub, is built on it)."""
    clients: list[type[Any]] = [httpx.AsyncClient]
    try:
        import httpx2
    except ImportError:
        return clients
    return [*clients, httpx2.AsyncClient]


def _watch_sends(client_class: type[Any], watch: HeldConnectionWatch, monkeypatch: pytest.MonkeyPatch) -> None:
    original_send = client_class.send

    async def send(self: Any, request: Any, **kwargs: Any) -> Any:
        watch.before_call(request)
        return await original_send(self, request, **kwargs)

    monkeypatch.setattr(client_class, "send", send)
