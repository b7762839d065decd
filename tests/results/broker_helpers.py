"""Shared by the broker tests: the test Redis URL, stream ids, and collecting a subscription."""

from __future__ import annotations

import os
import uuid

from app.results.broker import StreamEvent, TokenBroker

# A dedicated database number: the tests flush it.
REDIS_URL = os.environ.get("TEST_BROKER_REDIS_URL", "redis://127.0.0.1:6379/13")


def new_id() -> str:
    return f"test-{uuid.uuid4().hex}"


async def collect(broker: TokenBroker, stream_id: str, *, after: int = 0) -> list[StreamEvent]:
    return [event async for event in broker.subscribe(stream_id, after=after)]


def expected(*pairs: tuple[str, str], start: int = 1) -> list[StreamEvent]:
    return [StreamEvent(kind, data, seq) for seq, (kind, data) in enumerate(pairs, start)]


async def publish_all(broker: TokenBroker, stream_id: str, pairs: list[tuple[str, str]]) -> None:
    for kind, data in pairs:
        await broker.publish(stream_id, kind, data)
