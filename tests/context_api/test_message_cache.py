"""The cache of built context messages: bounded by characters, least recently used dropped, one build per key."""

from __future__ import annotations

import asyncio

import pytest

from app.context_api.message_cache import BuiltMessages, ContextMessageCache, MessageKey


def _key(n: int) -> MessageKey:
    return (n, "sha", "explain", "{}", "gpt-4.1", "acme/widgets", "main")


def _built(chars: int) -> BuiltMessages:
    return BuiltMessages([{"role": "system", "content": "x" * chars}], "")


async def test_least_recently_used_builds_go_first_within_the_character_budget() -> None:
    cache = ContextMessageCache(max_chars=250)
    builds: list[int] = []

    async def build(n: int) -> BuiltMessages:
        builds.append(n)
        return _built(100)

    for n in (1, 2, 1, 3):  # 1 is used again before 3 arrives: 2 is the least recently used
        await cache.get(_key(n), lambda n=n: build(n))  # type: ignore[misc]
    assert builds == [1, 2, 3] and len(cache) == 2 and cache.chars == 200
    await cache.get(_key(1), lambda: build(9))
    await cache.get(_key(2), lambda: build(2))
    assert builds == [1, 2, 3, 2]
    too_big = await cache.get(_key(5), lambda: asyncio.sleep(0, _built(1000)))
    assert too_big.chars == 1000 and cache.chars <= 250  # answered, not kept


async def test_concurrent_misses_share_one_build_and_failures_are_not_kept() -> None:
    cache = ContextMessageCache(max_chars=10_000)
    started = 0

    async def build() -> BuiltMessages:
        nonlocal started
        started += 1
        await asyncio.sleep(0.01)
        return _built(10)

    results = await asyncio.gather(*(cache.get(_key(1), build) for _ in range(5)))
    assert started == 1 and all(r is results[0] for r in results)

    async def broken() -> BuiltMessages:
        raise RuntimeError("GitHub is away")

    for _ in range(2):
        with pytest.raises(RuntimeError):
            await cache.get(_key(2), broken)
    assert len(cache) == 1
