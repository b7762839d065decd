"""What a context base URL answers when the context cannot be used, in OpenAI's error shape.

The reasons are the visitor link's (app.links.errors), with codes an OpenAI client reads (`context_not_found`,
`repo_not_found`, ...): the link's dotted code without its `link.` prefix.
"""

from __future__ import annotations

from app.errors import AppError
from app.links.errors import LinkError, RepoNotFound
from app.private_repos.access import PRIVATE_HEADERS


class ContextUnavailable(AppError):
    """A context that cannot be asked; status and code say why."""

    status_code = 404
    code = "context_not_found"


class ContextBuildRefused(AppError):
    """The repository context cannot be built from this entry and snapshot (patterns, size, time)."""

    status_code = 422
    code = "context_invalid"


class GitHubUnavailable(AppError):
    status_code = 502
    code = "github_unavailable"


class SnapshotsBusy(AppError):
    status_code = 503
    code = "snapshots_busy"


def from_link_error(exc: LinkError) -> ContextUnavailable:
    """The link's refusal for an API caller (no older answer, no sign-in offer: a key is who asks)."""
    headers = dict(exc.extra_headers)
    if isinstance(exc, RepoNotFound):  # unknown, and private-but-not-yours: one answer, kept by no cache
        headers.update(PRIVATE_HEADERS)
    return ContextUnavailable(
        exc.detail,
        code=exc.code.removeprefix("link."),
        status_code=exc.status_code,
        title=exc.title,
        headers=headers,
        retry_after=exc.retry_after,
    )
