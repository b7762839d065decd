"""A process killed mid-generation loses nothing: the restarted process finishes it and charges once."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from app.app import create_app
from app.queue import InProcessJobQueue
from app.settings import Settings
from tests.conftest import Service
from tests.links.helpers import install_repo


async def _wait_for(predicate: Any, limit_seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + limit_seconds
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_generation_resumes_after_the_process_dies(
    service: Service, settings: Settings, fake_github: Any, fake_llm: Any
) -> None:
    installed = await install_repo(service, fake_github)
    fake_llm.token_delay = 0.05  # ~2 s of streaming: time to "kill" the process in the middle
    location = (await installed.click()).headers["location"]

    async def streaming() -> bool:
        results = await installed.results()
        return bool(results) and results[0].status == "streaming" and fake_llm.call_count == 1

    await _wait_for(streaming)
    await asyncio.sleep(0.3)  # some tokens are out

    queue = service.clients.queue
    assert isinstance(queue, InProcessJobQueue)
    await queue.close()  # the process dies: its job is cancelled mid-stream, nothing cleans up
    [stuck] = await installed.results()
    assert stuck.status == "streaming" and stuck.reserved_micros > 0
    assert (await installed.account()).reserved_micros == stuck.reserved_micros

    fake_llm.token_delay = 0.0
    restarted = create_app(settings)  # a new process on the same database resumes unfinished work
    async with (
        LifespanManager(restarted),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=restarted), base_url="http://contextjson.test") as client,
    ):
        await Service(app=restarted, client=client).drain_jobs()
        result = (await client.get(location + ".json")).json()
    assert result["status"] == "done" and result["text"]
    assert fake_llm.call_count == 2
    [debit] = await installed.debits()
    account = await installed.account()
    assert account.reserved_micros == 0 and account.balance_micros == 5_000_000 + debit.amount_micros
