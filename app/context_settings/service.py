"""Changing an owner's settings: a repository's monthly cap, pausing a context. Flushed here, committed by the caller.

A pause reaches visitor links at once, on every web process: the repository's cached links are dropped when
the change commits (app.links.invalidation), so no process keeps answering from what it cached before.
"""

from __future__ import annotations

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.budget import month_start
from app.billing.money import parse_usd
from app.context_settings import repository
from app.context_settings.contexts import ContextState, repo_contexts
from app.db.models import MICROS_PER_USD, Repository
from app.errors import AppError
from app.links.invalidation import InvalidationBus

MAX_CAP_MICROS = 1_000_000 * MICROS_PER_USD


class InvalidCap(AppError):
    status_code = 400
    code = "repo.invalid_cap"
    title = "That monthly cap cannot be used"


class UnknownContext(AppError):
    status_code = 404
    code = "context.not_found"
    title = "No such context"


def parse_cap(text: str | None) -> int | None:
    """A cap as typed ("12.50", "$12.50") in micro-dollars; empty or None: no cap. InvalidCap says why not."""
    if text is None or not text.strip():
        return None
    try:
        micros = parse_usd(text.strip().removeprefix("$").strip())
    except ValueError as exc:
        raise InvalidCap(f'"{text[:40]}" is not an amount in US dollars such as 12.50: {exc}.') from None
    if micros < 0:
        raise InvalidCap("A monthly cap cannot be negative. Leave it empty for no cap, or 0 to stop new answers.")
    if micros > MAX_CAP_MICROS:
        raise InvalidCap(f"A monthly cap is at most {MAX_CAP_MICROS // MICROS_PER_USD:,} US dollars.")
    return micros


async def change_cap(session: AsyncSession, repo: Repository, text: str | None) -> int | None:
    """Set the repository's monthly cap (the next generation's reservation checks it); returns it."""
    cap = parse_cap(text)
    await repository.set_monthly_cap(session, repo.id, cap)
    repo.monthly_cap_micros = cap
    return cap


async def change_pause(
    session: AsyncSession,
    bus: InvalidationBus,
    repo: Repository,
    context_id: str,
    paused: bool,
    *,
    public_base: str,
) -> ContextState:
    """Pause or resume one of the repository's contexts (one its page lists); returns its new state."""
    listed = await repo_contexts(session, repo, public_base, month_start().date())
    found = listed.find(context_id)
    if found is None:
        raise UnknownContext(f'{repo.full_name} has no context "{context_id[:64]}".')
    await repository.set_paused(session, repo.id, context_id, paused)
    bus.forget_after_commit(session, repos=[(repo.owner, repo.name)])
    return msgspec.structs.replace(found, paused=paused)
