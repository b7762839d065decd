"""GitHub's real example payloads, re-pointed at the accounts and repositories of the fake GitHub."""

from __future__ import annotations

from typing import Any

from tests.support.webhook_examples import load_example


def _account(example: dict[str, Any], login: str, account_id: int, type_: str = "User") -> dict[str, Any]:
    return {**example, "login": login, "id": account_id, "type": type_}


def _repo_ref(repo: Any) -> dict[str, Any]:
    return {
        "id": repo.id,
        "name": repo.name,
        "full_name": repo.full_name,
        "private": repo.private,
        "node_id": f"R_{repo.id}",
    }


def installation_payload(action: str, installation_id: int, owner: Any, repos: list[Any]) -> dict[str, Any]:
    """An `installation` event (created, deleted, suspend, unsuspend, new_permissions_accepted)."""
    payload = load_example("installation", action)
    inst = payload["installation"]
    inst["id"] = installation_id
    inst["account"] = _account(inst["account"], owner.login, owner.id, owner.type)
    if "repositories" in payload or action in ("created", "deleted", "new_permissions_accepted"):
        payload["repositories"] = [_repo_ref(r) for r in repos]
    return payload


def installation_repositories_payload(
    action: str, installation_id: int, owner: Any, added: list[Any], removed: list[Any]
) -> dict[str, Any]:
    """An `installation_repositories` event."""
    payload = load_example("installation_repositories", action)
    payload["installation"]["id"] = installation_id
    payload["installation"]["account"] = _account(payload["installation"]["account"], owner.login, owner.id)
    payload["repositories_added"] = [_repo_ref(r) for r in added]
    payload["repositories_removed"] = [_repo_ref(r) for r in removed]
    return payload


def push_payload(
    repo: Any,
    installation_id: int | None,
    *,
    branch: str,
    before: str,
    after: str,
    added: list[str] = (),
    modified: list[str] = (),
    removed: list[str] = (),  # type: ignore[assignment]
    created: bool = False,
    deleted: bool = False,
) -> dict[str, Any]:
    """A `push` event of one commit touching the given paths."""
    payload = load_example("push", None, index=3)  # an App delivery (has `installation`)
    payload.update(
        ref=f"refs/heads/{branch}", before=before, after=after, created=created, deleted=deleted, forced=False
    )
    payload["repository"].update(
        id=repo.id,
        name=repo.name,
        full_name=repo.full_name,
        private=repo.private,
        default_branch=repo.default_branch,
    )
    payload["repository"]["owner"] = _account(payload["repository"]["owner"], repo.owner.login, repo.owner.id)
    commit = dict(
        payload["head_commit"] or {},
        id=after,
        added=list(added),
        modified=list(modified),
        removed=list(removed),
    )
    payload["commits"] = [] if deleted else [commit]
    payload["head_commit"] = None if deleted else commit
    if installation_id is None:
        payload.pop("installation", None)
    else:
        payload["installation"] = {"id": installation_id, "node_id": f"I_{installation_id}"}
    return payload
