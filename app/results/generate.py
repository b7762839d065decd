"""The generation job's service: plan, reuse or reserve, stream upstream to watchers, settle.

Each phase uses its own short transaction, so no database transaction is open while GitHub or the LLM
is called. The phases that move money lock their rows in the order documented in `app.billing.budget` and
run through `in_transaction`, which re-runs one that loses a deadlock. Running the job again for the same
result is safe: finished results are left alone, a reservation is kept rather than taken twice, and the
charge is keyed by the result id. Each run counts as an attempt; after MAX_ATTEMPTS the result fails
instead of being generated again, so an input that crashes or freezes its process cannot loop forever.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.refresh import refresh_repository
from app.billing import budget
from app.context_files.validation import ContextEntry
from app.context_settings import repository as context_settings
from app.db.models import Result, ResultStatus, utcnow
from app.db.retry import in_transaction
from app.fetch import FetchPolicy
from app.github_source import AppGitHub
from app.links.invalidation import InvalidationBus
from app.llm import ChatRequest, Completion, LLMClient, UpstreamError
from app.models_catalog import ModelCatalog
from app.repo_context.errors import ContextBuildFailed
from app.results import failures
from app.results import repository as results_sql
from app.results.broker import EventKind, TokenBroker
from app.results.failures import GenerationFailed
from app.results.prompting import Plan, plan_generation
from app.results.question import record_files
from app.results.render import render_answer
from app.results.snapshots import repository_snapshot
from app.settings import Settings

log = logging.getLogger("contextjson.generate")

_REPO_UNAVAILABLE = (
    "This repository is no longer public (made private, deleted, or the contextjson App was removed), "
    "so no answer is generated for it. Nothing was charged."
)
_UNAVAILABLE_PRIVATE = (
    "This repository is no longer available (deleted, or the contextjson App was removed), so no answer is "
    "generated for it. Nothing was charged."
)
PARTIAL_SAVE_SECONDS = 1.0  # how often streamed text is written to the database for no-JS pages
MAX_ATTEMPTS = 3  # generation starts of one result; one more start fails it instead

__all__ = ["MAX_ATTEMPTS", "GenerationClients", "GenerationFailed", "generate_result"]


@dataclass(frozen=True)
class GenerationClients:
    """What a generation uses: the database, GitHub (visibility, tarball), the model API, the watchers' broker."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    github: AppGitHub
    llm: LLMClient
    broker: TokenBroker
    catalog: ModelCatalog
    invalidation: InvalidationBus
    fetch_policy: FetchPolicy


async def generate_result(clients: GenerationClients, result_id: str) -> None:
    """Produce the answer of one pending result (job `results.generate`)."""
    result = await in_transaction(
        clients.sessions, lambda session: results_sql.start_attempt(session, result_id), name="generate.start"
    )
    if result is None:
        return
    try:
        if result.attempts > MAX_ATTEMPTS:
            raise failures.too_many_attempts(result.attempts - 1)
        plan = await _plan(clients, result)
        if await _reuse_or_reserve(clients, result, plan):
            return
        completion = await _stream(clients, result, plan)
    except GenerationFailed as exc:
        await _fail(clients, result_id, exc.code, exc.message)
        return
    except UpstreamError as exc:
        log.warning("generate.upstream_failed result=%s status=%s detail=%s", result_id, exc.status, exc.message)
        failed = failures.upstream_failed(exc)
        await _fail(clients, result_id, failed.code, failed.message)
        return
    await _finish(clients, result_id, completion, plan)


