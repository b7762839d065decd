"""The worker's timing: reconnect backoff, and a requeue schedule that runs outage-stored work within a minute."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.settings import Settings
from jobs.supervisor import Backoff
from jobs.worker import requeue_cron


def gaps_between_runs(settings: Settings) -> list[float]:
    """Seconds between consecutive runs of the requeue cron over two minutes."""
    job = requeue_cron(settings)
    runs = [datetime(2030, 1, 1, 12, 0, 0, 500_000)]
    while runs[-1] < runs[0] + timedelta(minutes=2):
        job.calculate_next(runs[-1])
        assert job.next_run is not None
        runs.append(job.next_run)
    runs = runs[1:]  # from the first scheduled run on
    return [(b - a).total_seconds() for a, b in zip(runs, runs[1:], strict=False)]


def test_work_stored_during_an_outage_is_requeued_within_a_minute_of_redis_returning() -> None:
    settings = Settings()
    assert requeue_cron(settings).run_at_startup  # a reconnecting worker looks at once
    longest_gap = max(gaps_between_runs(settings))
    # Work stored just before Redis returns waits until it is old enough, then for the next run; a worker that
    # reconnects late (the backoff's cap) runs the requeue as soon as it is back.
    worst = max(settings.requeue_after_seconds, Backoff().cap) + longest_gap
    assert worst <= 60, worst
    print(f"\nworst case with the defaults: {worst:.0f} s after Redis returns (+ the job itself)")


@pytest.mark.parametrize("interval", [1, 7, 15, 60])
def test_the_requeue_runs_every_interval(interval: int) -> None:
    gaps = gaps_between_runs(Settings(requeue_interval_seconds=interval))
    assert max(gaps) == interval
    if 60 % interval == 0:
        assert set(gaps) == {interval}


def test_backoff_doubles_up_to_its_cap_with_jitter() -> None:
    backoff = Backoff(first=0.5, cap=10.0)
    for attempt, full in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (6, 10.0), (30, 10.0)]:
        delays = [backoff.delay(attempt) for _ in range(50)]
        assert all(0.8 * full <= d <= full for d in delays), (attempt, min(delays), max(delays))
