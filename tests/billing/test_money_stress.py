"""Many generations, refusals and settlements on ONE account at once: no deadlock, nothing lost, money exact.

Visitors click links of two repositories of one owner concurrently while earlier clicks are still being
generated, so link resolutions (which insert results, and delete them again on a rate-limit refusal) run
between reservations, budget and monthly-cap refusals, failures and settlements on the same account row.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import func, select, update
from sqlmodel import col

from app.app import create_app
from app.billing import budget
from app.billing.ledger import credit_once, ledger_balance
from app.db.models import Account, LedgerEntry, Repository, Result
from app.settings import Settings
from tests.conftest import Service
from tests.links.helpers import INSTALLATION_ID
from tests.support.payloads import installation_payload

PER_CLIENT_LIMIT = 16  # uncached generations one client address may start (the rest are refused, 429)
MAX_TOKENS = 200
FILES = {"README.md": "# Widgets\nA library of widgets.\n", "src/widgets.py": "def widget():\n    return 42\n"}


def _context(prefix: str, count: int, *, unserved: int = 0, duplicates: int = 0) -> dict[str, Any]:
    """`count` entries with distinct prompts, `duplicates` more repeating the first ones (same cache key), and
    `unserved` whose model the upstream does not serve (they fail)."""
    entries: dict[str, Any] = {"warm": {"summary": "s", "prompt": "Warm up.", "maxTokens": MAX_TOKENS}}
    for i in range(count + duplicates):
        entries[f"{prefix}{i:02d}"] = {"summary": "s", "prompt": f"Explain part {i % count}.", "maxTokens": MAX_TOKENS}
    for i in range(unserved):
        entries[f"x{i}"] = {"summary": "s", "prompt": f"Fail {i}.", "model": "gpt-4o-mini", "maxTokens": MAX_TOKENS}
    return {"context": entries}


@dataclass
class Watch:
    """Balance and reservation of the account, sampled while the storm runs."""

    lowest_balance: int = 0
    lowest_available: int = 0
    samples: int = 0
    stop: asyncio.Event = field(default_factory=asyncio.Event)


async def _watch(service: Service, account_id: int, watch: Watch) -> None:
    stmt = select(Account.balance_micros, Account.reserved_micros).where(Account.id == account_id)
    while not watch.stop.is_set():
        async with service.clients.sessions() as session:
            balance, reserved = (await session.execute(stmt)).one()
        watch.lowest_balance = min(watch.lowest_balance, balance)
        watch.lowest_available = min(watch.lowest_available, balance - reserved)
        watch.samples += 1
        await asyncio.sleep(0.005)


@pytest.fixture
async def stress(settings: Settings, fake_github: Any, fake_llm: Any) -> AsyncIterator[tuple[Service, Any]]:
    """The service with room for many concurrent jobs, and two repositories of one owner installed."""
    tuned = settings.model_copy(
        update={"in_process_job_concurrency": 16, "visitor_generations_per_hour": PER_CLIENT_LIMIT}
    )
    app = create_app(tuned)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.1", 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://contextjson.test") as client:
            service = Service(app=app, client=client)
            widgets = fake_github.add_repo(
                "acme",
                "widgets",
                files={**FILES, "context.json": json.dumps(_context("w", 20, unserved=2, duplicates=2))},
            )
            capped = fake_github.add_repo(
                "acme", "capped", files={**FILES, "context.json": json.dumps(_context("c", 8))}
            )
            fake_github.add_installation(INSTALLATION_ID, "acme", [widgets.id, capped.id], account_type="Organization")
            payload = installation_payload("created", INSTALLATION_ID, fake_github.account("acme"), [widgets, capped])
            assert (await service.send_webhook("installation", payload)).status_code == 202
            await service.drain_jobs()
            yield service, capped


async def _visitor(service: Service, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=service.app, client=(address, 5000))
    return httpx.AsyncClient(transport=transport, base_url="http://contextjson.test")


async def _stored_results(service: Service) -> list[Result]:
    async with service.clients.sessions() as session:
        return list((await session.execute(select(Result))).scalars())


async def _calibrate(service: Service) -> tuple[int, int]:
    """The worst-case reservation and the actual charge of one generation, from a real one."""
    resp = await service.client.get("/acme/widgets/context/warm")
    assert resp.status_code == 303
    await service.drain_jobs()
    [warm] = await _stored_results(service)
    assert warm.status == "done" and warm.cost_micros > 0
    worst = budget.cost_micros(service.clients.catalog.get(warm.model), warm.prompt_tokens or 0, MAX_TOKENS)
    return worst, warm.cost_micros


async def _set_budget(service: Service, capped_id: int, *, balance: int, cap: int) -> int:
    """Bring the balance to `balance` through the ledger (so ledger and balance still agree); cap one repo."""
    async with service.clients.sessions() as session:
        account = (await session.execute(select(Account))).scalar_one()
        assert account.id is not None
        await credit_once(
            session,
            account_id=account.id,
            amount_micros=balance - account.balance_micros,
            idempotency_key="stress:adjust",
            kind="debit",
            note="test: leave a small balance",
        )
        await session.execute(update(Repository).where(Repository.id == capped_id).values(monthly_cap_micros=cap))
        await session.commit()
        return account.id


async def _click(client: httpx.AsyncClient, path: str, spread: float = 0.4) -> httpx.Response:
    await asyncio.sleep(random.uniform(0, spread))  # spread the clicks over the generations already running
    return await client.get(path)


async def test_concurrent_generations_refusals_and_settlements_on_one_account(
    stress: tuple[Service, Any], fake_llm: Any, caplog: pytest.LogCaptureFixture
) -> None:
    service, capped = stress
    worst, actual = await _calibrate(service)
    # Room for a few answers only, so many clicks are refused for budget; the capped repository's cap is
    # below one worst case, so each of its generations is refused for the cap (checked before the budget).
    balance = worst + 6 * actual + actual // 2
    account_id = await _set_budget(service, capped.id, balance=balance, cap=worst // 2)
    fake_llm.models = {"gpt-4.1", "gpt-4.1-mini"}  # the x* entries' model is refused upstream (HTTP 404)
    fake_llm.first_token_delay, fake_llm.token_delay = 0.01, 0.003
    fake_llm.cut_stream_next(after_chunks=3, times=2)  # two streams break and are retried, charged once
    caplog.set_level(logging.WARNING)

    watch = Watch(lowest_balance=balance, lowest_available=balance)
    watcher = asyncio.create_task(_watch(service, account_id, watch))
    widget_paths = [f"/acme/widgets/context/w{i:02d}" for i in range(22)]
    async with contextlib.AsyncExitStack() as stack:
        alice, bob, carol = [
            await stack.enter_async_context(await _visitor(service, f"198.51.100.{n}")) for n in (1, 2, 3)
        ]
        clicks = [_click(alice, path) for path in widget_paths]
        clicks += [_click(bob, f"/acme/capped/context/c{i:02d}") for i in range(8)]
        clicks += [_click(carol, f"/acme/widgets/context/x{i}", spread=0) for i in range(2)]  # first, budget intact
        responses = await asyncio.gather(*clicks)
        await service.drain_jobs()
    watch.stop.set()
    await watcher

    assert all(resp.status_code < 500 for resp in responses), [r.status_code for r in responses]
    rate_limited = [
        r for r in responses if r.status_code == 429 or "older=rate_limited" in r.headers.get("location", "")
    ]
    assert 1 <= len(rate_limited) <= len(widget_paths) - PER_CLIENT_LIMIT  # results inserted, then deleted
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []  # no job died (a lost deadlock used to kill the reservation and leave the result pending)
    if service.clients.settings.database_url.startswith("postgresql"):
        retried = [r.getMessage() for r in caplog.records if r.getMessage().startswith("db.retry")]
        assert retried == []  # the lock order leaves no cycle: nothing even had to be retried

    async with service.clients.sessions() as session:
        results = list((await session.execute(select(Result))).scalars())
        account = await session.get_one(Account, account_id)
        ledger = await ledger_balance(session, account_id)
        charged = select(func.coalesce(func.sum(LedgerEntry.amount_micros), 0)).where(
            col(LedgerEntry.kind) == "debit", col(LedgerEntry.result_id).is_not(None)
        )
        debits = (await session.execute(charged)).scalar_one()
    statuses = {r.id: r.status for r in results}
    assert set(statuses.values()) <= {"done", "failed"}, statuses  # none lost, none left pending or streaming
    assert account.reserved_micros == 0 and all(r.reserved_micros == 0 for r in results)
    assert ledger == account.balance_micros >= 0
    assert -debits == sum(r.cost_micros for r in results)  # each answer charged once, exactly what it shows
    assert watch.samples > 0 and watch.lowest_balance >= 0 and watch.lowest_available >= 0

    codes = Counter(r.error_code for r in results if r.status == "failed")
    done = [r for r in results if r.status == "done" and r.cached_from is None]
    assert len(done) >= 2 and codes["budget_exhausted"] >= 1 and codes["upstream_status"] == 2, codes
    assert codes["repo_cap"] == 8, codes
    assert all(r.cost_micros > 0 and r.html for r in done)
