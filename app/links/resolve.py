"""Resolving a visitor link to a result: the cached one, or a new pending one queued for generation.

The branch in a link is already a valid git branch name (app.links.refname); here it is resolved to a
commit, from pushes first and from GitHub only under the guards of app.links.branches. No database
connection is held while GitHub answers (SQLite runs on one shared connection), and nothing is written
for a link that does not resolve: only facts GitHub confirmed (a branch head, the default branch,
context.json at a real commit) are stored, and a refused generation leaves no result behind.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from githubkit.exception import GitHubException
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts import repository as repo_sql
from app.accounts.old_names import find_by_old_name
from app.accounts.visibility import Visibility, installation_of, visibility
from app.billing.budget import available_micros
from app.context_files import heads
from app.context_files import repository as ctx_sql
from app.context_files.checks import CheckClients, snapshot_without_check
from app.context_settings import repository as context_settings
from app.db.models import ContextFile, ContextFileStatus, Repository, ResultKind, ResultStatus, utcnow
from app.links import errors
from app.links.branches import BranchLookups
from app.links.ratelimit import RateLimiter
from app.private_repos.access import PrivateRepo
from app.results import repository as results_sql
from app.results.ids import new_result_id

# Whether the visitor who asks may read a private repository: their GitHub login, or None.
Admit = Callable[[PrivateRepo], Awaitable[str | None]]


@dataclass(frozen=True)
class LinkRequest:
    owner: str
    repo: str
    branch: str | None  # None: the default branch; otherwise a valid git branch name
    context_id: str
    client_key: str  # a hash of the client's network, for rate limiting
    # Asked before anything is looked up or spent for a private repository; None: nobody may (a background
    # refresh, which has no visitor).
    admit: Admit | None = None


@dataclass(frozen=True)
class LinkOutcome:
    result_id: str
    created: bool  # a new generation must be queued
    # The link's repository when it is private: each visitor must be admitted before seeing the result.
    private: PrivateRepo | None = None


@dataclass(frozen=True)
class Target:
    """What a link resolved to, before any result exists (also what a context base URL answers with)."""

    repo: Repository
    branch: str
    head: str
    entry: dict[str, Any]
    model: str


async def resolve_link(
    clients: CheckClients, req: LinkRequest, lookups: BranchLookups, limiter: RateLimiter
) -> LinkOutcome:
    """Find or create the result a link points at; raises a LinkError saying why it can't.

    A private repository's link goes no further than finding the repository unless `req.admit` lets the
    visitor in; after that, every refusal is marked as being about that repository (LinkError.private).
    """
    async with clients.sessions() as session:
        repo = await active_repository(session, req.owner, req.repo)
    private = PrivateRepo.of(repo) if repo.private else None
    if private is not None and (req.admit is None or await req.admit(private) is None):
        raise errors.PrivateRefused(errors.unknown_repository_detail(req.owner, req.repo))
    try:
        outcome = await _find_or_create(clients, req, lookups, limiter, repo)
    except errors.LinkError as exc:
        if private is not None:
            exc.about_private(private)
        raise
    return replace(outcome, private=private)


async def _find_or_create(
    clients: CheckClients, req: LinkRequest, lookups: BranchLookups, limiter: RateLimiter, repo: Repository
) -> LinkOutcome:
    target = await resolve_target(clients, lookups, repo, req.branch, req.context_id)
    link_key = _link_key(target)
    async with clients.sessions() as session:
        existing = await results_sql.live_result_for_link(session, link_key)
        if existing:
            return LinkOutcome(existing, created=False)
        outcome = await _create_result(clients, limiter, session, req, target, link_key)
        await session.commit()  # a LinkError above leaves the session uncommitted: rolled back on close
    return outcome


async def resolve_target(
    clients: CheckClients, lookups: BranchLookups, repo: Repository, branch: str | None, context_id: str
) -> Target:
    """The branch (None: the default), its head and the context entry of a served repository; raises LinkError."""
    async with clients.sessions() as session:
        branch = branch or repo.default_branch
        head = await heads.get_head(session, repo.id, branch) if branch else None
        context = await ctx_sql.latest_for_branch(session, repo.id, branch) if head and branch else None
    if branch is None:
        branch = await _learn_default_branch(clients, lookups, repo)
    if head is None:
        head = await _learn_head(clients, lookups, repo, branch)
    context = context or await _learn_context(clients, repo, branch, head)
    entry = _context_entry(context, repo, branch, context_id)
    model = entry.get("model") or clients.catalog.default_model
    if model not in clients.catalog:
        raise errors.ContextInvalid(f'context.{context_id}.model: "{model}" is no longer offered')
    return Target(repo, branch, head, entry, model)


def _link_key(target: Target) -> str:
    """Names one answer: the repository, the validated branch, its resolved commit and the entry."""
    entry_json = json.dumps(target.entry, sort_keys=True, separators=(",", ":"))
    context_id = str(target.entry.get("id", ""))
    raw = "\0".join([str(target.repo.id), target.branch, context_id, target.head, target.model, entry_json])
    return hashlib.sha256(raw.encode()).hexdigest()


async def active_repository(session: AsyncSession, owner: str, name: str) -> Repository:
    """The repository a link names, public or private; a private one that is not served is simply unknown.

    Raises RepositoryMoved for an old name, RepoNotFound or AppNotInstalled.
    """
    repo = await repo_sql.find_repository(session, owner, name)
    if repo is None or not repo.active:
        moved = await find_by_old_name(session, owner, name)
        if moved is not None:
            private = PrivateRepo.of(moved) if moved.private else None
            raise errors.RepositoryMoved(moved.owner, moved.name, private=private)
    unknown = errors.RepoNotFound(errors.unknown_repository_detail(owner, name))
    if repo is None:
        raise unknown
    seen = visibility(repo, await installation_of(session, repo))
    if seen in (Visibility.GONE, Visibility.SUSPENDED):
        if repo.private:  # saying "not installed" would confirm that a private repository of that name exists
            raise unknown
        raise errors.AppNotInstalled(f"The contextjson App is not (or no longer) installed on {owner}/{name}.")
    return repo


async def _count_lookup(lookups: BranchLookups, repo: Repository) -> None:
    retry_after = await lookups.allow_lookup(repo.id)
    if retry_after is not None:
        raise errors.BranchLookupsLimited(
            f"Links to {repo.full_name} asked GitHub about many unknown branches recently. Try again later.",
            retry_after=retry_after,
        )


async def _learn_default_branch(clients: CheckClients, lookups: BranchLookups, repo: Repository) -> str:
    await _count_lookup(lookups, repo)
    try:
        async with clients.github.installation(_installation(repo)) as api:
            info = await api.get_repository(repo.owner, repo.name)
    except GitHubException as exc:
        raise errors.GitHubUnavailable(f"Could not ask GitHub about {repo.full_name}.") from exc
    if info is None:
        raise errors.RepoNotFound(f"GitHub does not show {repo.full_name} to the contextjson App.")
    async with clients.sessions() as session:
        stmt = update(Repository).where(col(Repository.id) == repo.id).values(default_branch=info.default_branch)
        await session.execute(stmt)
        await session.commit()
    return info.default_branch


async def _learn_head(clients: CheckClients, lookups: BranchLookups, repo: Repository, branch: str) -> str:
    missing = errors.BranchNotFound(f'{repo.full_name} has no branch "{branch}".')
    if lookups.known_missing(repo.owner, repo.name, branch):
        raise missing
    await _count_lookup(lookups, repo)
    try:
        async with clients.github.installation(_installation(repo)) as api:
            head = await api.get_branch_head(repo.owner, repo.name, branch)
    except GitHubException as exc:
        raise errors.GitHubUnavailable(f"Could not ask GitHub about {repo.full_name}.") from exc
    if head is None:
        lookups.remember_missing(repo.owner, repo.name, branch)
        raise missing
    async with clients.sessions() as session:
        await heads.set_head(session, repo.id, branch, head.sha)
        await session.commit()
    return head.sha


async def _learn_context(clients: CheckClients, repo: Repository, branch: str, head: str) -> ContextFile:
    """Read and store context.json at a commit no check has seen yet (the session is used after GitHub answers)."""
    try:
        async with clients.sessions() as session, clients.github.installation(_installation(repo)) as api:
            context = await snapshot_without_check(clients, session, api, repo, branch, head)
            await session.commit()
            return context
    except GitHubException as exc:
        raise errors.GitHubUnavailable(f"Could not read context.json of {repo.full_name}.") from exc


def _context_entry(ctx: ContextFile, repo: Repository, branch: str, context_id: str) -> dict[str, Any]:
    where = f"{repo.full_name} ({branch})"
    if ctx.status == ContextFileStatus.MISSING:
        raise errors.ContextFileMissing(f"{where} has no context.json.")
    entry = ctx.entries.get(context_id)
    if entry is not None:
        return dict(entry)
    if ctx.status == ContextFileStatus.INVALID:
        raise errors.ContextInvalid(f"context.json of {where} has errors:\n" + "\n".join(ctx.errors))
    known = ", ".join(sorted(ctx.entries)) or "none"
    raise errors.ContextNotFound(f'context.json of {where} has no context "{context_id}". Available: {known}.')


async def _create_result(
    clients: CheckClients, limiter: RateLimiter, session: AsyncSession, req: LinkRequest, target: Target, link_key: str
) -> LinkOutcome:
    """Insert the pending result (one per link key, whoever races) if budget and limits allow it."""
    repo = target.repo
    await _check_paused(session, repo, req)
    await _check_budget(session, repo, req)
    result_id = new_result_id()
    values = {
        "id": result_id,
        "kind": ResultKind.LINK,
        "status": ResultStatus.PENDING,
        "account_id": repo.account_id,
        "repository_id": repo.id,
        "branch": target.branch,
        "commit_sha": target.head,
        "context_id": req.context_id,
        "model": target.model,
        "link_key": link_key,
        "request": {
            "entry": target.entry,
            "owner": repo.owner,
            "repo": repo.name,
            "branch": target.branch,
            # Asked by a visitor admitted to the private repository (app.results.generate may go ahead).
            "private": repo.private,
        },
        "client_hash": req.client_key,
        "text": "",
        "cost_micros": 0,
        "reserved_micros": 0,
        "created_at": utcnow(),
    }
    if await results_sql.insert_link_result(session, values):
        # Only a generation this request really creates counts against the limits.
        await _check_rate_limits(clients, limiter, session, repo, req)
        return LinkOutcome(result_id, created=True)
    # Another request created it between our lookup and insert (single flight): use theirs.
    winner = await results_sql.live_result_for_link(session, link_key)
    assert winner is not None
    return LinkOutcome(winner, created=False)


async def _check_paused(session: AsyncSession, repo: Repository, req: LinkRequest) -> None:
    """A context its owner paused starts no new answer (and costs nothing); its last good answer still shows."""
    if await context_settings.is_paused(session, repo.id, req.context_id):
        raise errors.ContextPaused(
            f'The owner of {repo.full_name} has paused new answers for "{req.context_id}".',
            fallback_result_id=await _fallback(session, repo, req),
        )


async def _check_budget(session: AsyncSession, repo: Repository, req: LinkRequest) -> None:
    """A new generation needs budget; without it, the last good answer is shown instead."""
    if await available_micros(session, repo.account_id) <= 0:
        raise errors.BudgetExhausted(
            f"The owner of {repo.full_name} has used up the budget that pays for new answers.",
            fallback_result_id=await _fallback(session, repo, req),
        )


async def _check_rate_limits(
    clients: CheckClients, limiter: RateLimiter, session: AsyncSession, repo: Repository, req: LinkRequest
) -> None:
    """Per client network, then per repository (so no set of addresses can drain a budget quickly)."""
    retry_after = await limiter.hit(f"client:{req.client_key}")
    if retry_after is not None:
        raise errors.RateLimited(
            "You have started many new answers recently. Try again later.",
            fallback_result_id=await _fallback(session, repo, req),
            retry_after=retry_after,
        )
    cap = (
        repo.hourly_generation_cap
        if repo.hourly_generation_cap is not None
        else clients.settings.repo_generations_per_hour
    )
    retry_after = await limiter.hit(f"repo:{repo.id}", cap)
    if retry_after is not None:
        raise errors.RepoGenerationsLimited(
            f"{repo.full_name} has started its hourly number of new answers. Try again later.",
            fallback_result_id=await _fallback(session, repo, req),
            retry_after=retry_after,
        )


async def _fallback(session: AsyncSession, repo: Repository, req: LinkRequest) -> str | None:
    last = await results_sql.last_good_result(session, repo.id, req.context_id)
    return last.id if last else None


def _installation(repo: Repository) -> int:
    assert repo.installation_id is not None
    return repo.installation_id
