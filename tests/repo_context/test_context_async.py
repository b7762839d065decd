"""The async adapter: an async byte stream (an httpx streaming response) spooled to disk, built off-loop."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from app.repo_context import ArchiveLimits, ArchiveTooLarge, PathSelector, build_context, build_context_async

from .tarballs import Tarball, chunks


def sample() -> bytes:
    tarball = Tarball().file("README.md", "# Hello\n").file(".gitignore", "*.log\n").file("x.log", "no")
    for i in range(50):
        tarball.file(f"src/m{i}.py", f"VALUE_{i} = {i}\n" * 200)
    return tarball.build()


async def stream(data: bytes, size: int = 4096) -> AsyncIterator[bytes]:
    for chunk in chunks(data, size):
        yield chunk


async def test_async_stream_gives_the_same_context_as_the_sync_builder() -> None:
    data = sample()
    selector = PathSelector(path_patterns=["README.md", "src/**"])
    built = await build_context_async(stream(data, 333), selector, max_tokens=20_000, header="octo/hello")
    expected = build_context(data, selector, max_tokens=20_000, header="octo/hello")
    assert built == expected
    assert built.truncated and built.files[0] == "README.md"


async def test_httpx_streaming_response_is_accepted() -> None:
    data = sample()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=stream(data), headers={"content-type": "application/x-gzip"})

    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client,
        client.stream("GET", "https://api.github.test/repos/octo/hello/tarball/1a2b3c4") as response,
    ):
        built = await build_context_async(response.aiter_bytes(), PathSelector(), max_tokens=1_000_000)
    assert len(built.files) == 52 and built.skipped == {"ignored": 1}


async def test_download_over_the_archive_cap_is_refused() -> None:
    with pytest.raises(ArchiveTooLarge):
        await build_context_async(
            stream(sample()), PathSelector(), max_tokens=1000, limits=ArchiveLimits(max_archive_bytes=1000)
        )


async def test_limits_inside_the_worker_thread_propagate() -> None:
    with pytest.raises(ArchiveTooLarge):
        await build_context_async(stream(sample()), PathSelector(), max_tokens=1000, limits=ArchiveLimits(max_files=10))
