"""Money of one API call, as for a visitor generation: reserve the worst case, charge the actual cost once.

An API call is a result row (kind "api") from the start, so the ledger, the reservation sweep and the key's
monthly figures treat it like any other generation. The reservation takes the account's row lock first (the
lock order of app.billing.budget), which also serialises the key's monthly cap check.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from app.api_keys.authenticator import check_key
from app.billing import budget
from app.completions.errors import InsufficientBalance, KeyCapReached
from app.db.models import Account, ApiKey, LedgerEntry, LedgerKind, Result, ResultKind, ResultStatus, utcnow
from app.db.retry import in_transaction
from app.llm import Usage
from app.models_catalog import ModelCatalog
from app.results.ids import new_result_id

log = logging.getLogger("contextjson.completions")


@dataclass(frozen=True)
class Payer:
    """Who pays for a call: the API key's account."""

    account_id: int
    api_key_id: int


async def key_month_spend_micros(session: AsyncSession, api_key_id: int) -> int:
    """Charged this calendar month (UTC) to calls made with the key, plus what its calls in flight reserved."""
    charged = (
        select(func.coalesce(func.sum(-col(LedgerEntry.amount_micros)), 0))
        .join(Result, col(Result.id) == col(LedgerEntry.result_id))
        .where(
            col(Result.api_key_id) == api_key_id,
            col(LedgerEntry.kind) == LedgerKind.DEBIT,
            col(LedgerEntry.created_at) >= budget.month_start(),
        )
    )
    reserved = select(func.coalesce(func.sum(col(Result.reserved_micros)), 0)).where(
        col(Result.api_key_id) == api_key_id, col(Result.reserved_micros) > 0
    )
    return int((await session.execute(charged)).scalar_one()) + int((await session.execute(reserved)).scalar_one())


@dataclass(frozen=True)
class Reservation:
    """What a call reserves for: the worst case of the model and output cap it asked for."""

    model: str
    worst_micros: int
    stored: bool
    cache_key: str


async def open_call(
    sessions: async_sessionmaker[AsyncSession],
    payer: Payer,
    *,
    model: str,
    worst_micros: int,
    stored: bool,
    cache_key: str,
) -> str:
    """A streaming result holding the call's worst-case reservation; 402 when the balance or key cap lacks it."""
    result_id = new_result_id()
    reservation = Reservation(model, worst_micros, stored, cache_key)

    async def work(session: AsyncSession) -> None:
        await budget.lock_account_row(session, payer.account_id)  # first: it also serialises the cap check
        cap = await session.scalar(select(col(ApiKey.monthly_cap_micros)).where(col(ApiKey.id) == payer.api_key_id))
        await _reserve(session, payer, cap, result_id, reservation)

    await in_transaction(sessions, work, name="completions.open")
    return result_id


async def open_keyed_call(
    sessions: async_sessionmaker[AsyncSession],
    secret_key: str,
    token: str,
    admit: Callable[[int], None],
    reservation: Reservation,
) -> tuple[str, Payer]:
    """The key check and the reservation in one transaction (the API's hot path: one round of the database).

    401 for a key that is not live (read in this transaction, so a revocation holds at once everywhere);
    `admit(key_id)` raises when the key asks too often (429); then as `open_call`.
    """
    result_id = new_result_id()

    async def work(session: AsyncSession) -> Payer:
        key = await check_key(session, secret_key, token)
        admit(key.id)
        payer = Payer(key.account_id, key.id)
        if key.monthly_cap_micros is not None:  # the cap check reads the key's spend under the account's lock
            await budget.lock_account_row(session, payer.account_id)
        # Without a cap, the conditional UPDATE of `reserve_on_account` is the account's lock (the same row
        # lock, taken first as the lock order wants) and alone keeps reservations within the balance.
        await _reserve(session, payer, key.monthly_cap_micros, result_id, reservation)
        return payer

    payer = await in_transaction(sessions, work, name="completions.open")
    return result_id, payer


async def _reserve(
    session: AsyncSession, payer: Payer, cap: int | None, result_id: str, reservation: Reservation
) -> None:
    """With the account locked: the key cap, the reservation, and the result row (Core statements)."""
    worst = reservation.worst_micros
    if cap is not None and await key_month_spend_micros(session, payer.api_key_id) + worst > cap:
        raise KeyCapReached(
            "This API key has reached the monthly spending cap its owner set; it resets on the 1st (UTC)."
        )
    if not await budget.reserve_on_account(session, payer.account_id, worst):
        raise InsufficientBalance(
            "The account's balance does not cover this request's worst-case cost: top up on the dashboard's "
            "billing page, or ask for fewer output tokens (`max_tokens`)."
        )
    now = utcnow()
    await session.execute(
        insert(Result).values(
            id=result_id,
            kind=ResultKind.API,
            status=ResultStatus.STREAMING,
            account_id=payer.account_id,
            api_key_id=payer.api_key_id,
            model=reservation.model,
            reserved_micros=worst,
            stored=reservation.stored,
            cache_key=reservation.cache_key if reservation.stored else None,  # only a kept answer is replayed
            created_at=now,
            started_at=now,
        )
    )


