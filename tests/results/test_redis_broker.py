"""The Redis broker's sharing: one reader and a bounded pool per process, whatever the number of watchers."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis import Redis as SyncRedis
from redis.asyncio import Redis

from app.results.broker import StreamEvent, TooManyWatchers
from app.results.redis_broker import RedisBroker
from tests.results.broker_helpers import REDIS_URL, collect, expected, new_id, publish_all
from tests.support.process import redis_server

STREAMS = 50
WATCHERS_PER_STREAM = 10
MAX_CONNECTIONS = 4


@pytest.fixture
async def producer(redis_db: SyncRedis) -> AsyncIterator[RedisBroker]:
    """The publishing side, as an arq worker process would hold it (a pool of its own)."""
    broker = RedisBroker(REDIS_URL)
    yield broker
    await broker.close()


async def connections_named(monitor: Redis, name: str) -> int:
    """How many clients connected to the Redis server carry this client name (CLIENT LIST)."""
    return sum(1 for client in await monitor.client_list() if client.get("name") == name)


async def test_500_watchers_of_50_streams_use_a_bounded_number_of_connections(producer: RedisBroker) -> None:
    name = f"cj-test-{uuid.uuid4().hex[:12]}"
    consumer = RedisBroker(REDIS_URL, idle_timeout=20.0, max_connections=MAX_CONNECTIONS, client_name=name)
    monitor = Redis.from_url(REDIS_URL, decode_responses=True)
    sids = [new_id() for _ in range(STREAMS)]
    pairs = {sid: [("delta", f"{sid[-6:]}:{i} ") for i in range(40)] + [("done", "")] for sid in sids}
    peak = 0
    sampling = True

    async def sample() -> None:
        nonlocal peak
        while sampling:
            peak = max(peak, await connections_named(monitor, name))
            await asyncio.sleep(0.01)

    sampler = asyncio.create_task(sample())
    try:
        # Half watch before anything is published; the other half join while the streams are being written.
        watchers = [
            (sid, asyncio.create_task(collect(consumer, sid))) for sid in sids for _ in range(WATCHERS_PER_STREAM // 2)
        ]
        await asyncio.sleep(0.2)
        for i in range(41):
            for sid in sids:
                await producer.publish(sid, *pairs[sid][i])
            if i in (3, 10, 20, 30, 39):
                watchers += [(sid, asyncio.create_task(collect(consumer, sid))) for sid in sids]
        results = await asyncio.wait_for(asyncio.gather(*(task for _, task in watchers)), 30)
    finally:
        sampling = False
        await sampler
        await consumer.close()
        await monitor.aclose()

    assert len(results) == STREAMS * WATCHERS_PER_STREAM == 500
    for (sid, _), events in zip(watchers, results, strict=True):
        assert events == expected(*pairs[sid])  # each watcher: its own stream, every event once, in order
    # One connection per watcher before (500); now the reader's plus a few borrowed briefly, never above the cap.
    assert 1 <= peak <= MAX_CONNECTIONS
    print(f"\n500 watchers of 50 streams: peak {peak} Redis connections")


async def test_a_newly_watched_stream_does_not_wait_for_the_current_read(producer: RedisBroker) -> None:
    broker = RedisBroker(REDIS_URL, block_ms=20_000, idle_timeout=30.0)
    try:
        blocked = asyncio.create_task(collect(broker, new_id()))  # the reader now blocks for up to 20 s
        await asyncio.sleep(0.2)
        sid = new_id()
        await publish_all(producer, sid, [("delta", "history"), ("done", "")])

        started = time.monotonic()
        assert await asyncio.wait_for(collect(broker, sid), 5) == expected(("delta", "history"), ("done", ""))
        assert time.monotonic() - started < 1.0
        blocked.cancel()
    finally:
        await broker.close()


async def test_watchers_beyond_the_cap_are_refused_until_one_leaves(producer: RedisBroker) -> None:
    broker = RedisBroker(REDIS_URL, max_watchers=3, idle_timeout=10.0)
    sid = new_id()
    try:
        watchers = [asyncio.create_task(collect(broker, sid)) for _ in range(3)]
        await asyncio.sleep(0.1)
        with pytest.raises(TooManyWatchers) as refused:
            broker.subscribe(sid)
        assert refused.value.status_code == 503

        await producer.publish(sid, "done")
        assert await asyncio.wait_for(asyncio.gather(*watchers), 5) == [[StreamEvent("done", "", 1)]] * 3
        assert await collect(broker, sid) == [StreamEvent("done", "", 1)]  # room again
    finally:
        await broker.close()


async def test_a_watcher_survives_a_redis_restart() -> None:
    with redis_server() as server:
        consumer = RedisBroker(server.url, idle_timeout=15.0)
        sid = new_id()
        try:
            watcher = asyncio.create_task(collect(consumer, sid))
            await asyncio.sleep(0.2)
            server.kill()
            await asyncio.sleep(0.5)  # the reader's XREAD fails, and it keeps retrying
            server.start()
            producer = RedisBroker(server.url)
            try:
                await publish_all(producer, sid, [("delta", "after the outage"), ("done", "")])
            finally:
                await producer.close()

            assert await asyncio.wait_for(watcher, 10) == expected(("delta", "after the outage"), ("done", ""))
        finally:
            await consumer.close()
