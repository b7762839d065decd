"""Processing a stored delivery: parse the event, apply it, mark the delivery done (once)."""

from __future__ import annotations

import logging

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as repo_sql
from app.accounts.repo_events import apply_installation_target, apply_repository_event, installation_owns
from app.accounts.service import apply_installation_event, apply_installation_repositories
from app.context_files.push import apply_push
from app.db.models import DeliveryStatus, utcnow
from app.jobs_catalog import JobCall
from app.links.invalidation import InvalidationBus
from app.webhooks import repository
from github_app import (
    InstallationEvent,
    InstallationRepositoriesEvent,
    InstallationTargetEvent,
    PushEvent,
    RepositoryEvent,
    parse_known_event,
)

log = logging.getLogger("contextjson.webhooks")


async def process_delivery(
    session: AsyncSession, delivery_pk: int, *, invalidation: InvalidationBus, free_credit_usd: float
) -> list[JobCall]:
    """Apply one delivery; a delivery already processed is skipped, so running this twice is harmless."""
    delivery = await repository.lock_delivery(session, delivery_pk)
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return []
    delivery.attempts += 1
    try:
        event = parse_known_event(delivery.event, delivery.payload)
    except ValidationError as exc:
        delivery.status, delivery.error = DeliveryStatus.FAILED, f"malformed {delivery.event} payload: {exc}"[:4000]
        log.warning("github.delivery.malformed delivery=%s event=%s", delivery.delivery_id, delivery.event)
        return []
    followups = await _apply(session, event, invalidation, free_credit_usd) if event is not None else []
    delivery.status, delivery.processed_at = DeliveryStatus.PROCESSED, utcnow()
    log.info("github.%s delivery=%s action=%s", delivery.event, delivery.delivery_id, delivery.action)
    return followups


async def _apply(
    session: AsyncSession, event: BaseModel, invalidation: InvalidationBus, free_credit_usd: float
) -> list[JobCall]:
    if isinstance(event, InstallationEvent):
        return await apply_installation_event(session, free_credit_usd, event, invalidation)
    if isinstance(event, InstallationRepositoriesEvent):
        return await apply_installation_repositories(session, event, invalidation)
    if isinstance(event, PushEvent):
        return await _apply_push(session, event, invalidation)
    if isinstance(event, RepositoryEvent):
        return await apply_repository_event(session, event, invalidation)
    if isinstance(event, InstallationTargetEvent):
        return await apply_installation_target(session, event, invalidation)
    return []


async def _apply_push(session: AsyncSession, event: PushEvent, invalidation: InvalidationBus) -> list[JobCall]:
    """A push moves a branch head, so only the repository's own installation may report one."""
    known = await repo_sql.get_repository(session, event.repository.id)
    if known is not None and not await installation_owns(session, known, event.installation):
        return []
    names = [(event.repository.owner.login, event.repository.name)]
    names += [(known.owner, known.name)] if known is not None else []
    followups = await apply_push(session, event)
    invalidation.forget_after_commit(session, repos=names)
    return followups
