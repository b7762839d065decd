"""Processing a stored delivery: parse the event, apply it, mark the delivery done (once)."""

from __future__ import annotations

import logging

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.service import apply_installation_event, apply_installation_repositories
from app.contexts.push import apply_push
from app.db.models import utcnow
from app.queue import FollowUp
from app.runtime import Runtime
from app.webhooks import repository
from github_app import InstallationEvent, InstallationRepositoriesEvent, PushEvent, parse_known_event

log = logging.getLogger("contextjson.webhooks")


async def process_delivery(rt: Runtime, session: AsyncSession, delivery_pk: int) -> list[FollowUp]:
    """Apply one delivery; a delivery already processed is skipped, so running this twice is harmless."""
    delivery = await repository.lock_delivery(session, delivery_pk)
    if delivery is None or delivery.status != "pending":
        return []
    delivery.attempts += 1
    try:
        event = parse_known_event(delivery.event, delivery.payload)
    except ValidationError as exc:
        delivery.status, delivery.error = "failed", f"malformed {delivery.event} payload: {exc}"[:4000]
        log.warning("github.delivery.malformed delivery=%s event=%s", delivery.delivery_id, delivery.event)
        return []
    followups: list[FollowUp] = []
    if isinstance(event, InstallationEvent):
        followups = await apply_installation_event(session, rt.settings.free_credit_usd, event)
    elif isinstance(event, InstallationRepositoriesEvent):
        followups = await apply_installation_repositories(session, event)
    elif isinstance(event, PushEvent):
        followups = await apply_push(session, event)
        rt.link_cache.forget_repo(event.repository.owner.login, event.repository.name)
    delivery.status, delivery.processed_at = "processed", utcnow()
    log.info("github.%s delivery=%s action=%s", delivery.event, delivery.delivery_id, delivery.action)
    return followups
