"""The job table: stable dotted names → functions (used by arq and by the in-process runner)."""

from __future__ import annotations

from app.queue import (
    JOB_CHECK_CONTEXT_FILE,
    JOB_GENERATE,
    JOB_PROCESS_DELIVERY,
    JOB_SYNC_INSTALLATION,
    JobFunction,
)
from jobs import tasks

JOB_REQUEUE_UNFINISHED = "jobs.requeue_unfinished"

JOB_FUNCTIONS: dict[str, JobFunction] = {
    JOB_PROCESS_DELIVERY: tasks.process_delivery,
    JOB_SYNC_INSTALLATION: tasks.sync_installation,
    JOB_CHECK_CONTEXT_FILE: tasks.check_context_file,
    JOB_REQUEUE_UNFINISHED: tasks.requeue_unfinished,
    JOB_GENERATE: tasks.generate,
}
