"""Token relay: ordered, exactly-once delivery to live and late watchers, on both brokers."""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from redis import Redis as SyncRedis

from app.results.broker import InProcessBroker, StreamEvent, TokenBroker, make_broker, stream_key
from app.results.redis_broker import RedisBroker
from tests.results.broker_helpers import REDIS_URL, collect, expected, new_id, publish_all

BrokerFactory = Callable[..., TokenBroker]


@pytest.fixture(params=["memory", "redis"])
async def make(request: pytest.FixtureRequest) -> AsyncIterator[BrokerFactory]:
    """Builds brokers of one kind (options passed through) and closes them after the test."""
    brokers: list[TokenBroker] = []
    if request.param == "redis":
        request.getfixturevalue("redis_db")

    def build(**options: Any) -> TokenBroker:
        options.setdefault("idle_timeout", 5.0)
        if request.param == "redis":
            broker: TokenBroker = RedisBroker(REDIS_URL, **options)
        else:
            broker = InProcessBroker(**options)
        brokers.append(broker)
        return broker

    yield build
    for broker in brokers:
        await broker.close()


@pytest.fixture
def broker(make: BrokerFactory) -> TokenBroker:
    return make()


async def test_replays_in_order_with_seq(broker: TokenBroker) -> None:
    sid = new_id()
    pairs = [("delta", "Hel"), ("delta", "lo"), ("delta", ""), ("delta", "ünï ✓\n"), ("done", '{"tokens": 4}')]
    await publish_all(broker, sid, pairs)

    assert await collect(broker, sid) == expected(*pairs)


async def test_live_subscriber_gets_every_event_in_order(broker: TokenBroker) -> None:
    sid = new_id()
    watcher = asyncio.create_task(collect(broker, sid))
    await asyncio.sleep(0.05)
    pairs = [("delta", f"t{i} ") for i in range(100)] + [("done", "")]
    await publish_all(broker, sid, pairs)

    assert await asyncio.wait_for(watcher, 10) == expected(*pairs)


async def test_late_subscriber_gets_history_then_live(broker: TokenBroker) -> None:
    sid = new_id()
    history = [("delta", "a"), ("delta", "b"), ("delta", "c")]
    await publish_all(broker, sid, history)
    seen: list[StreamEvent] = []
    caught_up = asyncio.Event()

    async def watch() -> None:
        async for event in broker.subscribe(sid):
            seen.append(event)
            if len(seen) == len(history):
                caught_up.set()

    watcher = asyncio.create_task(watch())
    await asyncio.wait_for(caught_up.wait(), 5)
    live = [("delta", "d"), ("reset", ""), ("delta", "e"), ("done", "")]
    await publish_all(broker, sid, live)
    await asyncio.wait_for(watcher, 5)

    assert seen == expected(*history, *live)


async def test_fifty_concurrent_subscribers_see_identical_sequences(broker: TokenBroker) -> None:
    sid = new_id()
    pairs = [("delta", f"x{i}") for i in range(150)] + [("reset", "")] + [("delta", f"y{i}") for i in range(150)]
    pairs.append(("done", ""))
    early = [asyncio.create_task(collect(broker, sid)) for _ in range(25)]
    await asyncio.sleep(0.05)
    late: list[asyncio.Task[list[StreamEvent]]] = []
    for i, (kind, data) in enumerate(pairs):
        await broker.publish(sid, kind, data)
        if i % 12 == 0 and len(late) < 25:  # joiners arriving throughout the stream
            late.append(asyncio.create_task(collect(broker, sid)))
            await asyncio.sleep(0)
    results = await asyncio.wait_for(asyncio.gather(*early, *late), 20)

    assert len(results) == 50
    assert all(result == expected(*pairs) for result in results)


async def test_reset_passes_through(broker: TokenBroker) -> None:
    sid = new_id()
    pairs = [("delta", "first try"), ("reset", ""), ("delta", "second"), ("done", "")]
    await publish_all(broker, sid, pairs)

    events = await collect(broker, sid)

    assert [e.kind for e in events] == ["delta", "reset", "delta", "done"]
    assert events[1] == StreamEvent("reset", "", 2)


