"""Repository snapshots (GitHub tarballs) cached on disk per commit, so repeated misses don't refetch.

A commit never changes, so a cached archive never goes stale. Everything in the cache directory counts
against its size limit, downloads in progress (`.part` files) included: before a download writes its
next step, least recently used archives are deleted until the step fits, and a download that cannot
fit is refused. `.part` files that stopped growing long ago were left by a process that died; they are
deleted when room is made.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from app.db.models import Repository
from app.github_source import AppGitHub
from app.repo_context import ArchiveLimits, ArchiveTooLarge
from app.settings import Settings

ARCHIVE_SUFFIX = ".tar.gz"
PART_SUFFIX = ".part"
# Room is reserved ahead of a download in steps: 1/64 of the cache, at most this much.
MAX_DOWNLOAD_STEP_BYTES = 8 * 1024 * 1024
STALE_PART_SECONDS = 15 * 60

_locks: dict[str, asyncio.Lock] = {}
# Bytes each download of this process may grow to before it asks for more room (part path -> bytes).
_reservations: dict[str, int] = {}
_room_lock = threading.Lock()


class SnapshotCacheFull(ArchiveTooLarge):
    """Downloads in progress leave no room for this one within SNAPSHOT_CACHE_MAX_BYTES."""


def snapshot_path(cache_dir: Path, repository_id: int, sha: str) -> Path:
    return cache_dir / str(repository_id) / f"{sha}{ARCHIVE_SUFFIX}"


async def ensure_snapshot(
    github: AppGitHub,
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
        cache = _Budget(cache_dir, max_cache_bytes)
        cap = min((limits or ArchiveLimits()).max_archive_bytes, max_cache_bytes)
        await _download(github, installation_id, owner, repo, sha, path, cap, cache)
    return path


async def repository_snapshot(github: AppGitHub, settings: Settings, repo: Repository, sha: str) -> Path:
    """The tarball of a served repository at a commit, in the configured snapshot cache."""
    assert repo.installation_id is not None  # only a repository served through an installation is read
    return await ensure_snapshot(
        github,
        cache_dir=settings.snapshot_cache_dir,
        installation_id=repo.installation_id,
        repository_id=repo.id,
        owner=repo.owner,
        repo=repo.name,
        sha=sha,
        max_cache_bytes=settings.snapshot_cache_max_bytes,
    )


async def _download(
    github: AppGitHub, installation_id: int, owner: str, repo: str, sha: str, path: Path, cap: int, cache: _Budget
) -> None:
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, suffix=PART_SUFFIX)
    written = reserved = 0
    try:
        with os.fdopen(fd, "wb") as out:
            async with github.installation(installation_id) as api, api.tarball(owner, repo, sha) as chunks:
                async for chunk in chunks:
                    written += len(chunk)
                    if written > cap:
                        raise ArchiveTooLarge(f"the repository archive is larger than {cap:,} bytes")
                    if written > reserved:
                        reserved = min(cap, written + cache.step)
                        await asyncio.to_thread(cache.reserve, tmp_name, reserved)
                    out.write(chunk)
        os.replace(tmp_name, path)  # atomic: readers never see a partial archive
    finally:
        _release(tmp_name)
        Path(tmp_name).unlink(missing_ok=True)  # noqa: ASYNC240  (a local unlink; nothing to await)


def _release(part: str) -> None:
    with _room_lock:
        _reservations.pop(part, None)


@dataclass(frozen=True)
class _Budget:
    """The cache directory's byte limit, shared by finished archives and downloads in progress."""

    cache_dir: Path
    max_bytes: int

    @property
    def step(self) -> int:
        return max(1, min(MAX_DOWNLOAD_STEP_BYTES, self.max_bytes // 64))

    def reserve(self, part: str, size: int) -> None:
        """Let the download writing `part` grow to `size` bytes, deleting old archives to make room."""
        with _room_lock:
            _reservations[part] = size
            try:
                _make_room(self.cache_dir, self.max_bytes)
            except SnapshotCacheFull:
                del _reservations[part]
                raise


@dataclass(frozen=True)
class _Entry:
    path: Path
    size: int
    mtime: float


def _make_room(cache_dir: Path, max_bytes: int) -> None:
    """Caller holds _room_lock. Raises SnapshotCacheFull when downloads alone exceed the limit."""
    archives, parts = _scan(cache_dir)
    stale_before = time.time() - STALE_PART_SECONDS
    downloads = 0
    for part in parts:
        reserved = _reservations.get(str(part.path))
        if reserved is None and part.mtime < stale_before:
            part.path.unlink(missing_ok=True)  # left by a download whose process died
            continue
        downloads += max(part.size, reserved or 0)
    if downloads > max_bytes:  # deleting archives would not help: keep them
        raise SnapshotCacheFull(
            f"the snapshot cache ({max_bytes:,} bytes, SNAPSHOT_CACHE_MAX_BYTES) is taken by downloads in progress"
        )
    total = downloads + sum(archive.size for archive in archives)
    for archive in sorted(archives, key=lambda entry: entry.mtime):
        if total <= max_bytes:
            break
        archive.path.unlink(missing_ok=True)
        total -= archive.size


def _scan(cache_dir: Path) -> tuple[list[_Entry], list[_Entry]]:
    """(archives, partial downloads) under cache_dir/<repository id>/; files may vanish meanwhile."""
    archives: list[_Entry] = []
    parts: list[_Entry] = []
    for path in cache_dir.glob("*/*"):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        entry = _Entry(path, stat.st_size, stat.st_mtime)
        if path.name.endswith(PART_SUFFIX):
            parts.append(entry)
        elif path.name.endswith(ARCHIVE_SUFFIX):
            archives.append(entry)
    return archives, parts