async def _plan(clients: GenerationClients, result: Result) -> Plan:
    request = result.request or {}
    try:
        entry = ContextEntry.from_dict(request["entry"])
        price = clients.catalog.get(result.model)
        assert result.repository_id is not None
        repo = await refresh_repository(
            clients.sessions, clients.github, clients.invalidation, result.repository_id
        )  # GitHub's view now, not the last webhook's
        # A private repository is answered only when a visitor admitted to it asked (app.links.resolve);
        # a link asked while the repository seemed public is not answered once GitHub says it is private.
        if repo is None or (repo.private and not request.get("private")):
            message = _UNAVAILABLE_PRIVATE if request.get("private") else _REPO_UNAVAILABLE
            raise GenerationFailed(failures.FailureCode.REPO_UNAVAILABLE, message)
        assert result.commit_sha is not None
        archive = await repository_snapshot(clients.github, clients.settings, repo, result.commit_sha)
        return await plan_generation(
            entry=entry,
            price=price,
            owner=request["owner"],
            repo=request["repo"],
            branch=request["branch"],
            archive=archive,
            fetch_policy=clients.fetch_policy,
        )
    except GenerationFailed:
        raise
    except ContextBuildFailed as exc:  # the entry's own input (patterns, size): the same input fails alike
        log.info("generate.context_refused result=%s reason=%s", result.id, exc)
        raise failures.context_failed(exc) from exc
    except Exception as exc:  # any failure to build the context is shown on the page, never a crash
        log.exception("generate.context_failed result=%s", result.id)
        raise failures.context_failed(exc) from exc


@dataclass(frozen=True)
class _Reused:
    """An identical finished answer was copied into the result."""

    text: str
    html: str | None
    source_id: str


async def _reuse_or_reserve(clients: GenerationClients, result: Result, plan: Plan) -> bool:
    """True when nothing is left to do (finished meanwhile, or an identical answer reused for free)."""
    worst = budget.cost_micros(clients.catalog.get(result.model), plan.prompt_tokens, plan.max_tokens)

    async def work(session: AsyncSession) -> _Reused | budget.Refusal | GenerationFailed | bool:
        locked = await budget.lock_for_money(session, result.id, repository=True)
        if locked is None or locked.result.status.finished:
            return True
        if await _paused(session, locked.result):
            return failures.paused()
        same = await results_sql.done_result_with_cache_key(session, plan.cache_key, exclude=result.id)
        if same is not None:
            await budget.release(session, locked.result)  # a re-run may hold a reservation from before a crash
            _copy_answer(locked.result, same)
            record_files(locked.result, plan)
            return _Reused(same.text, same.html, same.id)
        refused = await budget.reserve(session, locked, worst)
        if refused is not None:
            return refused
        mine = locked.result
        mine.cache_key, mine.status, mine.started_at = plan.cache_key, ResultStatus.STREAMING, utcnow()
        mine.prompt_tokens = plan.prompt_tokens
        record_files(mine, plan)
        return False

    outcome = await in_transaction(clients.sessions, work, name="generate.reserve")
    if isinstance(outcome, GenerationFailed):
        raise outcome
    if isinstance(outcome, budget.Refusal):
        raise failures.refused(outcome)
    if isinstance(outcome, _Reused):
        if outcome.html is None:  # reused from a row finished before answers were stored rendered
            await _store_html(clients, result.id, outcome.text)
        await clients.broker.publish(result.id, EventKind.DELTA, outcome.text)
        await clients.broker.publish(result.id, EventKind.DONE)
        log.info("generate.reused result=%s from=%s", result.id, outcome.source_id)
        return True
    return outcome


async def _paused(session: AsyncSession, result: Result) -> bool:
    """Read in the transaction that would reserve: a pause committed before it starts no answer; one committed
    after finds this answer already paid for and under way, and it finishes."""
    if result.repository_id is None or result.context_id is None:
        return False
    return await context_settings.is_paused(session, result.repository_id, result.context_id)


def _copy_answer(result: Result, same: Result) -> None:
    result.text, result.html, result.cached_from, result.cost_micros = same.text, same.html, same.id, 0
    result.prompt_tokens, result.completion_tokens = same.prompt_tokens, same.completion_tokens
    result.cache_key, result.status, result.finished_at = same.cache_key, ResultStatus.DONE, utcnow()
    result.paid_by = same.paid_by