@pytest.mark.parametrize("terminal", ["done", "error"])
async def test_subscription_ends_at_done_or_error(broker: TokenBroker, terminal: str) -> None:
    sid = new_id()
    pairs = [("delta", "x"), (terminal, "upstream said no" if terminal == "error" else "")]
    await publish_all(broker, sid, [*pairs, ("delta", "after the end")])  # a producer bug: never delivered

    started = time.monotonic()
    events = await collect(broker, sid)

    assert events == expected(*pairs)
    assert time.monotonic() - started < 1.0  # ended at the terminal event, not by idle_timeout


async def test_after_resumes(broker: TokenBroker) -> None:
    sid = new_id()
    pairs = [("delta", str(i)) for i in range(5)] + [("done", "")]
    await publish_all(broker, sid, pairs)

    assert await collect(broker, sid, after=3) == expected(*pairs[3:], start=4)
    assert await collect(broker, sid, after=5) == [StreamEvent("done", "", 6)]


async def test_after_resumes_live(broker: TokenBroker) -> None:
    sid = new_id()
    await publish_all(broker, sid, [("delta", "a"), ("delta", "b")])
    watcher = asyncio.create_task(collect(broker, sid, after=4))
    await publish_all(broker, sid, [("delta", "c"), ("delta", "d"), ("delta", "e"), ("done", "")])

    assert await asyncio.wait_for(watcher, 5) == [StreamEvent("delta", "e", 5), StreamEvent("done", "", 6)]


async def test_unknown_stream_ends_after_idle_timeout(make: BrokerFactory) -> None:
    broker = make(idle_timeout=0.2)
    started = time.monotonic()

    assert await asyncio.wait_for(collect(broker, new_id()), 5) == []
    assert 0.15 <= time.monotonic() - started < 3


async def test_stalled_stream_ends_after_idle_timeout(make: BrokerFactory) -> None:
    broker = make(idle_timeout=0.2)
    sid = new_id()
    await broker.publish(sid, "delta", "and then the producer died")

    assert await asyncio.wait_for(collect(broker, sid), 5) == [StreamEvent("delta", "and then the producer died", 1)]


async def test_subscriber_waiting_for_first_event_gets_it(make: BrokerFactory) -> None:
    broker = make(idle_timeout=2.0)
    sid = new_id()
    watcher = asyncio.create_task(collect(broker, sid))
    await asyncio.sleep(0.3)  # the job has not started yet when the page subscribes
    await publish_all(broker, sid, [("delta", "late start"), ("done", "")])

    assert await asyncio.wait_for(watcher, 5) == expected(("delta", "late start"), ("done", ""))


async def test_stream_is_forgotten_ttl_after_done(make: BrokerFactory) -> None:
    broker = make(ttl_seconds=0.2, idle_timeout=0.1)
    sid = new_id()
    await publish_all(broker, sid, [("delta", "x"), ("done", "")])
    assert len(await collect(broker, sid)) == 2

    await asyncio.sleep(0.4)

    assert await collect(broker, sid) == []


async def test_live_event_latency(broker: TokenBroker) -> None:
    sid = new_id()
    received: asyncio.Queue[tuple[StreamEvent, float]] = asyncio.Queue()

    async def watch() -> None:
        async for event in broker.subscribe(sid):
            received.put_nowait((event, time.perf_counter()))

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(0.05)
    delays = []
    for i in range(30):
        sent = time.perf_counter()
        await broker.publish(sid, "delta", str(i))
        event, at = await asyncio.wait_for(received.get(), 1.0)  # generous: a live event arrives within 1 s
        assert event == StreamEvent("delta", str(i), i + 1)
        delays.append((at - sent) * 1000)
    await broker.publish(sid, "done")
    await asyncio.wait_for(watcher, 5)
    median, worst = statistics.median(delays), max(delays)
    print(f"\n{type(broker).__name__}: publish→receive median {median:.3f} ms, max {worst:.3f} ms")


async def test_cancelled_subscriber_leaves_broker_working(broker: TokenBroker) -> None:
    sid = new_id()
    watcher = asyncio.create_task(collect(broker, sid))
    await asyncio.sleep(0.1)
    watcher.cancel()  # the SSE client went away mid-wait
    with pytest.raises(asyncio.CancelledError):
        await watcher
    await publish_all(broker, sid, [("delta", "still"), ("done", "")])

    assert await collect(broker, sid) == expected(("delta", "still"), ("done", ""))


