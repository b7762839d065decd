"""Every background job in one place: its stable dotted name and how its job id is made.

`app` reaches jobs only through these names (jobs/registry.py maps them to functions); a job id makes a
second enqueue of the same work a no-op while the first is queued or running. Callers build a `JobCall`
with the helper of the job they want and hand it to `JobQueue.enqueue`; nobody formats ids by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

JOB_PROCESS_DELIVERY = "github.process_delivery"
JOB_SYNC_INSTALLATION = "github.sync_installation"
JOB_CHECK_CONTEXT_FILE = "github.check_context_file"
JOB_GENERATE = "results.generate"
JOB_REQUEUE_UNFINISHED = "jobs.requeue_unfinished"  # the workers' cron job; never enqueued by `app`

JOB_NAMES = frozenset(
    {JOB_PROCESS_DELIVERY, JOB_SYNC_INSTALLATION, JOB_CHECK_CONTEXT_FILE, JOB_GENERATE, JOB_REQUEUE_UNFINISHED}
)


@dataclass(frozen=True)
class JobCall:
    """One job to run: its name, its arguments (ids, never objects) and its job id (None: never deduplicated)."""

    name: str
    args: tuple[Any, ...]
    job_id: str | None = None


def process_delivery_job(delivery_pk: int) -> JobCall:
    """Apply one stored webhook delivery."""
    return JobCall(JOB_PROCESS_DELIVERY, (delivery_pk,), f"delivery:{delivery_pk}")


def sync_installation_job(installation_id: int) -> JobCall:
    """Refresh an installation's repositories (no job id: a sync asked for during a sync runs again)."""
    return JobCall(JOB_SYNC_INSTALLATION, (installation_id,))


def check_context_file_job(repository_id: int, branch: str | None, sha: str | None) -> JobCall:
    """Read and check context.json of a repository at a branch (its head when `sha` is None)."""
    return JobCall(JOB_CHECK_CONTEXT_FILE, (repository_id, branch, sha), f"check:{repository_id}:{branch}:{sha}")


def generate_job(result_id: str) -> JobCall:
    """Produce (or reuse) the answer of a pending result."""
    return JobCall(JOB_GENERATE, (result_id,), f"generate:{result_id}")
