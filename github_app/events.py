"""Typed views of the webhook events we handle.

We validate only the fields we use and ignore the rest: githubkit's full schemas reject some payloads
GitHub really sends (e.g. installation events without `app_slug`), and a webhook we cannot parse is a
webhook we lose.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class AccountRef(_Lenient):
    id: int
    login: str
    type: str = "User"


class RepoRef(_Lenient):
    """A repository as listed in installation events (no owner object there)."""

    id: int
    name: str
    full_name: str
    private: bool = False

    @property
    def owner(self) -> str:
        return self.full_name.split("/", 1)[0]


class InstallationRef(_Lenient):
    id: int
    account: AccountRef | None = None
    repository_selection: str = "selected"
    permissions: dict[str, str] = Field(default_factory=dict)
    suspended_at: str | None = None


class InstallationEvent(_Lenient):
    action: str
    installation: InstallationRef
    repositories: list[RepoRef] | None = None


class InstallationRepositoriesEvent(_Lenient):
    action: str
    installation: InstallationRef
    repository_selection: str = "selected"
    repositories_added: list[RepoRef] = Field(default_factory=list)
    repositories_removed: list[RepoRef] = Field(default_factory=list)


class PushCommit(_Lenient):
    id: str
    added: list[str] = Field(default_factory=list)
    modified: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)

    def touches(self, path: str) -> bool:
        return path in self.added or path in self.modified or path in self.removed


class PushRepository(_Lenient):
    """A repository as push and repository events carry it (with its owner)."""

    id: int
    name: str
    full_name: str
    private: bool = False
    archived: bool = False
    owner: AccountRef
    default_branch: str | None = None


class InstallationId(_Lenient):
    id: int


class RepositoryEvent(_Lenient):
    """`repository` events: privatized, publicized, renamed, transferred, archived, unarchived, deleted, ..."""

    action: str
    repository: PushRepository
    installation: InstallationId | None = None
    changes: dict[str, Any] = Field(default_factory=dict)

    @property
    def old_name(self) -> str | None:
        """The name before a rename (`changes.repository.name.from`)."""
        return _dig(self.changes, "repository", "name", "from")

    @property
    def old_owner(self) -> str | None:
        """The owner's login before a transfer (`changes.owner.from.user` or `.organization`)."""
        previous = _dig(self.changes, "owner", "from")
        if not isinstance(previous, dict):
            return None
        for kind in ("user", "organization"):
            login = _dig(previous, kind, "login")
            if isinstance(login, str):
                return login
        return None


class TargetAccount(_Lenient):
    """The account of an `installation_target` event (GitHub may send `slug` instead of `login`)."""

    id: int
    login: str | None = None
    slug: str | None = None
    type: str = "User"


class InstallationTargetEvent(_Lenient):
    """`installation_target.renamed`: the account the App is installed on changed its login."""

    action: str
    account: TargetAccount
    installation: InstallationId
    changes: dict[str, Any] = Field(default_factory=dict)

    @property
    def old_login(self) -> str | None:
        return _dig(self.changes, "login", "from") or _dig(self.changes, "slug", "from")

    @property
    def new_login(self) -> str | None:
        return self.account.login or self.account.slug


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


class PushEvent(_Lenient):
    ref: str
    before: str
    after: str
    created: bool = False
    deleted: bool = False
    forced: bool = False
    commits: list[PushCommit] = Field(default_factory=list)
    repository: PushRepository
    installation: InstallationId | None = None

    @property
    def branch(self) -> str | None:
        """The branch name for branch pushes; None for tags and other refs."""
        return self.ref.removeprefix("refs/heads/") if self.ref.startswith("refs/heads/") else None

    def touches(self, path: str) -> bool:
        return any(commit.touches(path) for commit in self.commits)


_EVENT_MODELS: dict[str, type[_Lenient]] = {
    "installation": InstallationEvent,
    "installation_repositories": InstallationRepositoriesEvent,
    "push": PushEvent,
    "repository": RepositoryEvent,
    "installation_target": InstallationTargetEvent,
}


def parse_known_event(event: str, payload: bytes | str | dict[str, Any]) -> _Lenient | None:
    """The typed event for the events we handle, None for others; raises ValidationError when malformed."""
    model = _EVENT_MODELS.get(event)
    if model is None:
        return None
    if isinstance(payload, dict):
        return model.model_validate(payload)
    return model.model_validate_json(payload)
