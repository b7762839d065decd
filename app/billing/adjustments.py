"""Operator credit adjustments: one ledger entry each, exact, once per key, never below what is reserved.

An adjustment is a `credit` ledger entry (positive: money given, negative: money taken back) whose
`adjusted_by` names the operator and whose `note` is their reason (see LedgerKind for why not a kind of
its own). It follows app.billing.budget's lock order: the account row first, then the ledger row and the
balance. Taking money back is refused when the balance would drop below what generations in flight have
reserved, so the balance never goes below zero, whatever runs at the same time.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.billing.money import parse_usd, usd_text
from app.db.models import MICROS_PER_USD, Account, LedgerEntry, LedgerKind, utcnow
from app.db.upsert import insert_ignore
from app.errors import AppError

log = logging.getLogger("contextjson.billing")

# A typo guard, not a policy: larger corrections are made in several adjustments.
MAX_ADJUSTMENT_USD = 100_000
MAX_REASON_CHARS = 500
_KEY = re.compile(r"^[A-Za-z0-9_-]{8,100}$")
_KEY_PREFIX = "adjustment:"  # its own namespace: a key can never match a free credit's or a top-up's


class InvalidAdjustment(AppError):
    status_code = 400
    code = "operator.invalid_adjustment"
    title = "This adjustment is not valid"


class AdjustmentExceedsBalance(AppError):
    status_code = 409
    code = "operator.adjustment_exceeds_balance"
    title = "The account does not hold that much"


class AdjustmentKeyReused(AppError):
    status_code = 409
    code = "operator.adjustment_key_reused"
    title = "This idempotency key was used for another adjustment"


@dataclass(frozen=True)
class AdjustmentRequest:
    """A checked request: a non-zero amount within bounds, a reason, who asks, and its idempotency key."""

    amount_micros: int
    reason: str
    by: str
    key: str


@dataclass(frozen=True)
class Adjustment:
    """A stored adjustment and the account's balance right after it (`replayed`: the key was used before)."""

    entry_id: int
    account_id: int
    amount_micros: int
    reason: str
    by: str
    created_at: datetime
    balance_micros: int
    replayed: bool


def adjustment_request(amount_usd: str | int, reason: str, *, by: str, key: str | None = None) -> AdjustmentRequest:
    """Check what an operator typed; InvalidAdjustment (400) says what is wrong."""
    try:
        micros = parse_usd(amount_usd)
    except ValueError as exc:
        raise InvalidAdjustment(f"amount_usd: {exc} (e.g. 10, -2.50 or 0.000125)") from exc
    if micros == 0:
        raise InvalidAdjustment("amount_usd: an adjustment of zero changes nothing")
    if abs(micros) > MAX_ADJUSTMENT_USD * MICROS_PER_USD:
        raise InvalidAdjustment(f"amount_usd: at most {MAX_ADJUSTMENT_USD} USD either way in one adjustment")
    reason = " ".join(reason.split())  # one line: it is shown in tables and CSV cells
    if not reason:
        raise InvalidAdjustment("reason: say why (the owner sees it in their ledger)")
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidAdjustment(f"reason: at most {MAX_REASON_CHARS} characters")
    if key is not None and not _KEY.match(key):
        raise InvalidAdjustment("idempotency_key: 8 to 100 letters, digits, '-' or '_'")
    return AdjustmentRequest(micros, reason, by, key or uuid.uuid4().hex)


async def adjust(session: AsyncSession, account_id: int, request: AdjustmentRequest) -> Adjustment:
    """Write the adjustment once (the caller commits; run it in app.db.retry.in_transaction)."""
    await _lock_account(session, account_id)
    created_at = utcnow()
    entry_id = await insert_ignore(
        session,
        LedgerEntry,
        {
            "account_id": account_id,
            "kind": LedgerKind.CREDIT,
            "amount_micros": request.amount_micros,
            "idempotency_key": _KEY_PREFIX + request.key,
            "note": request.reason,
            "adjusted_by": request.by,
            "created_at": created_at,
        },
        conflict=["idempotency_key"],
    )
    if entry_id is None:
        return await _replayed(session, account_id, request)
    changed = await session.execute(
        update(Account)
        .where(col(Account.id) == account_id)
        .where(col(Account.balance_micros) + request.amount_micros >= col(Account.reserved_micros))
        .values(balance_micros=col(Account.balance_micros) + request.amount_micros)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        # Raising rolls the ledger row back with the rest of the transaction.
        taking = usd_text(-request.amount_micros).rstrip("0").rstrip(".")
        raise AdjustmentExceedsBalance(
            f"Taking {taking} USD back would leave less than the account holds (less what answers in progress "
            "have reserved). Nothing was changed."
        )
    balance = await _balance(session, account_id)
    log.info(
        "billing.adjustment account=%s entry=%s amount_usd=%s by=%s",
        account_id,
        entry_id,
        usd_text(request.amount_micros),
        request.by,
    )
    return Adjustment(
        entry_id, account_id, request.amount_micros, request.reason, request.by, created_at, balance, False
    )


async def _lock_account(session: AsyncSession, account_id: int) -> None:
    """The account row first, FOR NO KEY UPDATE, as app.billing.budget's lock order asks."""
    await session.execute(select(col(Account.id)).where(col(Account.id) == account_id).with_for_update(key_share=True))


async def _balance(session: AsyncSession, account_id: int) -> int:
    stmt = select(col(Account.balance_micros)).where(col(Account.id) == account_id)
    return int((await session.execute(stmt)).scalar_one())


async def _replayed(session: AsyncSession, account_id: int, request: AdjustmentRequest) -> Adjustment:
    """The same form sent twice (a double click, a retried API call): the first entry, no second change."""
    stmt = select(LedgerEntry).where(col(LedgerEntry.idempotency_key) == _KEY_PREFIX + request.key)
    entry = (await session.execute(stmt)).scalar_one()
    if (entry.account_id, entry.amount_micros, entry.note) != (account_id, request.amount_micros, request.reason):
        raise AdjustmentKeyReused("This idempotency key belongs to a different adjustment; nothing was changed.")
    assert entry.id is not None
    balance = await _balance(session, account_id)
    return Adjustment(
        entry.id,
        account_id,
        entry.amount_micros,
        request.reason,
        entry.adjusted_by or request.by,
        entry.created_at,
        balance,
        True,
    )
