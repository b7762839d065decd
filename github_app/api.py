"""Typed calls the service makes as an installation. Results are small dataclasses, not raw JSON.

Only the fields we use are read from responses, so GitHub adding or changing unrelated fields never
breaks us; githubkit supplies routing, auth, retries and typed parameters.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from githubkit import GitHub
from githubkit.exception import RequestFailed
from githubkit.utils import UNSET

CheckConclusion = Literal["success", "failure", "neutral", "cancelled", "skipped", "timed_out", "action_required"]


class FileTooLarge(Exception):
    """The file exists but is larger than the caller allows (or than the contents API returns inline)."""

    def __init__(self, path: str, size: int, limit: int):
        super().__init__(f"{path} is {size:,} bytes; the limit is {limit:,} bytes")
        self.path, self.size, self.limit = path, size, limit


@dataclass(frozen=True)
class RepoInfo:
    id: int
    owner: str
    name: str
    private: bool
    default_branch: str
    archived: bool = False


@dataclass(frozen=True)
class BranchHead:
    branch: str
    sha: str


@dataclass(frozen=True)
class FileContent:
    path: str
    sha: str
    size: int
    content: bytes


@dataclass(frozen=True)
class CheckRun:
    id: int
    html_url: str | None


# GitHub accepts at most 50 annotations per create or update request; more take further updates.
MAX_ANNOTATIONS_PER_REQUEST = 50


@dataclass(frozen=True)
class CheckAnnotation:
    """One problem shown on a line of a file, inline in pull-request diffs."""

    path: str
    start_line: int
    end_line: int
    message: str
    annotation_level: Literal["notice", "warning", "failure"] = "failure"
    title: str | None = None
    start_column: int | None = None  # GitHub takes columns only when the annotation is on one line

    def as_dict(self) -> dict[str, Any]:
        """The annotation as GitHub's API takes it (columns left out when it spans lines)."""
        data: dict[str, Any] = {
            "path": self.path,
            "start_line": self.start_line,
            "end_line": max(self.end_line, self.start_line),
            "annotation_level": self.annotation_level,
            "message": self.message[:65535],
        }
        if self.title:
            data["title"] = self.title[:255]
        if self.start_column is not None and self.end_line == self.start_line:
            data["start_column"] = data["end_column"] = self.start_column
        return data


@dataclass(frozen=True)
class CheckOutput:
    title: str
    summary: str
    text: str | None = None
    annotations: tuple[CheckAnnotation, ...] = ()

    def as_dict(self, annotations: Sequence[CheckAnnotation] = ()) -> dict[str, Any]:
        """The `output` of a request carrying `annotations` (a batch of self.annotations, at most 50)."""
        data: dict[str, Any] = {"title": self.title[:255], "summary": self.summary[:65535]}
        if self.text:
            data["text"] = self.text[:65535]
        if annotations:
            data["annotations"] = [annotation.as_dict() for annotation in annotations]
        return data


def segment(value: str) -> str:
    """One URL path segment, percent-encoded so no value can add, remove or rewrite path segments.

    githubkit puts its arguments into the path as they are, and the HTTP client then collapses `..`:
    `branches/../../other-repo` would reach another repository. Every value we put into a path goes
    through here. Dots are encoded too when they make up the whole segment, so nothing normalises them.
    """
    if value.strip(".") == "":
        return value.replace(".", "%2E")
    return quote(value, safe="")


def path_segments(path: str) -> str:
    """A slash-separated path (a file in the repository), each segment encoded on its own."""
    return "/".join(segment(part) for part in path.split("/"))


def _json(resp: Any) -> Any:
    """The decoded body; we read it as plain JSON (only the fields we use) rather than githubkit's models."""
    return resp.raw_response.json()


def _repo_info(data: dict[str, Any]) -> RepoInfo:
    return RepoInfo(
        id=data["id"],
        owner=data["owner"]["login"],
        name=data["name"],
        private=bool(data.get("private")),
        default_branch=data.get("default_branch") or "main",
        archived=bool(data.get("archived")),
    )


def _is_status(exc: RequestFailed, *codes: int) -> bool:
    return exc.response.status_code in codes


