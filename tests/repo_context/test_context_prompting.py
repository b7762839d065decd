"""plan_generation: patterns compiled and matched off the event loop, input failures named for the owner."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from pathlib import Path

import pytest

from app.context_files.validation import ContextEntry
from app.fetch import FetchPolicy
from app.models_catalog import ModelPrice
from app.repo_context import ContextBuildFailed, ContextBuildTimeout, UnusablePatterns
from app.results.prompting import Plan, plan_generation

from .tarballs import Tarball

PRICE = ModelPrice("test-model", Decimal("1"), Decimal("2"), context_window=200_000, max_output_tokens=1000)
BACKTRACKER = "*a" * 14 + "b"


def archive(tmp_path: Path, tarball: Tarball) -> Path:
    path = tmp_path / "snapshot.tar.gz"
    path.write_bytes(tarball.build())
    return path


async def plan(entry: ContextEntry, snapshot: Path, **kwargs: float) -> Plan:
    return await plan_generation(
        entry=entry,
        price=PRICE,
        owner="octo",
        repo="hello",
        branch="main",
        archive=snapshot,
        fetch_policy=FetchPolicy(),
        **kwargs,
    )


async def max_loop_lag(work: asyncio.Future[Plan]) -> float:
    """The longest the event loop went without running a 10 ms timer while `work` ran."""
    lag = 0.0
    while not work.done():
        before = time.perf_counter()
        await asyncio.sleep(0.01)
        lag = max(lag, time.perf_counter() - before - 0.01)
    return lag


async def test_hostile_patterns_never_stall_the_event_loop(tmp_path: Path) -> None:
    tarball = Tarball().file("b" * 60 + "/" + "a" * 59 + "b", "wanted\n").file(".gitignore", BACKTRACKER + "x\n")
    for i in range(200):
        tarball.file(f"{i:03d}" + "a" * 60, "unwanted\n")  # each froze the old engine for over 30 s
    entry = ContextEntry(id="explain", summary="Explain", prompt="Explain.", path_patterns=(BACKTRACKER,))
    work = asyncio.ensure_future(plan(entry, archive(tmp_path, tarball)))
    lag = await max_loop_lag(work)
    system = (await work).messages[0]["content"]
    assert "wanted\n" in system and "unwanted" not in system
    assert lag < 1.0


async def test_patterns_past_the_caps_fail_with_the_entry_named(tmp_path: Path) -> None:
    entry = ContextEntry(id="explain", summary="Explain", exclude_path_patterns=("src/**", "{a,b}" * 40))
    started = time.perf_counter()
    with pytest.raises(UnusablePatterns) as failed:
        await plan(entry, archive(tmp_path, Tarball().file("a.txt", "x")))
    assert str(failed.value) == "context.explain.excludePathPatterns[1]: expands to more than 64 patterns"
    assert isinstance(failed.value, ContextBuildFailed) and failed.value.code == "context_patterns"
    assert time.perf_counter() - started < 5


async def test_a_build_over_its_budget_fails_as_input(tmp_path: Path) -> None:
    tarball = Tarball()
    for i in range(3000):
        tarball.file(f"src/m{i:04d}.py", f"X = {i}\n")
    entry = ContextEntry(id="explain", summary="Explain")
    with pytest.raises(ContextBuildTimeout) as failed:
        await plan(entry, archive(tmp_path, tarball), build_seconds=0.001)
    assert str(failed.value) == "building the context took longer than 0.001 s"
    assert failed.value.code == "context_timeout"