async def _store_html(clients: GenerationClients, result_id: str, text: str) -> None:
    html = await render_answer(text)  # before the transaction: no locks held while rendering
    await in_transaction(
        clients.sessions, lambda session: results_sql.store_html(session, result_id, html), name="generate.html"
    )


async def _stream(clients: GenerationClients, result: Result, plan: Plan) -> Completion:
    """Call the model, relaying every delta to watchers and saving partial text now and then."""
    parts: list[str] = []
    last_save = time.monotonic()
    await clients.broker.publish(result.id, EventKind.RESET)  # a re-run after a crash starts the text again

    async def on_delta(text: str) -> None:
        nonlocal last_save
        parts.append(text)
        await clients.broker.publish(result.id, EventKind.DELTA, text)
        if time.monotonic() - last_save >= PARTIAL_SAVE_SECONDS:
            last_save = time.monotonic()
            so_far = "".join(parts)
            await in_transaction(
                clients.sessions,
                lambda session: results_sql.save_partial_text(session, result.id, so_far),
                name="generate.partial",
            )

    async def on_reset() -> None:
        parts.clear()
        await clients.broker.publish(result.id, EventKind.RESET)

    request = ChatRequest(model=result.model, messages=plan.messages, max_tokens=plan.max_tokens)
    return await clients.llm.stream_chat(request, on_delta, on_reset)


@dataclass(frozen=True)
class _Settled:
    charged: int
    prompt_tokens: int
    completion_tokens: int


async def _finish(clients: GenerationClients, result_id: str, completion: Completion, plan: Plan) -> None:
    """Charge the actual cost, store the answer and its HTML, and tell watchers it is done."""
    html = await render_answer(completion.text)  # before the transaction: no locks held while rendering
    usage = completion.usage
    prompt_tokens = usage.prompt_tokens if usage else plan.prompt_tokens
    completion_tokens = usage.completion_tokens if usage else plan.max_tokens

    async def work(session: AsyncSession) -> _Settled | None:
        locked = await budget.lock_for_money(session, result_id)
        if locked is None or locked.result.status.finished:
            return None
        result = locked.result
        actual = budget.cost_micros(clients.catalog.get(result.model), prompt_tokens, completion_tokens)
        charged = await budget.settle(session, result, actual)
        # Every field in one UPDATE (nothing flushes in between): see the lock order in app.billing.budget.
        result.text, result.html, result.status = completion.text, html, ResultStatus.DONE
        result.finished_at = utcnow()
        result.prompt_tokens, result.completion_tokens = prompt_tokens, completion_tokens
        result.paid_by = locked.account.login if locked.account else None
        return _Settled(charged, prompt_tokens, completion_tokens)

    settled = await in_transaction(clients.sessions, work, name="generate.finish")
    if settled is None:
        return
    await clients.broker.publish(result_id, EventKind.DONE)
    log.info(
        "generate.done result=%s charged_micros=%d tokens=%d/%d",
        result_id,
        settled.charged,
        settled.prompt_tokens,
        settled.completion_tokens,
    )


async def _fail(clients: GenerationClients, result_id: str, code: str, message: str) -> None:
    """Mark the result failed, give back any reservation (nothing is charged) and tell watchers why."""

    async def work(session: AsyncSession) -> bool:
        locked = await budget.lock_for_money(session, result_id)
        if locked is None or locked.result.status.finished:
            return False
        result = locked.result
        await budget.release(session, result)
        result.status, result.error_code, result.error = ResultStatus.FAILED, code, message
        result.finished_at = utcnow()
        return True

    if not await in_transaction(clients.sessions, work, name="generate.fail"):
        return
    await clients.invalidation.forget_result(result_id)
    await clients.broker.publish(result_id, EventKind.ERROR, message)
    log.warning("generate.failed result=%s code=%s message=%s", result_id, code, message)
