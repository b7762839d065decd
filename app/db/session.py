"""Per-request database session.

Who commits: a unit of work, which is one of a request handler (this session), a job
(jobs.tasks._unit_of_work), or one short step of a flow that must call GitHub or the model API between
database steps (link resolution, generation, visibility refresh): such a step opens its own session,
commits and closes it before the outside call, since no connection may be held across one (see
app.db.engine). Services called with a session only read and write through it; they never commit it.
tests/database/test_held_connections.py fails when a connection is held across an outside call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from app.runtime import Runtime


def provide_runtime(state: State) -> Runtime:
    return state.runtime  # type: ignore[no-any-return]


async def provide_session(state: State) -> AsyncIterator[AsyncSession]:
    """A session for one request; anything not committed by the handler is rolled back."""
    runtime: Runtime = state.runtime
    async with runtime.sessions() as session:
        yield session
