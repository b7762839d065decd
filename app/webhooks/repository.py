"""SQL for stored webhook deliveries."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db.models import WebhookDelivery, utcnow
from app.db.upsert import insert_ignore


async def insert_delivery(
    session: AsyncSession,
    *,
    delivery_id: str,
    event: str,
    action: str | None,
    installation_id: int | None,
    payload: str,
) -> int | None:
    """Store a delivery; returns its row id, or None when this delivery id was already stored."""
    pk = await insert_ignore(
        session,
        WebhookDelivery,
        {
            "delivery_id": delivery_id,
            "event": event,
            "action": action,
            "installation_id": installation_id,
            "payload": payload,
            "status": "pending",
            "attempts": 0,
            "received_at": utcnow(),
        },
        conflict=["delivery_id"],
    )
    return int(pk) if pk is not None else None


async def lock_delivery(session: AsyncSession, pk: int) -> WebhookDelivery | None:
    """Load a delivery for processing, locked so two workers cannot process it at once (PostgreSQL)."""
    stmt = select(WebhookDelivery).where(col(WebhookDelivery.id) == pk).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def stale_pending_ids(session: AsyncSession, older_than: timedelta, limit: int = 500) -> list[int]:
    """Deliveries stored but never processed (e.g. the enqueue after the commit was lost)."""
    stmt = (
        select(col(WebhookDelivery.id))
        .where(col(WebhookDelivery.status) == "pending", col(WebhookDelivery.received_at) < utcnow() - older_than)
        .order_by(col(WebhookDelivery.id))
        .limit(limit)
    )
    return [int(x) for x in (await session.execute(stmt)).scalars() if x is not None]
