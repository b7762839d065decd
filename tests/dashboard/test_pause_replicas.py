"""A pause made through one web process reaches the link caches of the others at once (Redis pub/sub, after commit)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from arq.connections import RedisSettings

from app.auth.viewer import CSRF_HEADER
from app.links.cache import LinkCache
from app.settings import Settings
from tests.auth.helpers import log_in
from tests.conftest import Service
from tests.dashboard.helpers import OWNER, csrf_token
from tests.jobs.test_arq_worker import redis_settings, run_worker_until_idle  # noqa: F401 (fixture)
from tests.links.helpers import Installed, install_repo
from tests.links.test_invalidation import replicas  # noqa: F401 (fixture: two web processes, links cached an hour)

KEY = LinkCache.key("acme", "widgets", None, "explain")


async def _until(condition: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_a_pause_drops_the_link_another_replica_cached(
    replicas: tuple[Service, Service],  # noqa: F811
    settings: Settings,
    redis_settings: RedisSettings,  # noqa: F811
    fake_github: Any,
) -> None:
    web_a, web_b = replicas
    installed = await install_repo(web_a, fake_github, drain=False)
    await run_worker_until_idle(settings, redis_settings)
    on_b = Installed(web_b, fake_github, installed.repo)
    first = await on_b.click()
    assert first.status_code == 303
    cache_b: LinkCache = web_b.app.state.link_resolver.cache
    assert cache_b.get(KEY) is not None  # TTL an hour: only an announcement drops it

    fake_github.oauth.add_member("acme", OWNER, role="admin")
    await log_in(web_a, fake_github, OWNER)
    csrf = {CSRF_HEADER: await csrf_token(web_a)}
    paused = await web_a.client.patch("/api/repos/acme/widgets/contexts/explain", json={"paused": True}, headers=csrf)
    assert paused.status_code == 200, paused.text
    await _until(lambda: cache_b.get(KEY) is None)

    assert (await on_b.click()).status_code == 303  # looked up again (its answer is in progress: still served)
    assert cache_b.get(KEY) is not None
    resumed = await web_a.client.patch("/api/repos/acme/widgets/contexts/explain", json={"paused": False}, headers=csrf)
    assert resumed.status_code == 200
    await _until(lambda: cache_b.get(KEY) is None)
