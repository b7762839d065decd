"""Charging a non-streamed call beside the sending of its answer, without ever losing the charge.

The caller waits for the answer, not for our bookkeeping: the settlement (ledger entry, balance, result row)
of a call that keeps nothing runs beside the sending of the response instead of before it. It still runs
exactly once and to its end: it is a task of its own (a hung-up connection or a cancelled request cannot cut
it off), the process keeps each one until it finishes, and shutdown waits for all of them before the
database goes away. A process that dies outright leaves the call open with its reservation, which
`release_abandoned_calls` gives back, as for a streamed call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger("contextjson.completions")


class PendingSettlements:
    """The settlements this process started and has not finished."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def start(self, work: Coroutine[Any, Any, Any], name: str) -> None:
        """Run `work` as a task of its own, kept until it ends; started before the response is sent, so a
        response that cannot be delivered (the caller left) is still charged: the upstream answered it."""
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("completions.settle_failed task=%s", task.get_name(), exc_info=task.exception())

    async def drain(self) -> None:
        """Until every settlement started so far has finished (shutdown, tests)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
