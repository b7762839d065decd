"""The job table: the names of app/jobs_catalog.py → functions (used by arq and by the in-process runner)."""

from __future__ import annotations

from app.jobs_catalog import (
    JOB_CHECK_CONTEXT_FILE,
    JOB_GENERATE,
    JOB_PROCESS_DELIVERY,
    JOB_REQUEUE_UNFINISHED,
    JOB_SYNC_INSTALLATION,
)
from app.queue import JobFunction
from jobs import tasks

JOB_FUNCTIONS: dict[str, JobFunction] = {
    JOB_PROCESS_DELIVERY: tasks.process_delivery,
    JOB_SYNC_INSTALLATION: tasks.sync_installation,
    JOB_CHECK_CONTEXT_FILE: tasks.check_context_file,
    JOB_REQUEUE_UNFINISHED: tasks.requeue_unfinished,
    JOB_GENERATE: tasks.generate,
}
