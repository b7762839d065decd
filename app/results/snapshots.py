"""Repository snapshots (GitHub tarballs) cached on disk per commit, so repeated misses don't refetch.

A commit never changes, so a cached archive never goes stale; the cache is trimmed oldest-first when
it grows past its size limit.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from app.repo_context import ArchiveLimits, ArchiveTooLarge
from github_app import GitHubApp

_locks: dict[str, asyncio.Lock] = {}


def snapshot_path(cache_dir: Path, repository_id: int, sha: str) -> Path:
    return cache_dir / str(repository_id) / f"{sha}.tar.gz"


async def ensure_snapshot(
    github: GitHubApp,
    *,
    cache_dir: Path,
    installation_id: int,
    repository_id: int,
    owner: str,
    repo: str,
    sha: str,
    limits: ArchiveLimits | None = None,
    max_cache_bytes: int = 2 * 1024**3,
) -> Path:
    """The path of the commit's tarball, downloading it (streamed to disk) on first use."""
    path = snapshot_path(cache_dir, repository_id, sha)
    lock = _locks.setdefault(str(path), asyncio.Lock())  # one download per commit in this process
    async with lock:
        if path.exists():  # noqa: ASYNC240  (a stat of a local file)
            os.utime(path)  # mark as recently used for trimming
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        cap = (limits or ArchiveLimits()).max_archive_bytes
        await _download(github, installation_id, owner, repo, sha, path, cap)
    await asyncio.to_thread(trim_cache, cache_dir, max_cache_bytes)
    return path


async def _download(
    github: GitHubApp, installation_id: int, owner: str, repo: str, sha: str, path: Path, cap: int
) -> None:
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, suffix=".part")
    written = 0
    try:
        with os.fdopen(fd, "wb") as out:
            async with github.installation(installation_id) as api, api.tarball(owner, repo, sha) as chunks:
                async for chunk in chunks:
                    written += len(chunk)
                    if written > cap:
                        raise ArchiveTooLarge(f"the repository archive is larger than {cap:,} bytes")
                    out.write(chunk)
        os.replace(tmp_name, path)  # atomic: readers never see a partial archive
    finally:
        Path(tmp_name).unlink(missing_ok=True)  # noqa: ASYNC240  (a local unlink; nothing to await)


def trim_cache(cache_dir: Path, max_bytes: int) -> None:
    """Delete least recently used archives until the cache fits in max_bytes."""
    files = [(p.stat().st_mtime, p.stat().st_size, p) for p in cache_dir.glob("*/*.tar.gz")]
    total = sum(size for _, size, _ in files)
    for _, size, path in sorted(files):
        if total <= max_bytes:
            return
        path.unlink(missing_ok=True)
        total -= size
