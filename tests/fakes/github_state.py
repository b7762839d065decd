"""In-memory state of the fake GitHub: accounts, repositories with commits, installations, tokens."""

from __future__ import annotations

import hashlib
import io
import itertools
import tarfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

DEFAULT_PERMISSIONS = {"metadata": "read", "contents": "read", "checks": "write", "statuses": "write"}

_commit_counter = itertools.count(1)


def now() -> datetime:
    """Current UTC time without microseconds (GitHub timestamps have second precision)."""
    return datetime.now(UTC).replace(microsecond=0)


def blob_sha(data: bytes) -> str:
    """Git blob object id of `data`, as GitHub reports in the contents API."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def tree_sha(files: dict[str, bytes]) -> str:
    """A stable id for a file set (not git's real tree hash; only needs to be deterministic)."""
    digest = hashlib.sha1(b"tree")
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + blob_sha(files[path]).encode())
    return digest.hexdigest()


@dataclass
class Account:
    """A GitHub user or organization."""

    login: str
    id: int
    type: str = "User"


@dataclass
class Commit:
    """One commit: the full file set plus history metadata."""

    sha: str
    files: dict[str, bytes]
    parent: str | None
    message: str
    timestamp: datetime


@dataclass
class FakeRepo:
    """A repository; mutate it only through `commit` so the server thread sees consistent state."""

    owner: Account
    name: str
    id: int
    private: bool
    default_branch: str
    lock: threading.RLock
    archived: bool = False
    created_at: datetime = field(default_factory=now)
    branches: dict[str, str] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    # Old branch name → new name: GitHub answers the old name with a 301 to the renamed branch.
    renamed_branches: dict[str, str] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"

    def commit(self, branch: str, files: dict[str, bytes | str | None], *, message: str = "Update files") -> str:
        """Commit `files` (None deletes) on `branch` (a new branch forks the default one); return the sha."""
        with self.lock:
            base = self.branches.get(branch) or self.branches.get(self.default_branch)
            tree = dict(self.commits[base].files) if base else {}
            for raw_path, content in files.items():
                path = _normalize_path(raw_path)
                if content is None:
                    tree.pop(path, None)
                else:
                    tree[path] = content.encode() if isinstance(content, str) else bytes(content)
            seed = f"{self.id}:{base}:{next(_commit_counter)}:{message}:{tree_sha(tree)}"
            sha = hashlib.sha1(seed.encode()).hexdigest()
            self.commits[sha] = Commit(sha, tree, base, message, now())
            self.branches[branch] = sha
            return sha

    def resolve(self, ref: str | None) -> str | None:
        """Return the commit sha for a branch name, `refs/heads/` ref, full or abbreviated sha."""
        with self.lock:
            ref = ref or self.default_branch
            ref = ref.removeprefix("refs/heads/")
            if ref in self.branches:
                return self.branches[ref]
            if ref in self.commits:
                return ref
            if len(ref) >= 7:
                matches = [sha for sha in self.commits if sha.startswith(ref.lower())]
                if len(matches) == 1:
                    return matches[0]
            return None

    def files_at(self, ref: str | None = None) -> dict[str, bytes]:
        """Return a copy of the file set at `ref` (default branch when None)."""
        sha = self.resolve(ref)
        if sha is None:
            raise KeyError(f"{self.full_name}: unknown ref {ref!r}")
        return dict(self.commits[sha].files)


@dataclass
class FakeInstallation:
    """An installation of the app on one account, limited to some repositories."""

    id: int
    account: Account
    repo_ids: set[int]
    permissions: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_PERMISSIONS))
    suspended: bool = False


@dataclass
class IssuedToken:
    """An installation access token handed out by POST /app/installations/{id}/access_tokens."""

    token: str
    installation_id: int
    expires_at: datetime
    repo_ids: frozenset[int] | None  # None: every repo the installation has *now* (an unrestricted token)
    permissions: dict[str, str]

    def can_see(self, repo_id: int, installed: set[int]) -> bool:
        return repo_id in installed and (self.repo_ids is None or repo_id in self.repo_ids)


class RecordedRequest(NamedTuple):
    """One request the fake received, for assertions."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json_body: object


def _normalize_path(path: str) -> str:
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise ValueError(f"invalid repository path {path!r}")
    return "/".join(parts)


def build_tarball(prefix: str, files: dict[str, bytes], commit: Commit) -> bytes:
    """Return a .tar.gz laid out like `git archive` output, as GitHub's codeload serves it."""
    buffer = io.BytesIO()
    mtime = int(commit.timestamp.timestamp())
    # git archive writes the commit id into a pax global header; readers must cope with it.
    with tarfile.open(
        fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT, pax_headers={"comment": commit.sha}
    ) as tar:
        dirs = {"/".join(path.split("/")[:i]) for path in files for i in range(1, path.count("/") + 1)}
        entries = sorted([(d + "/", None) for d in dirs] + [(p, files[p]) for p in files])
        _add_dir(tar, prefix, mtime)
        for path, data in entries:
            if data is None:
                _add_dir(tar, prefix + path, mtime)
            else:
                info = tarfile.TarInfo(prefix + path)
                info.size, info.mode, info.mtime = len(data), 0o644, mtime
                tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _add_dir(tar: tarfile.TarFile, name: str, mtime: int) -> None:
    info = tarfile.TarInfo(name.rstrip("/"))
    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, mtime
    tar.addfile(info)
