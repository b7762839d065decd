"""The API's hot path: the key is checked in the transaction that reserves the call, and a non-streamed call
that keeps nothing is charged beside its response (app.completions.settlements) — with the same guarantees."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from app.completions.settlements import PendingSettlements
from app.settings import Settings
from tests.api_keys.helpers import as_key, csrf_token
from tests.auth.helpers import log_in
from tests.completions.helpers import api_caller
from tests.conftest import Service, running_service

MODEL = "gpt-4.1-mini"
CALL = {"model": MODEL, "messages": [{"role": "user", "content": "Hello?"}]}


async def test_a_revoked_key_is_refused_by_the_next_call_on_every_replica(
    service: Service, fake_github: Any, fake_llm: Any, settings: Settings
) -> None:
    caller = await api_caller(service, fake_github)
    async with running_service(settings) as other_replica:
        for replica in (service, other_replica):
            assert (await as_key(replica, "POST", "/v1/chat/completions", caller.key, json=CALL)).status_code == 200
        await log_in(service, fake_github, "alice")  # the owner revokes it on the dashboard
        gone = await service.client.delete(
            f"/api/keys/{caller.key_id}", headers={"X-CSRF-Token": await csrf_token(service)}
        )
        assert gone.status_code == 204, gone.text
        service.client.cookies.clear()
        for replica in (service, other_replica):
            refused = await as_key(replica, "POST", "/v1/chat/completions", caller.key, json=CALL)
            assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"
    assert fake_llm.call_count == 2
    await caller.assert_reconciles()


@pytest.mark.parametrize(
    "body",
    [CALL, {**CALL, "model": "gpt-nope"}, {**CALL, "messages": []}, {"model": MODEL}],
    ids=["good body", "unknown model", "empty messages", "no messages"],
)
async def test_a_wrong_key_is_401_whatever_the_body(
    service: Service, fake_github: Any, fake_llm: Any, body: dict[str, Any]
) -> None:
    caller = await api_caller(service, fake_github)
    wrong = caller.key[:-4] + ("aaaa" if not caller.key.endswith("aaaa") else "bbbb")  # right prefix, wrong secret
    for key in (wrong, "cj_" + "x" * 40):
        refused = await as_key(service, "POST", "/v1/chat/completions", key, json=body)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key", refused.text
    assert fake_llm.call_count == 0
    account = await caller.account()
    assert account.reserved_micros == 0 and await caller.results() == []


async def test_each_plain_call_is_charged_once_when_many_run_at_once(
    service: Service, fake_github: Any, fake_llm: Any
) -> None:
    caller = await api_caller(service, fake_github)
    answers = await asyncio.gather(
        *(as_key(service, "POST", "/v1/chat/completions", caller.key, json=CALL) for _ in range(12))
    )
    assert [a.status_code for a in answers] == [200] * 12
    results = await caller.results()  # waits for the charges written beside the responses
    assert len(results) == 12 and all(r.status == "done" and r.cost_micros > 0 for r in results)
    assert len([e for e in await caller.ledger() if e.result_id]) == 12
    await caller.assert_reconciles()


async def test_pending_settlements_are_kept_until_done_and_drained() -> None:
    pending = PendingSettlements()
    release = asyncio.Event()
    finished: list[str] = []

    async def settle(name: str) -> None:
        await release.wait()
        finished.append(name)

    pending.start(settle("a"), name="settle:a")
    pending.start(settle("b"), name="settle:b")
    await asyncio.sleep(0)
    assert len(pending) == 2 and finished == []
    drained = asyncio.create_task(pending.drain())
    await asyncio.sleep(0.01)
    assert not drained.done()  # shutdown waits for charges still being written
    release.set()
    await drained
    assert sorted(finished) == ["a", "b"] and len(pending) == 0


async def test_a_settlement_that_fails_is_logged_and_does_not_block_shutdown(caplog: pytest.LogCaptureFixture) -> None:
    pending = PendingSettlements()

    async def broken() -> None:
        raise RuntimeError("database went away")

    with caplog.at_level(logging.ERROR, logger="contextjson.completions"):
        pending.start(broken(), name="settle:x")
        await pending.drain()
    assert len(pending) == 0
    assert any("settle_failed" in record.getMessage() for record in caplog.records)


async def test_a_settlement_outlives_the_request_that_started_it() -> None:
    pending = PendingSettlements()
    done = asyncio.Event()

    async def settle() -> None:
        await asyncio.sleep(0.01)
        done.set()

    async def request() -> None:
        pending.start(settle(), name="settle:r")
        await asyncio.sleep(10)  # the response is being sent when the caller hangs up

    task = asyncio.create_task(request())
    await asyncio.sleep(0)
    task.cancel()
    await pending.drain()
    assert done.is_set()
