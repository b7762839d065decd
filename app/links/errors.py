"""Why a visitor link cannot be served; each becomes an error page (or a problem document) with the right status."""

from __future__ import annotations

from typing import ClassVar

from app.errors import AppError
from app.private_repos.access import PRIVATE_HEADERS, PrivateRepo
from app.results.older import OlderReason, older_answer_url


class LinkError(AppError):
    """A link problem the visitor should read about; a refusal with an `older` reason may point at an older answer."""

    title = "This link can't be answered"
    # Set on budget and rate refusals: with an earlier answer, the visitor sees it (marked older) instead.
    older: ClassVar[OlderReason | None] = None

    def __init__(
        self,
        detail: str,
        *,
        fallback_result_id: str | None = None,
        retry_after: int | None = None,
        links: list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ):
        self.fallback_result_id = fallback_result_id
        # Set when the refusal is about a private repository: only a visitor who may read it may see it.
        self.private: PrivateRepo | None = None
        earlier = [("Read the last answer (older)", self.fallback_url)] if self.fallback_url else []
        super().__init__(detail, retry_after=retry_after, links=[*earlier, *(links or [])], headers=headers)

    def about_private(self, repo: PrivateRepo) -> None:
        """This refusal speaks about a private repository: kept out of shared caches, shown only to its readers."""
        self.private = repo
        self.extra_headers.update(PRIVATE_HEADERS)

    @property
    def fallback_url(self) -> str | None:
        """The last good answer of this link, marked as older (with why), if there is one."""
        if not self.fallback_result_id or self.older is None:
            return None
        return older_answer_url(self.fallback_result_id, self.older)


class RepoNotFound(LinkError):
    status_code, code, title = 404, "link.repo_not_found", "Repository not found"


class AppNotInstalled(LinkError):
    status_code, code, title = 404, "link.not_installed", "The contextjson App is not installed here"


def unknown_repository_detail(owner: str, repo: str) -> str:
    """What a link to a repository the visitor cannot see says: the same whether it is unknown or private."""
    return (
        f"contextjson does not know {owner}/{repo}: the repository does not exist, or the App is not installed on it."
    )


class PrivateRefused(RepoNotFound):
    """A private repository this visitor may not read: answered exactly as a repository that does not exist."""


class BranchNotFound(LinkError):
    status_code, code, title = 404, "link.branch_not_found", "Branch not found"


class ContextFileMissing(LinkError):
    status_code, code, title = 404, "link.no_context_file", "No context.json on this branch"


class ContextNotFound(LinkError):
    status_code, code, title = 404, "link.context_not_found", "Unknown context id"


class ContextInvalid(LinkError):
    status_code, code, title = 422, "link.context_invalid", "context.json has errors"


class BudgetExhausted(LinkError):
    status_code, code, title = 402, "link.budget_exhausted", "The owner's budget is used up"
    older = OlderReason.BUDGET_EXHAUSTED


class ContextPaused(LinkError):
    status_code, code, title = 403, "link.context_paused", "New answers are paused"
    older = OlderReason.PAUSED


class RateLimited(LinkError):
    status_code, code, title = 429, "link.rate_limited", "Too many new answers from your address"
    older = OlderReason.RATE_LIMITED


class GitHubUnavailable(LinkError):
    status_code, code, title = 502, "link.github_unavailable", "GitHub did not answer"


class InvalidBranchName(LinkError):
    status_code, code, title = 400, "link.invalid_branch", "Not a valid branch name"


class InvalidRepositoryName(LinkError):
    status_code, code, title = 404, "link.repo_not_found", "Repository not found"


class BranchLookupsLimited(LinkError):
    status_code, code, title = 429, "link.branch_lookups_limited", "Too many lookups of unknown branches"


class RepoGenerationsLimited(LinkError):
    status_code, code, title = 429, "link.repo_rate_limited", "This repository has made many new answers"
    older = OlderReason.REPO_RATE_LIMITED


class RepositoryMoved(LinkError):
    """The repository was renamed or transferred: the link lives on under the new owner/name."""

    status_code, code, title = 301, "link.moved", "This repository has moved"

    def __init__(self, owner: str, name: str, *, private: PrivateRepo | None = None):
        super().__init__(f"This repository is now {owner}/{name}.")
        self.owner, self.name = owner, name
        self.private = private  # the new name of a private repository is told only to its readers