class InstallationAPI:
    """The GitHub REST calls we need, as one installation."""

    def __init__(self, client: GitHub[Any]):
        self._gh = client
        self._depth = 0

    async def __aenter__(self) -> InstallationAPI:
        # One HTTP connection pool for a batch of calls; githubkit refuses to be entered twice.
        if self._depth == 0:
            await self._gh.__aenter__()
        self._depth += 1
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self._depth -= 1
        if self._depth == 0:
            await self._gh.__aexit__(*exc)

    async def get_repository(self, owner: str, repo: str) -> RepoInfo | None:
        """Repository metadata, or None when it does not exist or the installation cannot see it."""
        try:
            resp = await self._gh.rest.repos.async_get(segment(owner), segment(repo))
        except RequestFailed as exc:
            if _is_status(exc, 404, 403):
                return None
            raise
        return _repo_info(_json(resp))

    async def get_repository_by_id(self, repo_id: int) -> RepoInfo | None:
        """Repository metadata by id (follows renames and transfers), or None when gone or not visible."""
        try:
            resp = await self._gh.arequest("GET", f"/repositories/{int(repo_id)}")
        except RequestFailed as exc:
            if _is_status(exc, 404, 403):
                return None
            raise
        return _repo_info(_json(resp))

    async def get_branch_head(self, owner: str, repo: str, branch: str) -> BranchHead | None:
        """The commit a branch points at, or None for an unknown branch.

        GitHub answers for the branch it found, which is not always the name asked for (it follows
        renamed branches, for one): only an answer for exactly this name counts.
        """
        try:
            resp = await self._gh.rest.repos.async_get_branch(segment(owner), segment(repo), segment(branch))
        except RequestFailed as exc:
            if _is_status(exc, 404):
                return None
            raise
        data = _json(resp)
        if data.get("name") != branch:
            return None
        return BranchHead(branch=data["name"], sha=data["commit"]["sha"])

    async def get_file(self, owner: str, repo: str, path: str, ref: str, *, max_bytes: int) -> FileContent | None:
        """A file's bytes at a ref; None when missing (or a directory); FileTooLarge above max_bytes."""
        try:
            resp = await self._gh.rest.repos.async_get_content(
                segment(owner), segment(repo), path_segments(path), ref=ref
            )
        except RequestFailed as exc:
            if _is_status(exc, 404):
                return None
            raise
        data = _json(resp)
        if not isinstance(data, dict) or data.get("type") != "file":
            return None
        size = int(data.get("size", 0))
        if size > max_bytes:
            raise FileTooLarge(path, size, max_bytes)
        if data.get("encoding") != "base64":
            # GitHub stops inlining content above 1 MB ("encoding": "none").
            raise FileTooLarge(path, size, min(max_bytes, 1024 * 1024))
        content = base64.b64decode(data.get("content") or "")
        return FileContent(path=data["path"], sha=data["sha"], size=size, content=content)

    @asynccontextmanager
    async def tarball(self, owner: str, repo: str, ref: str) -> AsyncIterator[AsyncIterator[bytes]]:
        """Stream the repository archive at `ref` (gzip tar) in chunks, never holding it whole."""
        async with self:  # keeps the HTTP client open while the body streams
            resp = await self._gh.rest.repos.async_download_tarball_archive(
                segment(owner), segment(repo), segment(ref), stream=True
            )
            try:
                yield resp.raw_response.aiter_bytes()
            finally:
                await resp.raw_response.aclose()

    async def complete_check_run(
        self,
        owner: str,
        repo: str,
        *,
        name: str,
        head_sha: str,
        conclusion: CheckConclusion,
        output: CheckOutput,
        details_url: str | None = None,
        check_run_id: int | None = None,
    ) -> CheckRun:
        """Report a completed check run on a commit: a new one, or the given one's result replaced.

        Re-running a check passes the id of its earlier run, so the commit does not get a second one.
        Annotations go 50 per request. GitHub appends the annotations of every update to those the run
        already has, so a run reported again only gets the ones it is missing (the same commit has the
        same file, hence the same annotations in the same order); a retry after a partial report too.
        """
        first = output.annotations[:MAX_ANNOTATIONS_PER_REQUEST] if check_run_id is None else ()
        result: dict[str, Any] = dict(
            name=name,
            status="completed",
            conclusion=conclusion,
            output=output.as_dict(first),
            details_url=details_url or UNSET,
        )
        checks = self._gh.rest.checks
        if check_run_id is None:
            resp = await checks.async_create(segment(owner), segment(repo), head_sha=head_sha, **result)
        else:
            resp = await checks.async_update(segment(owner), segment(repo), check_run_id, **result)
        data = _json(resp)
        run = CheckRun(id=data["id"], html_url=data.get("html_url"))
        present = int((data.get("output") or {}).get("annotations_count") or len(first))
        for start in range(present, len(output.annotations), MAX_ANNOTATIONS_PER_REQUEST):
            # Each update repeats the result (title and summary are required); only the batch is new.
            batch = output.annotations[start : start + MAX_ANNOTATIONS_PER_REQUEST]
            await checks.async_update(
                segment(owner), segment(repo), run.id, **{**result, "output": output.as_dict(batch)}
            )
        return run

    async def create_commit_status(
        self,
        owner: str,
        repo: str,
        sha: str,
        *,
        state: Literal["error", "failure", "pending", "success"],
        context: str,
        description: str,
        target_url: str | None = None,
    ) -> None:
        """Set a commit status (used where a check run does not fit, e.g. deploy links)."""
        await self._gh.rest.repos.async_create_commit_status(
            segment(owner),
            segment(repo),
            segment(sha),
            state=state,
            context=context,
            description=description[:140],
            target_url=target_url,
        )

    async def list_repositories(self) -> list[RepoInfo]:
        """Every repository this installation can access (all pages)."""
        repos: list[RepoInfo] = []
        page = 1
        while True:
            resp = await self._gh.rest.apps.async_list_repos_accessible_to_installation(per_page=100, page=page)
            data = _json(resp)
            repos.extend(_repo_info(item) for item in data.get("repositories", []))
            if len(repos) >= int(data.get("total_count", 0)) or not data.get("repositories"):
                return repos
            page += 1