async def test_invalid_arguments_are_rejected(broker: TokenBroker) -> None:
    with pytest.raises(ValueError, match="unknown stream event kind"):
        await broker.publish(new_id(), "token", "x")
    with pytest.raises(ValueError, match="after"):
        broker.subscribe(new_id(), after=-1)


async def test_close_ends_subscribers_and_leaks_no_tasks(make: BrokerFactory) -> None:
    before = asyncio.all_tasks()
    broker = make(idle_timeout=30.0)
    done_sid, live_sid = new_id(), new_id()
    await publish_all(broker, done_sid, [("delta", "x"), ("done", "")])
    assert len(await collect(broker, done_sid)) == 2
    abandoned = broker.subscribe(done_sid)
    assert (await anext(abandoned)).seq == 1
    await abandoned.aclose()  # type: ignore[attr-defined]
    await broker.publish(live_sid, "delta", "y")
    blocked = asyncio.create_task(collect(broker, live_sid))
    await asyncio.sleep(0.1)

    await broker.close()

    assert await asyncio.wait_for(blocked, 3) in ([], [StreamEvent("delta", "y", 1)])
    assert await collect(broker, live_sid) == []
    with pytest.raises(RuntimeError, match="closed"):
        await broker.publish(live_sid, "delta", "z")
    await asyncio.sleep(0)
    assert asyncio.all_tasks() - before == set()


async def test_redis_producer_in_another_thread_and_loop(redis_db: SyncRedis) -> None:
    """A producer on its own loop and connection pool, as an arq worker process would be."""
    sid = new_id()
    pairs = [("delta", f"w{i}") for i in range(200)] + [("reset", "")] + [("delta", "again"), ("done", '{"ok": true}')]
    consumer = RedisBroker(REDIS_URL, idle_timeout=5.0)
    watcher = asyncio.create_task(collect(consumer, sid))
    await asyncio.sleep(0.05)

    async def produce() -> None:
        producer = RedisBroker(REDIS_URL)
        try:
            for i, (kind, data) in enumerate(pairs):
                await producer.publish(sid, kind, data)
                if i % 20 == 0:
                    await asyncio.sleep(0.005)
        finally:
            await producer.close()

    thread = threading.Thread(target=asyncio.run, args=(produce(),))
    thread.start()
    try:
        assert await asyncio.wait_for(watcher, 10) == expected(*pairs)
        assert await collect(consumer, sid) == expected(*pairs)  # and a late joiner on this side
    finally:
        await asyncio.to_thread(thread.join, 10)
        await consumer.close()


async def test_redis_key_expires_after_done(redis_db: SyncRedis) -> None:
    sid = new_id()
    broker = RedisBroker(REDIS_URL)
    try:
        await publish_all(broker, sid, [("delta", "x"), ("done", "")])
    finally:
        await broker.close()

    ttl_ms = int(redis_db.pttl(stream_key(sid)))  # type: ignore[arg-type]  # redis-py types sync and async alike
    assert 590_000 < ttl_ms <= 600_000
    assert redis_db.xlen(stream_key(sid)) == 2


async def test_redis_trimmed_history_ends_subscription(redis_db: SyncRedis) -> None:
    sid = new_id()
    redis_db.xadd(stream_key(sid), {"k": "delta", "d": "x"}, id="0-5")  # seqs 1-4 trimmed away
    broker = RedisBroker(REDIS_URL, idle_timeout=0.2)
    try:
        assert await collect(broker, sid) == []
        assert await collect(broker, sid, after=4) == [StreamEvent("delta", "x", 5)]
    finally:
        await broker.close()


async def test_make_broker_picks_by_redis_url() -> None:
    memory = make_broker(None)
    redis = make_broker(REDIS_URL)
    try:
        assert isinstance(memory, InProcessBroker)
        assert isinstance(redis, RedisBroker)
    finally:
        await memory.close()
        await redis.close()


async def test_in_process_broker_forgets_streams_nobody_published_to() -> None:
    broker = InProcessBroker(idle_timeout=0.05)
    try:
        assert await collect(broker, new_id()) == []
        assert not broker._streams
    finally:
        await broker.close()