@dataclass(frozen=True)
class Answer:
    """What the upstream produced, to charge and (when stored) to keep."""

    text: str
    usage: Usage
    html: str | None = None
    # Kept when the call is stored: the messages asked and the OpenAI response object (for cached replays).
    record: dict[str, Any] | None = None


async def settle_call(
    sessions: async_sessionmaker[AsyncSession], catalog: ModelCatalog, result_id: str, answer: Answer
) -> int:
    """Charge the actual cost (never more than reserved) once and finish the result; returns the charge.

    The locks and writes of `budget.lock_for_money` + `budget.settle` (account, then result), as Core
    statements: every API call runs this, and the ORM's loading and flushing cost more than the SQL.
    """

    async def work(session: AsyncSession) -> int:
        account_id = await session.scalar(select(col(Result.account_id)).where(col(Result.id) == result_id))
        if account_id is None:
            return 0
        login = await session.scalar(
            select(col(Account.login)).where(col(Account.id) == account_id).with_for_update(key_share=True)
        )
        columns = (Result.status, Result.model, Result.reserved_micros, Result.stored, Result.repository_id)
        locked = select(*(col(c) for c in columns)).where(col(Result.id) == result_id).with_for_update(key_share=True)
        row = (await session.execute(locked)).first()
        if row is None or ResultStatus(row.status).finished:
            return 0
        usage = answer.usage
        actual = budget.cost_micros(catalog.get(row.model), usage.prompt_tokens, usage.completion_tokens)
        held = budget.Held(result_id, account_id, row.repository_id, row.model, row.reserved_micros)
        charged = await budget.charge(session, held, actual)
        values: dict[str, Any] = {
            "status": ResultStatus.DONE,
            "finished_at": utcnow(),
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "paid_by": login,
        }
        if charged is not None:
            values |= {"reserved_micros": 0, "cost_micros": charged}
        if row.stored:
            values |= {"text": answer.text, "html": answer.html, "request": answer.record}
        await session.execute(update(Result).where(col(Result.id) == result_id).values(**values))
        return charged or 0

    return await in_transaction(sessions, work, name="completions.settle")


async def fail_call(sessions: async_sessionmaker[AsyncSession], result_id: str, code: str, message: str) -> None:
    """Nothing is charged: the reservation goes back and the result records why."""

    async def work(session: AsyncSession) -> None:
        locked = await budget.lock_for_money(session, result_id)
        if locked is None or locked.result.status.finished:
            return
        await budget.release(session, locked.result)
        result = locked.result
        result.status, result.error_code, result.error = ResultStatus.FAILED, code, message
        result.finished_at = utcnow()

    await in_transaction(sessions, work, name="completions.fail")


async def abandoned_call_ids(session: AsyncSession, older_than: timedelta) -> list[str]:
    """API calls still open long after any call could last: their process died before settling them."""
    stmt = select(col(Result.id)).where(
        col(Result.kind) == ResultKind.API,
        col(Result.status).in_([ResultStatus.PENDING, ResultStatus.STREAMING]),
        col(Result.created_at) <= utcnow() - older_than,
    )
    return list((await session.execute(stmt.limit(500))).scalars())


async def release_abandoned_calls(sessions: async_sessionmaker[AsyncSession], older_than: timedelta) -> int:
    """Give back the reservations of calls whose process died mid-call (nothing is charged for them)."""
    async with sessions() as session:
        ids = await abandoned_call_ids(session, older_than)
    for result_id in ids:
        await fail_call(sessions, result_id, "abandoned", "The call was interrupted before it finished.")
    if ids:
        log.info("completions.released_abandoned count=%d", len(ids))
    return len(ids)


async def cached_response(session: AsyncSession, account_id: int, cache_key: str) -> Result | None:
    """A stored, finished answer of this account to exactly the same request."""
    stmt = (
        select(Result)
        .where(
            col(Result.account_id) == account_id,
            col(Result.cache_key) == cache_key,
            col(Result.kind) == ResultKind.API,
            col(Result.status) == ResultStatus.DONE,
            col(Result.stored),
            col(Result.request).is_not(None),
        )
        .order_by(col(Result.created_at).desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()
