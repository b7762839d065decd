"""`repository` and `installation_target` events from GitHub's examples, re-pointed at the fake GitHub.

@octokit/webhooks-examples 7.6.1 has api.github.com examples of privatized, publicized, renamed and
transferred. For archived, unarchived and deleted it has none: those are the publicized example with the
action changed (their schema in @octokit/webhooks-types is the same `repository` object). It has no
`installation_target` example at all: that payload follows InstallationTargetRenamedEvent of
@octokit/webhooks-types (changes.login.from, account, installation, target_type).
"""

from __future__ import annotations

from typing import Any

from tests.support.webhook_examples import load_example

_WITH_EXAMPLE = {"privatized", "publicized", "renamed", "transferred"}


def repository_payload(action: str, repo: Any, installation_id: int | None, **changes: Any) -> dict[str, Any]:
    """A `repository` event about the fake `repo` as it is now (rename/transfer it in the fake first)."""
    payload = load_example("repository", action if action in _WITH_EXAMPLE else "publicized")
    payload["action"] = action
    payload["repository"].update(
        id=repo.id,
        name=repo.name,
        full_name=repo.full_name,
        private=repo.private,
        archived=repo.archived,
        default_branch=repo.default_branch,
    )
    payload["repository"]["owner"].update(login=repo.owner.login, id=repo.owner.id, type=repo.owner.type)
    if action == "renamed":
        payload["changes"] = {"repository": {"name": {"from": changes["old_name"]}}}
    elif action == "transferred":
        previous = dict(payload["changes"]["owner"]["from"]["user"], login=changes["old_owner"])
        payload["changes"] = {"owner": {"from": {"user": previous}}}
    if installation_id is None:
        payload.pop("installation", None)
    else:
        payload["installation"] = {"id": installation_id, "node_id": f"I_{installation_id}"}
    return payload


def installation_target_renamed_payload(installation_id: int, account: Any, old_login: str) -> dict[str, Any]:
    """`installation_target.renamed`: `account` (the fake's, already renamed) was called `old_login`."""
    sender = load_example("installation", "created")["sender"]
    return {
        "action": "renamed",
        "account": {
            "id": account.id,
            "login": account.login,
            "node_id": f"U_{account.id}",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{account.id}",
            "html_url": f"https://github.com/{account.login}",
            "type": account.type,
        },
        "changes": {"login": {"from": old_login}},
        "installation": {"id": installation_id, "node_id": f"I_{installation_id}"},
        "sender": sender,
        "target_type": account.type,
    }
