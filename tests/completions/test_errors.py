"""Every error of the OpenAI-compatible API, as the official SDK raises it: right status and `code`, and no
money moved."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from sqlalchemy import update

from app.db.models import Account, ApiKey, LedgerEntry, LedgerKind
from app.settings import Settings
from tests.completions.helpers import Caller, api_caller
from tests.conftest import Service, running_service

MODEL = "gpt-4.1-mini"
QUESTION = [{"role": "user", "content": "Hello?"}]


async def _expect(caller: Caller, error: type[openai.APIStatusError], status: int, code: str, **call: Any) -> Any:
    before = await caller.account()
    with pytest.raises(error) as raised:
        await caller.sdk(call.pop("key", None)).chat.completions.create(
            **({"model": MODEL, "messages": QUESTION} | call)
        )
    assert raised.value.status_code == status
    assert isinstance(raised.value.body, dict) and raised.value.body.get("code") == code, raised.value.body
    after = await caller.account()
    assert (after.balance_micros, after.reserved_micros) == (before.balance_micros, 0)
    await caller.assert_reconciles()
    return raised.value


async def test_no_key_or_a_bad_key_is_401(service: Service, fake_github: Any, fake_llm: Any) -> None:
    caller = await api_caller(service, fake_github)
    refused = await service.client.post("/v1/chat/completions", json={"model": MODEL, "messages": QUESTION})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"
    assert refused.json()["error"]["type"] == "authentication_error"
    await _expect(caller, openai.AuthenticationError, 401, "invalid_api_key", key="cj_" + "x" * 40)
    await _expect(caller, openai.AuthenticationError, 401, "invalid_api_key", key="sk-someone-elses")
    with pytest.raises(openai.AuthenticationError):
        await caller.sdk("cj_" + "x" * 40).models.list()
    assert fake_llm.call_count == 0


async def test_bad_requests_are_400_and_unknown_models_404(service: Service, fake_github: Any, fake_llm: Any) -> None:
    caller = await api_caller(service, fake_github)
    await _expect(caller, openai.NotFoundError, 404, "model_not_found", model="gpt-nope")
    await _expect(caller, openai.BadRequestError, 400, "invalid_request_error", messages=[])
    await _expect(caller, openai.BadRequestError, 400, "invalid_request_error", max_tokens=0)
    await _expect(caller, openai.BadRequestError, 400, "invalid_request_error", n=3)
    garbage = await service.client.post(
        "/v1/chat/completions", content=b"{not json", headers={"Authorization": f"Bearer {caller.key}"}
    )
    assert garbage.status_code == 400 and garbage.json()["error"]["code"] == "invalid_request_error"
    assert fake_llm.call_count == 0


async def test_an_empty_balance_is_402(service: Service, fake_github: Any, fake_llm: Any) -> None:
    caller = await api_caller(service, fake_github)
    async with service.clients.sessions() as session:  # the balance was spent down to 10 micro-dollars
        spent = (await caller.account()).balance_micros - 10
        session.add(
            LedgerEntry(
                account_id=caller.account_id,
                kind=LedgerKind.DEBIT,
                amount_micros=-spent,
                idempotency_key="spent",
                note="earlier spending",
            )
        )
        await session.execute(update(Account).where(Account.id == caller.account_id).values(balance_micros=10))
        await session.commit()
    error = await _expect(caller, openai.APIStatusError, 402, "insufficient_quota")
    assert "top up" in str(error.message) and fake_llm.call_count == 0


async def test_a_keys_monthly_cap_is_402_once_reached(service: Service, fake_github: Any, fake_llm: Any) -> None:
    caller = await api_caller(service, fake_github, monthly_cap_usd="0.05")
    fake_llm.script("short")
    await caller.sdk().chat.completions.create(model=MODEL, messages=QUESTION, max_tokens=100)  # fits the cap
    async with service.clients.sessions() as session:  # the owner lowers the cap below what was spent
        await session.execute(update(ApiKey).where(ApiKey.id == caller.key_id).values(monthly_cap_micros=1))
        await session.commit()
    await _expect(caller, openai.APIStatusError, 402, "key_monthly_cap_reached", max_tokens=100)
    assert fake_llm.call_count == 1


async def test_upstream_failures_are_502_and_its_rate_limits_429(
    service: Service, fake_github: Any, fake_llm: Any
) -> None:
    caller = await api_caller(service, fake_github)
    fake_llm.fail_next(500)
    error = await _expect(caller, openai.APIStatusError, 502, "upstream_error")
    assert "HTTP 500" in str(error.message) and "Sorry about that" not in str(error.message)
    fake_llm.fail_next(500)
    await _expect(caller, openai.APIStatusError, 502, "upstream_error", stream=True)
    fake_llm.rate_limit_next(retry_after=7)
    limited = await _expect(caller, openai.RateLimitError, 429, "rate_limit_exceeded")
    assert limited.response.headers["retry-after"] == "7"
    fake_llm.fail_next(400, message="response_format is not supported by this model")
    refused = await _expect(caller, openai.BadRequestError, 400, "invalid_request_error")
    assert "response_format is not supported" in str(refused.message)
    assert [result.status for result in await caller.results()] == ["failed"] * 4


async def test_each_key_has_a_request_rate_limit(settings: Settings, fake_github: Any, fake_llm: Any) -> None:
    async with running_service(settings.model_copy(update={"api_requests_per_minute": 2})) as service:
        caller = await api_caller(service, fake_github)
        sdk = caller.sdk()
        for _ in range(2):
            await sdk.chat.completions.create(model=MODEL, messages=QUESTION)
        with pytest.raises(openai.RateLimitError) as raised:
            await sdk.chat.completions.create(model=MODEL, messages=QUESTION)
        assert raised.value.body["code"] == "rate_limit_exceeded"  # type: ignore[index]
        assert 1 <= int(raised.value.response.headers["retry-after"]) <= 60
        assert fake_llm.call_count == 2
