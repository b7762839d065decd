"""What a result looks like to people and programs: its JSON shape and its HTML page."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from msgspec import Meta, Struct

from app.db.models import MICROS_PER_USD, Repository, Result, ResultStatus
from app.pages import render, safe
from app.results.failures import public_error
from app.results.older import OlderReason, older_answer_url, older_reason_for_failure
from app.results.render import render_plain


class TokenUsage(Struct):
    """Tokens of the generation, as the model provider counted them."""

    prompt_tokens: int
    completion_tokens: int


class ResultJSON(Struct):
    """A result as `/r/{id}.json`: the answer, where it comes from, what it cost and who paid."""

    id: str
    status: ResultStatus
    repo: Annotated[str | None, Meta(description="owner/name of the repository the answer is about.")]
    branch: str | None
    commit: Annotated[str | None, Meta(description="The commit whose files formed the context.")]
    context_id: Annotated[str | None, Meta(description="The entry of context.json that was asked.")]
    model: str
    text: Annotated[str, Meta(description="The answer (Markdown); the text so far while it is streaming.")]
    usage: TokenUsage | None
    cost_usd: Annotated[float, Meta(description="What the owner was charged; 0 for an answer copied from the cache.")]
    paid_by: Annotated[str | None, Meta(description="The GitHub account that paid.")]
    cached_from: Annotated[str | None, Meta(description="The result an identical answer was copied from.")]
    error: Annotated[str | None, Meta(description="Why a failed answer failed, in words for people.")]
    error_code: Annotated[str | None, Meta(description="Why a failed answer failed, as a stable code.")]
    created_at: Annotated[str | None, Meta(description="When it was asked for (ISO 8601).")]
    finished_at: Annotated[str | None, Meta(description="When it was done or failed (ISO 8601).")]


def result_json(result: Result, repo: Repository | None) -> ResultJSON:
    """The public JSON of a result (`/r/{id}.json`)."""
    usage = None
    if result.prompt_tokens is not None or result.completion_tokens is not None:
        usage = TokenUsage(prompt_tokens=result.prompt_tokens or 0, completion_tokens=result.completion_tokens or 0)
    return ResultJSON(
        id=result.id,
        status=result.status,
        repo=repo.full_name if repo else None,
        branch=result.branch,
        commit=result.commit_sha,
        context_id=result.context_id,
        model=result.model,
        text=result.text,
        usage=usage,
        cost_usd=float(Decimal(result.cost_micros) / MICROS_PER_USD),
        paid_by=result.paid_by,
        cached_from=result.cached_from,
        error=public_error(result.error_code, result.error) if result.status == ResultStatus.FAILED else None,
        error_code=result.error_code,
        created_at=result.created_at.isoformat() if result.created_at else None,
        finished_at=result.finished_at.isoformat() if result.finished_at else None,
    )


def meta_html(result: Result, repo: Repository | None) -> str:
    """The line under the title: where the answer comes from, what it cost and who paid."""
    meta: dict[str, Any] = {
        "where": f"{repo.full_name if repo else '—'} · {result.branch or ''}@{(result.commit_sha or '')[:7]}",
        "context_id": result.context_id or "",
        "model": result.model,
        "paid": result.status == ResultStatus.DONE,
    }
    if result.status == ResultStatus.DONE:
        meta.update(
            tokens=f"{(result.prompt_tokens or 0) + (result.completion_tokens or 0):,}",
            cost=f"{Decimal(result.cost_micros) / MICROS_PER_USD:.4f}",
            payer=result.paid_by or (repo.owner if repo else "the owner"),
            reused=bool(result.cached_from),
            finished=result.finished_at.strftime("%Y-%m-%d %H:%M UTC") if result.finished_at else None,
        )
    return render("result_meta.html", meta=meta)


def result_page(
    result: Result, repo: Repository | None, *, older: str | None, fallback_id: str | None, answer_html: str | None
) -> str:
    """The HTML result page; streams with app/static/result.js, and shows the text so far without it."""
    # Stored when the answer finished (app.results.render); never rendered here, on the event loop.
    answer = answer_html if answer_html is not None else result.html or render_plain(result.text)
    older_reason = OlderReason.parse(older)
    # A failed answer links the last good one, whose notice says why the newer one is missing.
    reason = older_reason_for_failure(result.error_code)
    fallback_url = older_answer_url(fallback_id, reason) if fallback_id else None
    return render(
        "result.html",
        title=f"{repo.full_name if repo else 'contextjson'} · {result.context_id or 'answer'}",
        result=result,
        meta_html=safe(meta_html(result, repo)),
        older_reason=older_reason.notice if older_reason else None,
        failure=public_error(result.error_code, result.error) if result.status == ResultStatus.FAILED else None,
        fallback_url=fallback_url,
        answer_html=safe(answer) if result.status == ResultStatus.DONE else None,
        waiting=not result.status.finished,
    )
