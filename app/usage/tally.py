"""What one web process counted for one result on one UTC day, between two flushes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

# Bounds per tally, so a flood of distinct values (forged Referer headers, many addresses) cannot grow memory:
# beyond them clicks are still counted, only the breakdown by host, login or visitor stops growing.
MAX_HOSTS = 200
MAX_LOGINS = 1_000
MAX_VISITORS = 20_000

_EPOCH = date(1970, 1, 1)

DayResult = tuple[int, str]  # (UTC day as days since 1970-01-01, result id)


def day_of(day_number: int) -> date:
    """The date of a day number (days since 1970-01-01, UTC)."""
    return _EPOCH + timedelta(days=day_number)


@dataclass(slots=True)
class Tally:
    """Clicks on one result in one day; `visitors` holds client addresses until prepared, then their hashes."""

    clicks: int = 0
    hits: int = 0
    hosts: dict[str, int] = field(default_factory=dict)
    logins: dict[str, int] = field(default_factory=dict)
    visitors: set[str] = field(default_factory=set)

    def add_host(self, host: str) -> None:
        """Count a click from a referring host."""
        if host in self.hosts or len(self.hosts) < MAX_HOSTS:
            self.hosts[host] = self.hosts.get(host, 0) + 1

    def add_login(self, login: str) -> None:
        """Count a click by a logged-in GitHub user."""
        if login in self.logins or len(self.logins) < MAX_LOGINS:
            self.logins[login] = self.logins.get(login, 0) + 1

    def add_visitor(self, visitor: str) -> None:
        """Remember a client (an address until prepared, then its hash)."""
        if len(self.visitors) < MAX_VISITORS:
            self.visitors.add(visitor)

    def merge(self, other: Tally) -> None:
        """Add another tally of the same day and result (both prepared)."""
        self.clicks += other.clicks
        self.hits += other.hits
        for host, clicks in other.hosts.items():
            if host in self.hosts or len(self.hosts) < MAX_HOSTS:
                self.hosts[host] = self.hosts.get(host, 0) + clicks
        for login, clicks in other.logins.items():
            if login in self.logins or len(self.logins) < MAX_LOGINS:
                self.logins[login] = self.logins.get(login, 0) + clicks
        for visitor in other.visitors:
            self.add_visitor(visitor)
