"""The generation job's service: plan, reuse or reserve, stream upstream to watchers, settle.

Each phase uses its own short transaction, so no database transaction is open while GitHub or the LLM
is called. Running it again for the same result is safe: finished results are left alone, a reservation
is kept rather than taken twice, and the charge is keyed by the result id.
"""

from __future__ import annotations

import logging
import time

from app.accounts.refresh import refresh_repository
from app.billing import budget
from app.contexts.validation import ContextEntry
from app.db.models import Account, Result, utcnow
from app.llm import ChatRequest, Completion, UpstreamError
from app.results import repository as results_sql
from app.results.prompting import Plan, plan_generation
from app.results.snapshots import ensure_snapshot
from app.runtime import Runtime

log = logging.getLogger("contextjson.generate")

_REPO_UNAVAILABLE = (
    "This repository is no longer public (made private, deleted, or the contextjson App was removed), "
    "so no answer is generated for it. Nothing was charged."
)
PARTIAL_SAVE_SECONDS = 1.0  # how often streamed text is written to the database for no-JS pages


class GenerationFailed(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


async def generate_result(rt: Runtime, result_id: str) -> None:
    """Produce the answer of one pending result (job `results.generate`)."""
    async with rt.sessions() as session:
        result = await results_sql.get_result(session, result_id)
        if result is None or result.status in ("done", "failed"):
            return
    try:
        plan = await _plan(rt, result)
        if await _reuse_or_reserve(rt, result_id, plan):
            return
        completion = await _stream(rt, result, plan)
    except GenerationFailed as exc:
        await _fail(rt, result_id, exc.code, exc.message)
        return
    except UpstreamError as exc:
        await _fail(rt, result_id, "upstream", f"The model API failed: {exc.message}")
        return
    await _finish(rt, result_id, completion, plan)


async def _plan(rt: Runtime, result: Result) -> Plan:
    request = result.request or {}
    try:
        entry = ContextEntry.from_dict(request["entry"])
        price = rt.catalog.get(result.model)
        assert result.repository_id is not None
        repo = await refresh_repository(rt, result.repository_id)  # GitHub's view now, not the last webhook's
        if repo is None or repo.private:
            raise GenerationFailed("repo_unavailable", _REPO_UNAVAILABLE)
        assert repo.installation_id is not None and result.commit_sha is not None
        archive = await ensure_snapshot(
            rt.github,
            cache_dir=rt.settings.snapshot_cache_dir,
            installation_id=repo.installation_id,
            repository_id=repo.id,
            owner=repo.owner,
            repo=repo.name,
            sha=result.commit_sha,
            max_cache_bytes=rt.settings.snapshot_cache_max_bytes,
        )
        return await plan_generation(
            entry=entry,
            price=price,
            owner=request["owner"],
            repo=request["repo"],
            branch=request["branch"],
            archive=archive,
            fetch_policy=rt.fetch_policy,
        )
    except GenerationFailed:
        raise
    except Exception as exc:  # any failure to build the context is shown on the page, never a crash
        log.exception("generate.context_failed result=%s", result.id)
        raise GenerationFailed("context", f"Could not build the repository context: {exc}") from exc


async def _reuse_or_reserve(rt: Runtime, result_id: str, plan: Plan) -> bool:
    """True when an identical finished answer was reused (no charge); else reserve the worst-case cost."""
    async with rt.sessions() as session:
        result = await session.get_one(Result, result_id, with_for_update=True)
        if result.status in ("done", "failed"):
            return True
        same = await results_sql.done_result_with_cache_key(session, plan.cache_key, exclude=result_id)
        if same is not None:
            _copy_answer(result, same)
            await session.commit()
            await rt.broker.publish(result_id, "delta", same.text)
            await rt.broker.publish(result_id, "done")
            log.info("generate.reused result=%s from=%s", result_id, same.id)
            return True
        price = rt.catalog.get(result.model)
        worst = budget.cost_micros(price, plan.prompt_tokens, plan.max_tokens)
        refused = await budget.reserve(session, result, worst)
        if refused is not None:
            await session.rollback()
            raise GenerationFailed(refused, _budget_message(refused))
        result.cache_key, result.status, result.started_at = plan.cache_key, "streaming", utcnow()
        result.prompt_tokens = plan.prompt_tokens
        session.add(result)
        await session.commit()
    return False


def _copy_answer(result: Result, same: Result) -> None:
    result.text, result.cached_from, result.cost_micros = same.text, same.id, 0
    result.prompt_tokens, result.completion_tokens = same.prompt_tokens, same.completion_tokens
    result.cache_key, result.status, result.finished_at = same.cache_key, "done", utcnow()
    result.paid_by = same.paid_by


def _budget_message(code: str) -> str:
    if code == "repo_cap":
        return "This repository has reached the monthly spending cap its owner set."
    return "The owner's budget for new answers is used up."


async def _stream(rt: Runtime, result: Result, plan: Plan) -> Completion:
    """Call the model, relaying every delta to watchers and saving partial text now and then."""
    parts: list[str] = []
    last_save = time.monotonic()
    await rt.broker.publish(result.id, "reset")  # a re-run after a crash starts the text again

    async def on_delta(text: str) -> None:
        nonlocal last_save
        parts.append(text)
        await rt.broker.publish(result.id, "delta", text)
        if time.monotonic() - last_save >= PARTIAL_SAVE_SECONDS:
            last_save = time.monotonic()
            async with rt.sessions() as session:
                await results_sql.save_partial_text(session, result.id, "".join(parts))
                await session.commit()

    async def on_reset() -> None:
        parts.clear()
        await rt.broker.publish(result.id, "reset")

    request = ChatRequest(model=result.model, messages=plan.messages, max_tokens=plan.max_tokens)
    return await rt.llm.stream_chat(request, on_delta, on_reset)


async def _finish(rt: Runtime, result_id: str, completion: Completion, plan: Plan) -> None:
    async with rt.sessions() as session:
        result = await session.get_one(Result, result_id, with_for_update=True)
        if result.status == "done":
            return
        price = rt.catalog.get(result.model)
        usage = completion.usage
        prompt_tokens = usage.prompt_tokens if usage else plan.prompt_tokens
        completion_tokens = usage.completion_tokens if usage else plan.max_tokens
        charged = await budget.settle(session, result, budget.cost_micros(price, prompt_tokens, completion_tokens))
        account = await session.get(Account, result.account_id) if result.account_id else None
        result.text, result.status, result.finished_at = completion.text, "done", utcnow()
        result.prompt_tokens, result.completion_tokens = prompt_tokens, completion_tokens
        result.paid_by = account.login if account else None
        session.add(result)
        await session.commit()
    await rt.broker.publish(result_id, "done")
    log.info(
        "generate.done result=%s charged_micros=%d tokens=%d/%d", result_id, charged, prompt_tokens, completion_tokens
    )


async def _fail(rt: Runtime, result_id: str, code: str, message: str) -> None:
    """Mark the result failed, give back any reservation (nothing is charged) and tell watchers why."""
    async with rt.sessions() as session:
        result = await session.get_one(Result, result_id, with_for_update=True)
        if result.status in ("done", "failed"):
            return
        await budget.release(session, result)
        result.status, result.error_code, result.error, result.finished_at = "failed", code, message, utcnow()
        session.add(result)
        await session.commit()
    await rt.invalidation.forget_result(result_id)
    await rt.broker.publish(result_id, "error", message)
    log.warning("generate.failed result=%s code=%s message=%s", result_id, code, message)
