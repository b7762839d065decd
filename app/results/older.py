"""Why a visitor is shown an earlier answer instead of a new one: the `?older=` of `/r/{id}`."""

from __future__ import annotations

from enum import StrEnum


class OlderReason(StrEnum):
    """A refusal that shows the last good answer (marked older) rather than a dead end."""

    BUDGET_EXHAUSTED = "budget_exhausted"
    RATE_LIMITED = "rate_limited"
    REPO_RATE_LIMITED = "repo_rate_limited"
    NEWER_FAILED = "newer_failed"  # a newer answer failed for another reason (the model provider, the context)
    PAUSED = "paused"  # the owner paused new answers for this context

    @property
    def notice(self) -> str:
        """What the result page says above the older answer."""
        return _NOTICES[self]

    @classmethod
    def parse(cls, value: str | None) -> OlderReason | None:
        """The reason a `?older=` value names; None for none, or for one this service never writes."""
        try:
            return cls(value) if value else None
        except ValueError:
            return None


_NOTICES = {
    OlderReason.BUDGET_EXHAUSTED: "The owner's budget for new answers is used up, so this is the last answer made "
    "earlier.",
    OlderReason.RATE_LIMITED: "You have started many new answers recently, so this is the last answer made earlier.",
    OlderReason.REPO_RATE_LIMITED: "This repository started many new answers this hour, so this is the last one made "
    "earlier.",
    OlderReason.NEWER_FAILED: "A newer answer could not be made, so this is the last one made earlier.",
    OlderReason.PAUSED: "The owner has paused new answers for this link, so this is the last one made earlier.",
}


def older_reason_for_failure(error_code: str | None) -> OlderReason:
    """The notice for the last good answer a failed one links to: the budget only when that was the cause."""
    return OlderReason.BUDGET_EXHAUSTED if error_code == OlderReason.BUDGET_EXHAUSTED else OlderReason.NEWER_FAILED


def older_answer_url(result_id: str, reason: OlderReason) -> str:
    """The earlier answer's page, marked older with why."""
    return f"/r/{result_id}?older={reason}"
