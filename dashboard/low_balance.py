"""When to warn an owner that their balance is running out: below LOW_BALANCE_USD, or short of
LOW_BALANCE_DAYS at the rate of the last 7 days' spend."""

from __future__ import annotations

from dataclasses import dataclass

from app.billing.money import parse_usd, usd_text
from app.settings import Settings

WEEK = 7


@dataclass(frozen=True)
class LowBalance:
    available_usd: str  # balance not reserved by answers in progress
    week_spend_usd: str  # the last 7 days
    days_left: int | None  # at the last 7 days' rate (None: nothing was spent)


def low_balance(available_micros: int, week_spend_micros: int, settings: Settings) -> LowBalance | None:
    """The warning to show, or None while the balance is comfortable."""
    floor = parse_usd(settings.low_balance_usd)
    # available < week_spend × days / 7, kept in integers
    short = week_spend_micros > 0 and available_micros * WEEK < week_spend_micros * settings.low_balance_days
    if available_micros >= floor and not short:
        return None
    days_left = max(available_micros, 0) * WEEK // week_spend_micros if week_spend_micros > 0 else None
    return LowBalance(usd_text(available_micros), usd_text(week_spend_micros), days_left)
