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
    REPO_CAP = "repo_cap"  # the repository reached the monthly spending cap its owner set

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
    OlderReason.REPO_CAP: "This repository has reached the monthly spending cap its owner set, so this is the last "
    "answer made earlier.",
}
# Failures whose cause the older answer's notice names (the result's error_code); others are "a newer one failed".
_FAILURE_REASONS = {
    "budget_exhausted": OlderReason.BUDGET_EXHAUSTED,
    "repo_cap": OlderReason.REPO_CAP,
    "context_paused": OlderReason.PAUSED,
}


def older_reason_for_failure(error_code: str | None) -> OlderReason:
    """The notice for the last good answer a failed one links to: the owner's limit that stopped it, if one did."""
    return _FAILURE_REASONS.get(error_code or "", OlderReason.NEWER_FAILED)


def older_answer_url(result_id: str, reason: OlderReason) -> str:
    """The earlier answer's page, marked older with why."""
    return f"/r/{result_id}?older={reason}"
