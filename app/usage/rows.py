"""From per-result tallies to the rows of the usage tables (keyed by account, day, repository and name)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from app.usage.tally import DayResult, Tally, day_of

UsageKey = tuple[int, date, int, str]  # account id, day, repository id, then context id / host / login / visitor


@dataclass(frozen=True)
class Target:
    """Whose usage a result's clicks are: the account that pays for it, its repository and context id."""

    account_id: int
    repository_id: int
    context_id: str


@dataclass
class UsageRows:
    """Deltas to add, one per primary key of each usage table."""

    days: dict[UsageKey, tuple[int, int]] = field(default_factory=dict)  # clicks, cache hits
    referrers: dict[UsageKey, tuple[int]] = field(default_factory=dict)
    viewers: dict[UsageKey, tuple[int]] = field(default_factory=dict)
    visitors: set[UsageKey] = field(default_factory=set)
    unknown_clicks: int = 0  # on results that are no longer in the database


def usage_rows(tallies: dict[DayResult, Tally], targets: dict[str, Target]) -> UsageRows:
    """Add up prepared tallies per usage key; tallies of results without a target are only counted as unknown."""
    rows = UsageRows()
    days: defaultdict[UsageKey, list[int]] = defaultdict(lambda: [0, 0])
    referrers: defaultdict[UsageKey, int] = defaultdict(int)
    viewers: defaultdict[UsageKey, int] = defaultdict(int)
    for (number, result_id), tally in tallies.items():
        target = targets.get(result_id)
        if target is None:
            rows.unknown_clicks += tally.clicks
            continue
        day = day_of(number)
        repo = (target.account_id, day, target.repository_id)
        counts = days[(*repo, target.context_id)]
        counts[0] += tally.clicks
        counts[1] += tally.hits
        for host, clicks in tally.hosts.items():
            referrers[(*repo, host)] += clicks
        for login, clicks in tally.logins.items():
            viewers[(*repo, login)] += clicks
        rows.visitors.update((*repo, visitor) for visitor in tally.visitors)
    rows.days = {key: (clicks, hits) for key, (clicks, hits) in days.items()}
    rows.referrers = {key: (clicks,) for key, clicks in referrers.items()}
    rows.viewers = {key: (clicks,) for key, clicks in viewers.items()}
    return rows
