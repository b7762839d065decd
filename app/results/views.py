"""What a result looks like to programs (its JSON shape) and the line under its page's title."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from msgspec import Meta, Struct

from app.db.models import MICROS_PER_USD, Repository, Result, ResultKind, ResultStatus
from app.pages import render
from app.results.failures import public_error


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
    asked = asked_context(result) or {}  # an API call asked of a context's base URL names that context
    return ResultJSON(
        id=result.id,
        status=result.status,
        repo=repo.full_name if repo else (f"{asked['owner']}/{asked['repo']}" if asked else None),
        branch=result.branch or asked.get("branch"),
        commit=result.commit_sha or asked.get("commit"),
        context_id=result.context_id or asked.get("context_id"),
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


def asked_context(result: Result) -> dict[str, str] | None:
    """The context an API call was asked of through its base URL (kept with a stored call), if any."""
    context = (result.request or {}).get("context") if result.kind == ResultKind.API else None
    return context if isinstance(context, dict) else None


def meta_html(result: Result, repo: Repository | None) -> str:
    """The line under the title: the context and model, what it cost and who paid (sent again when done)."""
    asked = asked_context(result)
    meta: dict[str, Any] = {
        "context_id": result.context_id or (asked or {}).get("context_id", ""),
        "asked_of": f"{asked.get('owner')}/{asked.get('repo')} ({asked.get('branch')})" if asked else None,
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
