"""One chat completion call: reserve, call the upstream, charge what it used, keep it when asked.

The call runs in the web process, not through a job: the caller is a program waiting on this connection,
and the latency added to the upstream's is the product (bench/api_latency.py).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.billing.budget import cost_micros
from app.completions import accounting
from app.completions.accounting import Answer, Payer
from app.completions.request import CompletionCall
from app.completions.settlements import PendingSettlements
from app.completions.upstream import transport_error, upstream_error, usage_or_estimate
from app.db.models import Result
from app.errors import AppError
from app.llm import LLMClient, Usage
from app.llm.errors import AttemptFailed
from app.llm.wire import parse_completion
from app.models_catalog import ModelCatalog
from app.results.render import render_answer
from app.settings import Settings

RESULT_URL_HEADER = "X-Result-URL"
T = TypeVar("T")


@dataclass(frozen=True)
class CompletionClients:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    llm: LLMClient
    catalog: ModelCatalog
    settlements: PendingSettlements


@dataclass(frozen=True)
class OpenCall:
    """A call with its reservation taken."""

    call: CompletionCall
    result_id: str
    result_url: str | None  # the page of a stored call

    def headers(self) -> dict[str, str]:
        return {RESULT_URL_HEADER: self.result_url} if self.result_url else {}


def _reservation(clients: CompletionClients, call: CompletionCall) -> accounting.Reservation:
    worst = cost_micros(clients.catalog.get(call.model), call.prompt_tokens, call.max_output_tokens)
    return accounting.Reservation(call.model, worst, call.store, call.cache_key)


def _opened(clients: CompletionClients, call: CompletionCall, result_id: str) -> OpenCall:
    url = f"{clients.settings.public_base}/r/{result_id}" if call.store else None
    return OpenCall(call, result_id, url)


async def open_call(clients: CompletionClients, call: CompletionCall, payer: Payer) -> OpenCall:
    r = _reservation(clients, call)
    result_id = await accounting.open_call(
        clients.sessions, payer, model=r.model, worst_micros=r.worst_micros, stored=r.stored, cache_key=r.cache_key
    )
    return _opened(clients, call, result_id)


async def open_keyed_call(
    clients: CompletionClients, call: CompletionCall, token: str, admit: Callable[[int], None]
) -> OpenCall:
    """`open_call` for a key not checked yet: the check and the reservation share one transaction."""
    reservation, secret = _reservation(clients, call), clients.settings.secret_key
    result_id, _payer = await accounting.open_keyed_call(clients.sessions, secret, token, admit, reservation)
    return _opened(clients, call, result_id)


async def complete(clients: CompletionClients, opened: OpenCall) -> bytes:
    """The whole answer (non-streamed), charged; the upstream's response object with our id when stored."""
    call = opened.call
    try:
        body, payload, text, usage = await _ask(clients, call)
    except AppError as exc:
        await shielded(accounting.fail_call(clients.sessions, opened.result_id, exc.code, exc.detail))
        raise
    except BaseException:  # cancelled (the caller hung up) or a bug: nothing is charged
        await shielded(accounting.fail_call(clients.sessions, opened.result_id, "interrupted", "interrupted"))
        raise
    used = usage_or_estimate(usage, call.prompt_tokens, text)
    if opened.result_url is None:
        # Nothing to show at a URL: charged beside the response rather than before it (app.completions.settlements).
        settle = accounting.settle_call(clients.sessions, clients.catalog, opened.result_id, Answer(text, used))
        clients.settlements.start(settle, name=f"settle:{opened.result_id}")
        return body  # not kept: the upstream's own bytes, untouched
    payload["id"], payload["result_url"] = opened.result_id, opened.result_url
    record = {**call.kept_request, "response": payload}
    answer = Answer(text, used, await render_answer(text), record)
    await shielded(accounting.settle_call(clients.sessions, clients.catalog, opened.result_id, answer))
    return json.dumps(payload).encode()


async def _ask(clients: CompletionClients, call: CompletionCall) -> tuple[bytes, dict[str, Any], str, Usage | None]:
    try:
        async with asyncio.timeout(clients.llm.total_timeout):
            async with clients.llm.passthrough(call.upstream_body, stream=False) as response:
                if not response.is_success:
                    raise await upstream_error(response)
                body = await response.aread()
    except (TimeoutError, httpx.HTTPError) as exc:
        raise transport_error(exc) from exc
    try:
        payload = json.loads(body)
        text, _finish, usage = parse_completion(payload)
    except (ValueError, AttemptFailed) as exc:
        raise transport_error(exc) from exc
    return body, payload, text, usage


async def shielded(work: Awaitable[T]) -> T:
    """Money moves to the end even when the caller hangs up meanwhile (the request's task is cancelled)."""
    return await asyncio.shield(asyncio.ensure_future(work))


async def cached(clients: CompletionClients, account_id: int, call: CompletionCall) -> Result | None:
    """A kept answer of this account to the same request (asked for with `X-Cache: use`); costs nothing."""
    async with clients.sessions() as session:
        return await accounting.cached_response(session, account_id, call.cache_key)


def cached_payload(result: Result) -> dict[str, Any]:
    record = result.request or {}
    response = dict(record.get("response") or {})
    response.setdefault("created", int(time.time()))
    return response
