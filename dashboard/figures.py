"""The usage report summed the ways the dashboard shows it: per day for the charts, per repository and per
context for this month, and the last week's spend for the low-balance warning. Money stays integer micro-dollars.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from markupsafe import Markup

from app.billing.money import parse_usd, usd_text
from app.usage.report import UsageFigures, UsageReport
from dashboard.charts import Series, bar_chart, line_chart
from dashboard.pages import dollars

CHART_DAYS = 30
WEEK = 7


@dataclass
class Totals:
    """Clicks, cache hits, generations, failures and cost of some rows of the report."""

    clicks: int = 0
    cache_hits: int = 0
    generations: int = 0
    failures: int = 0
    cost_micros: int = 0

    def add(self, row: UsageFigures) -> None:
        self.clicks += row.clicks
        self.cache_hits += row.cache_hits
        self.generations += row.generations
        self.failures += row.failures
        self.cost_micros += parse_usd(row.cost_usd)  # exact: the report's text is the ledger's micro-dollars

    @property
    def cost_usd(self) -> str:
        return usd_text(self.cost_micros)


@dataclass
class Activity:
    """One report summed for the pages."""

    days: list[date]  # the chart's days, oldest first, today last
    per_day: list[Totals]
    month: Totals = field(default_factory=Totals)
    by_repo: defaultdict[str, Totals] = field(default_factory=lambda: defaultdict(Totals))  # this month
    by_context: defaultdict[str, Totals] = field(default_factory=lambda: defaultdict(Totals))  # this month
    week_cost_micros: int = 0  # the last 7 days, today included


def today_utc() -> date:
    """Usage days are UTC days."""
    return datetime.now(UTC).date()


def report_start(today: date, month_start: date) -> date:
    """The first day a report must cover: the chart's 30 days and the whole month."""
    return min(today - timedelta(days=CHART_DAYS - 1), month_start)


def activity(report: UsageReport, today: date, month_start: date) -> Activity:
    """Sum the report's rows per chart day, per repository and context this month, and over the last week."""
    days = [today - timedelta(days=n) for n in range(CHART_DAYS - 1, -1, -1)]
    summed = Activity(days, [Totals() for _ in days])
    index = {day: n for n, day in enumerate(days)}
    for row in report.days:
        if row.day in index:
            summed.per_day[index[row.day]].add(row)
        if row.day >= month_start:
            summed.month.add(row)
            summed.by_repo[row.repo].add(row)
            summed.by_context[row.context_id].add(row)
        if row.day > today - timedelta(days=WEEK):
            summed.week_cost_micros += parse_usd(row.cost_usd)
    return summed


def spend_chart(summed: Activity, subject: str) -> Markup:
    """Spend per day over the chart's days (each bar's exact dollars in its data-value and tooltip)."""
    total = usd_text(sum(t.cost_micros for t in summed.per_day))
    values = [t.cost_micros / 1_000_000 for t in summed.per_day]  # drawing only; the texts are exact
    series = Series("spend", values, "s-spend", "${}", texts=[t.cost_usd for t in summed.per_day])
    title = f"Spend per day of {subject}, last {CHART_DAYS} days: {dollars(total)} in all"
    return bar_chart(title, summed.days, series, axis_format="${:g}")


def traffic_chart(summed: Activity, subject: str) -> Markup:
    """Clicks, cache hits and generations per day over the chart's days."""
    lines = [
        Series("clicks", [t.clicks for t in summed.per_day], "s-clicks"),
        Series("cache hits", [t.cache_hits for t in summed.per_day], "s-hits"),
        Series("generations", [t.generations for t in summed.per_day], "s-generations"),
    ]
    clicks, hits, made = (sum(int(v) for v in line.values) for line in lines)
    title = (
        f"Clicks, cache hits and generations per day of {subject}, last {CHART_DAYS} days: "
        f"{clicks} clicks, {hits} cache hits, {made} generations"
    )
    return line_chart(title, summed.days, lines)
