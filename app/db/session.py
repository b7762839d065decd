"""Per-request database session (the request handler commits; nothing else does)."""

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
