"""Resolving a visitor link to a result: the cached one, or a new pending one queued for generation."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from githubkit.exception import GitHubException
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as repo_sql
from app.billing.budget import available_micros
from app.contexts import heads
from app.contexts import repository as ctx_sql
from app.contexts.checks import snapshot_without_check
from app.db.models import ContextFile, Repository, utcnow
from app.links import errors
from app.results import repository as results_sql
from app.results.ids import new_result_id
from app.runtime import Runtime


@dataclass(frozen=True)
class LinkRequest:
    owner: str
    repo: str
    branch: str | None  # None: the default branch
    context_id: str
    client_key: str  # a hash of the client address, for rate limiting


@dataclass(frozen=True)
class LinkOutcome:
    result_id: str
    created: bool  # a new generation must be queued


async def resolve_link(rt: Runtime, session: AsyncSession, req: LinkRequest) -> LinkOutcome:
    """Find or create the result a link points at; raises a LinkError saying why it can't."""
    repo = await _active_repository(session, req)
    branch = req.branch or repo.default_branch or await _github_default_branch(rt, repo)
    head = await heads.get_head(session, repo.id, branch) or await _github_head(rt, session, repo, branch)
    entry = await _context_entry(rt, session, repo, branch, head, req.context_id)
    model = entry.get("model") or rt.catalog.default_model
    if model not in rt.catalog:
        raise errors.ContextInvalid(f'context.{req.context_id}.model: "{model}" is no longer offered')
    link_key = _link_key(repo.id, branch, req.context_id, head, model, entry)
    existing = await results_sql.live_result_for_link(session, link_key)
    if existing:
        return LinkOutcome(existing, created=False)
    await _check_budget(session, repo, req)
    result_id = new_result_id()
    values = {
        "id": result_id,
        "kind": "link",
        "status": "pending",
        "account_id": repo.account_id,
        "repository_id": repo.id,
        "branch": branch,
        "commit_sha": head,
        "context_id": req.context_id,
        "model": model,
        "link_key": link_key,
        "request": {"entry": entry, "owner": repo.owner, "repo": repo.name, "branch": branch},
        "client_hash": req.client_key,
        "text": "",
        "cost_micros": 0,
        "reserved_micros": 0,
        "created_at": utcnow(),
    }
    if await results_sql.insert_link_result(session, values):
        # Only a generation this request really creates counts against the client's limit.
        await _check_rate_limit(rt, session, repo, req, result_id)
        return LinkOutcome(result_id, created=True)
    # Another request created it between our lookup and insert (single flight): use theirs.
    winner = await results_sql.live_result_for_link(session, link_key)
    assert winner is not None
    return LinkOutcome(winner, created=False)


def _link_key(repo_id: int, branch: str, context_id: str, head: str, model: str, entry: dict[str, Any]) -> str:
    entry_json = json.dumps(entry, sort_keys=True, separators=(",", ":"))
    raw = "\0".join([str(repo_id), branch, context_id, head, model, entry_json])
    return hashlib.sha256(raw.encode()).hexdigest()


async def _active_repository(session: AsyncSession, req: LinkRequest) -> Repository:
    repo = await repo_sql.find_repository(session, req.owner, req.repo)
    name = f"{req.owner}/{req.repo}"
    if repo is None:
        raise errors.RepoNotFound(
            f"contextjson does not know {name}: the repository does not exist, or the App is not installed on it."
        )
    installation = await repo_sql.get_installation(session, repo.installation_id) if repo.installation_id else None
    if not repo.active or installation is None or not installation.active:
        raise errors.AppNotInstalled(f"The contextjson App is not (or no longer) installed on {name}.")
    if repo.private:
        raise errors.PrivateRepository(
            f"{name} is private. Answers about private code are only shown to people who can read it; "
            "visitor login is not available yet, so this link does not work for private repositories."
        )
    return repo


async def _github_default_branch(rt: Runtime, repo: Repository) -> str:
    try:
        async with rt.github.installation(_installation(repo)) as api:
            info = await api.get_repository(repo.owner, repo.name)
    except GitHubException as exc:
        raise errors.GitHubUnavailable(f"Could not ask GitHub about {repo.full_name}: {exc}") from exc
    if info is None:
        raise errors.RepoNotFound(f"GitHub does not show {repo.full_name} to the contextjson App.")
    return info.default_branch


async def _github_head(rt: Runtime, session: AsyncSession, repo: Repository, branch: str) -> str:
    try:
        async with rt.github.installation(_installation(repo)) as api:
            head = await api.get_branch_head(repo.owner, repo.name, branch)
    except GitHubException as exc:
        raise errors.GitHubUnavailable(f"Could not ask GitHub about {repo.full_name}: {exc}") from exc
    if head is None:
        raise errors.BranchNotFound(f'{repo.full_name} has no branch "{branch}".')
    await heads.set_head(session, repo.id, branch, head.sha)
    return head.sha


async def _context_entry(
    rt: Runtime, session: AsyncSession, repo: Repository, branch: str, head: str, context_id: str
) -> dict[str, Any]:
    ctx = await ctx_sql.latest_for_branch(session, repo.id, branch) or await _read_at_head(
        rt, session, repo, branch, head
    )
    where = f"{repo.full_name} ({branch})"
    if ctx.status == "missing":
        raise errors.ContextFileMissing(f"{where} has no context.json.")
    entry = ctx.entries.get(context_id)
    if entry is not None:
        return dict(entry)
    if ctx.status == "invalid":
        raise errors.ContextInvalid(f"context.json of {where} has errors:\n" + "\n".join(ctx.errors))
    known = ", ".join(sorted(ctx.entries)) or "none"
    raise errors.ContextNotFound(f'context.json of {where} has no context "{context_id}". Available: {known}.')


async def _read_at_head(rt: Runtime, session: AsyncSession, repo: Repository, branch: str, head: str) -> ContextFile:
    try:
        async with rt.github.installation(_installation(repo)) as api:
            return await snapshot_without_check(rt, session, api, repo, branch, head)
    except GitHubException as exc:
        raise errors.GitHubUnavailable(f"Could not read context.json of {repo.full_name}: {exc}") from exc


async def _check_budget(session: AsyncSession, repo: Repository, req: LinkRequest) -> None:
    """A new generation needs budget; without it, the last good answer is shown instead."""
    if await available_micros(session, repo.account_id) <= 0:
        fallback = await results_sql.last_good_result(session, repo.id, req.context_id)
        raise errors.BudgetExhausted(
            f"The owner of {repo.full_name} has used up the budget that pays for new answers.",
            fallback_result_id=fallback.id if fallback else None,
        )


async def _check_rate_limit(
    rt: Runtime, session: AsyncSession, repo: Repository, req: LinkRequest, result_id: str
) -> None:
    retry_after = await rt.rate_limiter.hit(req.client_key)
    if retry_after is None:
        return
    await results_sql.delete_result(session, result_id)
    fallback = await results_sql.last_good_result(session, repo.id, req.context_id)
    raise errors.RateLimited(
        "You have started many new answers recently. Try again later.",
        fallback_result_id=fallback.id if fallback else None,
        retry_after=retry_after,
    )


def _installation(repo: Repository) -> int:
    assert repo.installation_id is not None
    return repo.installation_id
