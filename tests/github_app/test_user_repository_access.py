"""`UserAPI.can_read_repository`: GET /repos/{owner}/{repo} with the user's token, against the fake GitHub."""

from __future__ import annotations

from typing import Any

import pytest

from github_app.oauth import GitHubOAuth, OAuthConfig, OAuthFailed, TokenRejected


def _oauth(fake_github: Any) -> GitHubOAuth:
    config = OAuthConfig(fake_github.oauth.client_id, fake_github.oauth.client_secret, fake_github.url)
    return GitHubOAuth(config)


async def _can_read(fake_github: Any, login: str, repo: Any, repo_id: int | None = None) -> bool:
    token = fake_github.oauth.issue(login)
    async with _oauth(fake_github).as_user(token) as gh:
        return await gh.can_read_repository(repo.owner.login, repo.name, repo_id or repo.id)


async def test_readers_are_the_owner_members_and_collaborators_where_the_app_is_installed(fake_github: Any) -> None:
    org_repo = fake_github.add_repo("acme", "plans", private=True, files={"README.md": "x"})
    own_repo = fake_github.add_repo("alice", "diary", private=True, files={"README.md": "x"})
    elsewhere = fake_github.add_repo("acme", "not-installed", private=True, files={"README.md": "x"})
    public = fake_github.add_repo("acme", "open", files={"README.md": "x"})
    fake_github.add_installation(1, "acme", [org_repo.id, public.id], account_type="Organization")
    fake_github.add_installation(2, "alice", [own_repo.id])
    fake_github.oauth.add_member("acme", "mia")
    fake_github.oauth.add_collaborator(org_repo, "carl")
    fake_github.oauth.add_collaborator(elsewhere, "carl")

    assert await _can_read(fake_github, "mia", org_repo)  # organisation member (base permission read)
    assert await _can_read(fake_github, "carl", org_repo)  # outside collaborator
    assert await _can_read(fake_github, "alice", own_repo)  # owner
    assert not await _can_read(fake_github, "mallory", org_repo)
    assert not await _can_read(fake_github, "carl", elsewhere)  # the user can, the App cannot: neither can the token
    assert await _can_read(fake_github, "mallory", public)
    assert not await _can_read(fake_github, "carl", org_repo, repo_id=own_repo.id)  # another repository now
    fake_github.oauth.remove_collaborator(org_repo, "carl")
    assert not await _can_read(fake_github, "carl", org_repo)


async def test_a_revoked_token_is_rejected_and_an_outage_is_not_a_no(fake_github: Any) -> None:
    repo = fake_github.add_repo("acme", "plans", private=True, files={"README.md": "x"})
    fake_github.add_installation(1, "acme", [repo.id], account_type="Organization")
    fake_github.oauth.add_collaborator(repo, "carl")
    token = fake_github.oauth.issue("carl")
    fake_github.oauth.revoke("carl")
    async with _oauth(fake_github).as_user(token) as gh:
        with pytest.raises(TokenRejected):
            await gh.can_read_repository("acme", "plans", repo.id)
    fake_github.fail_next("GET", r"^/repos/acme/plans$", 502)
    async with _oauth(fake_github).as_user(fake_github.oauth.issue("carl")) as gh:
        with pytest.raises(OAuthFailed) as failed:  # GitHub failing is not an answer either way
            await gh.can_read_repository("acme", "plans", repo.id)
    assert failed.value.error == "http_502" and not isinstance(failed.value, TokenRejected)
