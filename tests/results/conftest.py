"""Fixtures of the results tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from redis import Redis as SyncRedis
from redis.exceptions import RedisError

from tests.results.broker_helpers import REDIS_URL


@pytest.fixture(scope="session")
def redis_db() -> Iterator[SyncRedis]:
    """The broker tests' Redis database, emptied first (only that one); synchronous, so any fixture can use it."""
    client = SyncRedis.from_url(REDIS_URL, decode_responses=True)
    try:
        client.ping()
    except RedisError as exc:
        client.close()
        # Redis is part of the test environment (.ci/run starts it): its absence is a failure, not a skip.
        pytest.fail(f"no Redis at {REDIS_URL}: {exc}")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()
