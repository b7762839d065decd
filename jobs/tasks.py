"""Job functions. Each opens its own session, calls one app service, commits, then enqueues follow-ups.

They take ids, never objects, and running one twice is harmless (the services check state first).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from githubkit.exception import RequestError, RequestFailed, RequestTimeout
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import outbox
from app.accounts.service import sync_installation as sync_installation_service
from app.clients import pick
from app.context_files.checks import CheckClients
from app.context_files.checks import check_context_file as check_context_file_service
from app.db.retry import is_transient
from app.jobs_catalog import JobCall
from app.queue import RetryJob
from app.requeue import requeue_unfinished as requeue_service
from app.results.generate import GenerationClients, generate_result
from app.webhooks.processing import process_delivery as process_delivery_service


@asynccontextmanager
async def _unit_of_work(ctx: dict[str, Any]) -> AsyncIterator[tuple[AsyncSession, list[JobCall]]]:
    """One transaction per job; follow-ups are enqueued only after it commits.

    Passing GitHub failures (network, 5xx, rate limits) become a retry with exponential backoff, and a
    transaction the database aborted for a concurrent one (deadlock, busy) a quick retry.
    """
    sessions: async_sessionmaker[AsyncSession] = ctx["sessions"]
    followups: list[JobCall] = []
    try:
        async with sessions() as session:
            yield session, followups
            staged = await outbox.stage(session, followups)
            await session.commit()
    except RequestFailed as exc:  # before RequestError, its base class: a 404 or 422 will not pass by itself
        if exc.response.status_code >= 500 or exc.response.status_code in (403, 429):
            raise RetryJob(_backoff(ctx)) from exc
        raise
    except (RequestError, RequestTimeout) as exc:
        raise RetryJob(_backoff(ctx)) from exc
    except DBAPIError as exc:
        if is_transient(exc):  # lost a deadlock or a lock wait: the whole unit runs again shortly
            raise RetryJob(0.1 * int(ctx.get("job_try", 1))) from exc
        raise
    await outbox.dispatch(sessions, ctx["queue"], staged)


def _backoff(ctx: dict[str, Any]) -> float:
    return float(min(300, 2 ** int(ctx.get("job_try", 1))))


async def process_delivery(ctx: dict[str, Any], delivery_pk: int) -> None:
    """github.process_delivery: apply one stored webhook delivery."""
    async with _unit_of_work(ctx) as (session, followups):
        followups.extend(
            await process_delivery_service(
                session,
                delivery_pk,
                invalidation=ctx["invalidation"],
                free_credit_usd=ctx["settings"].free_credit_usd,
            )
        )


async def sync_installation(ctx: dict[str, Any], installation_id: int) -> None:
    """github.sync_installation: refresh an installation's repositories and check them."""
    async with _unit_of_work(ctx) as (session, followups):
        synced = await sync_installation_service(
            session,
            installation_id,
            sessions=ctx["sessions"],
            github=ctx["github"],
            invalidation=ctx["invalidation"],
        )
        followups.extend(synced)


async def check_context_file(ctx: dict[str, Any], repository_id: int, branch: str | None, sha: str | None) -> None:
    """github.check_context_file: validate context.json at a commit and report the check run."""
    async with _unit_of_work(ctx) as (session, _):
        await check_context_file_service(pick(CheckClients, ctx), session, repository_id, branch, sha)


async def requeue_unfinished(ctx: dict[str, Any], older_than_seconds: float | None = None) -> int:
    """jobs.requeue_unfinished: re-enqueue work stored but never finished, older than REQUEUE_AFTER_SECONDS."""
    if older_than_seconds is None:
        older_than_seconds = ctx["settings"].requeue_after_seconds
    return await requeue_service(ctx["sessions"], ctx["queue"], timedelta(seconds=older_than_seconds))


async def generate(ctx: dict[str, Any], result_id: str) -> None:
    """results.generate: produce (or reuse) the answer of a pending result and stream it to watchers."""
    await generate_result(pick(GenerationClients, ctx), result_id)
