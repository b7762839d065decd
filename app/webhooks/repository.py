"""SQL for stored webhook deliveries."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db.models import DeliveryStatus, WebhookDelivery, utcnow
from app.db.upsert import dialect_insert


async def insert_delivery(
    session: AsyncSession,
    *,
    delivery_id: str,
    event: str,
    action: str | None,
    installation_id: int | None,
    payload: str,
    body_sha256: str,
) -> int | None:
    """Store a delivery; returns its row id, or None when its delivery id or its body was already stored."""
    values = {
        "delivery_id": delivery_id,
        "event": event,
        "action": action,
        "installation_id": installation_id,
        "payload": payload,
        "body_sha256": body_sha256,
        "status": DeliveryStatus.PENDING,
        "attempts": 0,
        "received_at": utcnow(),
    }
    table = WebhookDelivery.__table__  # type: ignore[attr-defined]
    # No conflict target: either unique index (delivery id, body digest) makes this a duplicate.
    stmt = dialect_insert(session, table).values(**values).on_conflict_do_nothing()
    pk = (await session.execute(stmt.returning(table.c.id))).scalar_one_or_none()
    return int(pk) if pk is not None else None


async def delivery_id_of_body(session: AsyncSession, body_sha256: str) -> str | None:
    """The delivery id under which a body was first stored."""
    stmt = select(col(WebhookDelivery.delivery_id)).where(col(WebhookDelivery.body_sha256) == body_sha256)
    return (await session.execute(stmt)).scalar_one_or_none()


async def lock_delivery(session: AsyncSession, pk: int) -> WebhookDelivery | None:
    """Load a delivery for processing, locked so two workers cannot process it at once (PostgreSQL)."""
    stmt = select(WebhookDelivery).where(col(WebhookDelivery.id) == pk).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def stale_pending_ids(session: AsyncSession, older_than: timedelta, limit: int = 500) -> list[int]:
    """Deliveries stored but never processed (e.g. the enqueue after the commit was lost)."""
    stmt = (
        select(col(WebhookDelivery.id))
        .where(
            col(WebhookDelivery.status) == DeliveryStatus.PENDING,
            col(WebhookDelivery.received_at) < utcnow() - older_than,
        )
        .order_by(col(WebhookDelivery.id))
        .limit(limit)
    )
    return [int(x) for x in (await session.execute(stmt)).scalars() if x is not None]
