"""The snapshot cache on disk: real archives from the fake GitHub, a byte limit that covers downloads in progress."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from app.results import snapshots
from app.results.snapshots import SnapshotCacheFull, _Budget, ensure_snapshot
from github_app import GitHubApp, GitHubAppConfig

INSTALLATION_ID = 77
LIMIT = 100_000


@pytest.fixture
def gh_app(fake_github: Any) -> GitHubApp:
    return GitHubApp(GitHubAppConfig(str(fake_github.app_id), fake_github.private_key_pem, api_url=fake_github.url))


@pytest.fixture
def repo(fake_github: Any) -> Any:
    # Random bytes do not compress: each commit's archive is a little over 20 kB.
    repo = fake_github.add_repo("octo", "blob", files={"data.bin": os.urandom(20_000)})
    fake_github.add_installation(INSTALLATION_ID, "octo", [repo.id])
    return repo


async def _snapshot(gh_app: GitHubApp, repo: Any, sha: str, cache_dir: Path, limit: int = LIMIT) -> Path:
    return await ensure_snapshot(
        gh_app,
        cache_dir=cache_dir,
        installation_id=INSTALLATION_ID,
        repository_id=repo.id,
        owner="octo",
        repo="blob",
        sha=sha,
        max_cache_bytes=limit,
    )


def _put(path: Path, size: int, *, age_seconds: float = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    stamp = time.time() - age_seconds
    os.utime(path, (stamp, stamp))
    return path


def _disk_bytes(cache_dir: Path) -> int:
    return sum(p.stat().st_size for p in cache_dir.rglob("*") if p.is_file())


def _names(cache_dir: Path, pattern: str = "*") -> list[str]:
    return sorted(p.name for p in cache_dir.rglob(pattern) if p.is_file())


async def test_an_archive_is_downloaded_once(gh_app: GitHubApp, repo: Any, fake_github: Any, tmp_path: Path) -> None:
    sha = repo.branches["main"]
    first = await _snapshot(gh_app, repo, sha, tmp_path)
    second = await _snapshot(gh_app, repo, sha, tmp_path)
    assert first == second and first.stat().st_size > 20_000
    assert len(fake_github.find_requests("GET", r"/tarball/")) == 1
    assert _names(tmp_path, "*.part") == []


async def test_downloads_in_progress_count_against_the_limit(gh_app: GitHubApp, repo: Any, tmp_path: Path) -> None:
    old = _put(tmp_path / "999" / f"{'a' * 40}.tar.gz", 50_000, age_seconds=60)
    other_download = _put(tmp_path / "998" / "tmpother.part", 40_000)  # another process, still writing
    new = await _snapshot(gh_app, repo, repo.branches["main"], tmp_path)
    assert new.exists() and other_download.exists()
    assert not old.exists(), "the old archive had to go to make room next to the other download"
    assert _disk_bytes(tmp_path) <= LIMIT


async def test_parts_left_by_a_dead_process_are_removed(gh_app: GitHubApp, repo: Any, tmp_path: Path) -> None:
    dead = _put(tmp_path / "998" / "tmpdead.part", 1_000, age_seconds=snapshots.STALE_PART_SECONDS + 60)
    alive = _put(tmp_path / "998" / "tmpalive.part", 1_000)
    await _snapshot(gh_app, repo, repo.branches["main"], tmp_path)
    assert not dead.exists() and alive.exists()


async def test_a_download_that_cannot_fit_is_refused_and_leaves_nothing(
    gh_app: GitHubApp, repo: Any, tmp_path: Path
) -> None:
    others = _put(tmp_path / "998" / "tmpother.part", LIMIT - 5_000)  # nearly all the room, still in use
    with pytest.raises(SnapshotCacheFull, match="SNAPSHOT_CACHE_MAX_BYTES"):
        await _snapshot(gh_app, repo, repo.branches["main"], tmp_path)
    assert others.exists()
    assert _names(tmp_path) == ["tmpother.part"]
    assert snapshots._reservations == {}


async def test_the_cache_stays_within_its_limit_newest_first(gh_app: GitHubApp, repo: Any, tmp_path: Path) -> None:
    shas = [repo.branches["main"]] + [repo.commit("main", {"data.bin": os.urandom(20_000)}) for _ in range(5)]
    for sha in shas:
        await _snapshot(gh_app, repo, sha, tmp_path, limit=70_000)
        assert _disk_bytes(tmp_path) <= 70_000
    kept = {name.removesuffix(".tar.gz") for name in _names(tmp_path, "*.tar.gz")}
    assert shas[-1] in kept and shas[0] not in kept and len(kept) >= 2


def test_room_is_made_for_a_download_before_it_writes(tmp_path: Path) -> None:
    """A reservation evicts least recently used archives first; the archive used last survives."""
    oldest = _put(tmp_path / "1" / f"{'1' * 40}.tar.gz", 30_000, age_seconds=300)
    used_lately = _put(tmp_path / "1" / f"{'2' * 40}.tar.gz", 30_000, age_seconds=10)
    part = _put(tmp_path / "2" / "tmpmine.part", 0)
    budget = _Budget(tmp_path, 80_000)
    try:
        budget.reserve(str(part), 40_000)  # nothing written yet: the reservation alone counts
        assert not oldest.exists() and used_lately.exists()
        with pytest.raises(SnapshotCacheFull):
            budget.reserve(str(part), 90_000)
        assert used_lately.exists(), "nothing is deleted for a reservation that cannot fit anyway"
    finally:
        snapshots._reservations.clear()
