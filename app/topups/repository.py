"""SQL for top-ups and stored Stripe events."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db.models import Account, StripeEvent, StripeEventStatus, Topup, TopupStatus, utcnow
from app.db.upsert import insert_ignore
from app.topups.objects import StripeEventEnvelope


async def insert_event(session: AsyncSession, event: StripeEventEnvelope, payload: str) -> int | None:
    """Store a verified event; None when its id was stored before (on PostgreSQL a concurrent copy waits here)."""
    values = {
        "event_id": event.id,
        "type": event.type,
        "livemode": event.livemode,
        "object_id": event.object_id,
        "payment_intent_id": event.payment_intent_id,
        "payload": payload,
        "status": StripeEventStatus.IGNORED,  # replaced by finish_event in the same transaction
        "stripe_created_at": event.created_at,
        "received_at": utcnow(),
    }
    pk = await insert_ignore(session, StripeEvent, values, conflict=["event_id"])
    return int(pk) if pk is not None else None


async def finish_event(session: AsyncSession, pk: int, status: StripeEventStatus, note: str | None) -> None:
    """Record what an event did."""
    stmt = (
        update(StripeEvent)
        .where(col(StripeEvent.id) == pk)
        .values(status=status, note=note[:2000] if note else None, processed_at=utcnow())
    )
    await session.execute(stmt)


async def waiting_refunds(session: AsyncSession, payment_intent_id: str) -> list[StripeEvent]:
    """Refund events stored before their payment was credited, oldest first."""
    stmt = (
        select(StripeEvent)
        .where(
            col(StripeEvent.payment_intent_id) == payment_intent_id,
            col(StripeEvent.status) == StripeEventStatus.WAITING,
        )
        .order_by(col(StripeEvent.id))
    )
    return list((await session.execute(stmt)).scalars())


async def lock_payment(session: AsyncSession, payment_intent_id: str) -> None:
    """Serialize every event of one payment (credit, refunds) on PostgreSQL; SQLite has one writer anyway.

    A refund that arrives while its payment's credit is being written would otherwise see "not credited
    yet" and wait for a credit that already looked for waiting refunds before the refund was stored.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(f"stripe:{payment_intent_id}".encode()).digest()[:8], "big", signed=True)
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


async def account_login(session: AsyncSession, account_id: int) -> str | None:
    stmt = select(col(Account.login)).where(col(Account.id) == account_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def account_id_by_login(session: AsyncSession, login: str) -> int | None:
    """The account with this GitHub login (logins are case-insensitive on GitHub)."""
    stmt = select(col(Account.id)).where(func.lower(col(Account.login)) == login.lower()).order_by(col(Account.id))
    return (await session.execute(stmt.limit(1))).scalar_one_or_none()


async def lock_account(session: AsyncSession, account_id: int) -> None:
    """The account row, locked first as app.billing.budget's lock order asks (FOR NO KEY UPDATE)."""
    stmt = select(col(Account.id)).where(col(Account.id) == account_id).with_for_update(key_share=True)
    await session.execute(stmt)


async def insert_topup(session: AsyncSession, *, checkout_session_id: str, account_id: int, amount_micros: int) -> None:
    """Remember a Checkout Session this service created (nothing when it is known already)."""
    now = utcnow()
    values = {
        "checkout_session_id": checkout_session_id,
        "account_id": account_id,
        "amount_micros": amount_micros,
        "status": TopupStatus.OPEN,
        "credited_micros": 0,
        "refunded_micros": 0,
        "created_at": now,
        "updated_at": now,
    }
    await insert_ignore(session, Topup, values, conflict=["checkout_session_id"])


async def get_topup(session: AsyncSession, checkout_session_id: str) -> Topup | None:
    """A top-up by its Checkout Session, re-read (rows updated in this transaction by SQL are not stale)."""
    stmt = select(Topup).where(col(Topup.checkout_session_id) == checkout_session_id)
    stmt = stmt.execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def topup_by_payment_intent(session: AsyncSession, payment_intent_id: str) -> Topup | None:
    stmt = select(Topup).where(col(Topup.payment_intent_id) == payment_intent_id).order_by(col(Topup.id))
    stmt = stmt.execution_options(populate_existing=True)
    return (await session.execute(stmt.limit(1))).scalar_one_or_none()


async def lock_topup(session: AsyncSession, topup_id: int) -> Topup:
    stmt = select(Topup).where(col(Topup.id) == topup_id).with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one()


async def mark_credited(
    session: AsyncSession, checkout_session_id: str, *, payment_intent_id: str | None, credited_micros: int
) -> None:
    stmt = (
        update(Topup)
        .where(col(Topup.checkout_session_id) == checkout_session_id)
        .values(
            status=TopupStatus.CREDITED,
            payment_intent_id=payment_intent_id,
            credited_micros=credited_micros,
            updated_at=utcnow(),
        )
    )
    await session.execute(stmt)


async def move_topup(
    session: AsyncSession,
    checkout_session_id: str,
    to: TopupStatus,
    *,
    allowed_from: Iterable[TopupStatus],
    payment_intent_id: str | None = None,
) -> bool:
    """Change a top-up's status only from the given ones (a late event never undoes a credit); True if it moved."""
    values: dict[str, object] = {"status": to, "updated_at": utcnow()}
    if payment_intent_id is not None:
        values["payment_intent_id"] = payment_intent_id
    stmt = (
        update(Topup)
        .where(col(Topup.checkout_session_id) == checkout_session_id, col(Topup.status).in_(list(allowed_from)))
        .values(**values)
    )
    return bool((await session.execute(stmt)).rowcount)  # type: ignore[attr-defined]


async def record_refund(session: AsyncSession, topup_id: int, refunded_micros: int) -> None:
    stmt = update(Topup).where(col(Topup.id) == topup_id).values(refunded_micros=refunded_micros, updated_at=utcnow())
    await session.execute(stmt)


async def account_balance_micros(session: AsyncSession, account_id: int) -> int:
    stmt = select(col(Account.balance_micros)).where(col(Account.id) == account_id)
    return int((await session.execute(stmt)).scalar_one_or_none() or 0)
