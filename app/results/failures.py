"""Why a generation failed: a stable code and a reason fit for a public page.

Result pages are public, so what they show is chosen here from the kind of failure, never copied from an
exception (upstream bodies, URLs with tokens, host names and stack details stay in the log).
"""

from __future__ import annotations

from enum import StrEnum

import httpx
from githubkit.exception import GitHubException

from app.billing.budget import Refusal
from app.errors import AppError
from app.llm.errors import MalformedPayload, UpstreamError
from app.repo_context import ArchiveTooLarge, InvalidArchive
from app.repo_context.errors import ContextBuildFailed

CONTEXT_PREFIX = "Could not build the repository context"


class FailureCode(StrEnum):
    """A failed result's `error_code`, besides a budget `Refusal` and the context builder's own codes."""

    REPO_UNAVAILABLE = "repo_unavailable"
    UPSTREAM_STATUS = "upstream_status"
    UPSTREAM_UNREACHABLE = "upstream_unreachable"
    UPSTREAM_INVALID = "upstream_invalid"
    UPSTREAM_INCOMPLETE = "upstream_incomplete"
    CONTEXT = "context"  # an internal error while building the context (also written by earlier versions)
    CONTEXT_TOO_LARGE = "context_too_large"
    CONTEXT_INVALID_ARCHIVE = "context_invalid_archive"
    CONTEXT_GITHUB = "context_github"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    CONTEXT_PAUSED = "context_paused"
    UPSTREAM = "upstream"  # written by earlier versions only


# Codes written by earlier versions, whose stored message may hold raw exception text.
_LEGACY_MESSAGES: dict[str, str] = {
    FailureCode.UPSTREAM: "The model provider returned an error.",
    FailureCode.CONTEXT: f"{CONTEXT_PREFIX}.",
}


class GenerationFailed(Exception):
    """A generation that cannot produce an answer; `message` is shown to visitors as is.

    `code` is a FailureCode, a budget Refusal, or the code of the context builder's own refusal
    (`ContextBuildFailed.code`, `context_` + an AppError's code).
    """

    def __init__(self, code: FailureCode | Refusal | str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def upstream_failed(exc: UpstreamError) -> GenerationFailed:
    """The model API failed for good (after the client's retries)."""
    if exc.status is not None:
        return GenerationFailed(
            FailureCode.UPSTREAM_STATUS, f"The model provider returned an error (HTTP {exc.status})."
        )
    causes = _causes(exc)
    if any(isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout) for cause in causes):
        return GenerationFailed(FailureCode.UPSTREAM_UNREACHABLE, "The model provider could not be reached.")
    if any(isinstance(cause, MalformedPayload) for cause in causes):
        return GenerationFailed(FailureCode.UPSTREAM_INVALID, "The model provider sent a reply that could not be read.")
    # A cut or stalled stream, a timeout, or an error event inside the stream.
    return GenerationFailed(FailureCode.UPSTREAM_INCOMPLETE, "The model provider did not complete the answer.")


def context_failed(exc: BaseException) -> GenerationFailed:
    """Reading the repository or building the prompt failed."""
    if isinstance(exc, ContextBuildFailed):  # the owner's input: its message is written for them
        return GenerationFailed(exc.code, f"{CONTEXT_PREFIX}: {exc}.")
    if isinstance(exc, ArchiveTooLarge):
        return GenerationFailed(FailureCode.CONTEXT_TOO_LARGE, f"{CONTEXT_PREFIX}: the archive is too large.")
    if isinstance(exc, InvalidArchive):
        return GenerationFailed(
            FailureCode.CONTEXT_INVALID_ARCHIVE, f"{CONTEXT_PREFIX}: the archive could not be read."
        )
    if isinstance(exc, GitHubException):
        return GenerationFailed(FailureCode.CONTEXT_GITHUB, f"{CONTEXT_PREFIX}: GitHub did not provide the repository.")
    if isinstance(exc, AppError):  # expected errors carry a message written for users
        return GenerationFailed(f"context_{exc.code}", f"{CONTEXT_PREFIX}: {exc.detail}")
    return GenerationFailed(FailureCode.CONTEXT, f"{CONTEXT_PREFIX} (an internal error, logged for the operator).")


def refused(refusal: Refusal) -> GenerationFailed:
    """The budget or the repository's monthly cap does not cover the worst-case cost."""
    return GenerationFailed(refusal, refusal.message)


def paused() -> GenerationFailed:
    """The owner paused the context after this answer was asked for and before it started."""
    return GenerationFailed(
        FailureCode.CONTEXT_PAUSED,
        "The owner of this repository paused new answers for this context before this one started. "
        "Nothing was charged.",
    )


def too_many_attempts(attempts: int) -> GenerationFailed:
    """Generation started too often without finishing (each start crashed or froze its process)."""
    return GenerationFailed(
        FailureCode.TOO_MANY_ATTEMPTS,
        f"This answer could not be produced: generating it was interrupted {attempts} times, so it is not tried again.",
    )


def public_error(code: str | None, message: str | None) -> str:
    """The reason a page shows for a failed result (rows from earlier versions get a clean one)."""
    return _LEGACY_MESSAGES.get(code or "", message or "The answer could not be produced.")


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and everything it was raised from."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain
