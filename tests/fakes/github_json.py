"""JSON bodies shaped like GitHub's REST responses (every field githubkit's models require)."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from tests.fakes.github_state import Account, Commit, FakeRepo, blob_sha, tree_sha

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
DOCS = "https://docs.github.com/rest"


def ts(value: datetime | None) -> str | None:
    """Format a timestamp the way GitHub does."""
    return value.strftime(TIME_FORMAT) if value else None


def error(message: str, status: int, **extra: Any) -> dict[str, Any]:
    """GitHub's error body."""
    return {"message": message, "documentation_url": DOCS, "status": str(status), **extra}


def user(api: str, web: str, account: Account) -> dict[str, Any]:
    """A SimpleUser."""
    u = f"{api}/users/{account.login}"
    return {
        "login": account.login,
        "id": account.id,
        "node_id": f"U_fake{account.id}",
        "avatar_url": f"{web}/avatars/{account.login}",
        "gravatar_id": "",
        "url": u,
        "html_url": f"{web}/{account.login}",
        "followers_url": f"{u}/followers",
        "following_url": f"{u}/following{{/other_user}}",
        "gists_url": f"{u}/gists{{/gist_id}}",
        "starred_url": f"{u}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{u}/subscriptions",
        "organizations_url": f"{u}/orgs",
        "repos_url": f"{u}/repos",
        "events_url": f"{u}/events{{/privacy}}",
        "received_events_url": f"{u}/received_events",
        "type": account.type,
        "site_admin": False,
    }


_REPO_URL_TEMPLATES = {
    "archive_url": "/{archive_format}{/ref}",
    "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}",
    "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}",
    "contributors_url": "/contributors",
    "deployments_url": "/deployments",
    "downloads_url": "/downloads",
    "events_url": "/events",
    "forks_url": "/forks",
    "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "hooks_url": "/hooks",
    "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}",
    "labels_url": "/labels{/name}",
    "languages_url": "/languages",
    "merges_url": "/merges",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}",
    "stargazers_url": "/stargazers",
    "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "tags_url": "/tags",
    "teams_url": "/teams",
    "trees_url": "/git/trees{/sha}",
}


def repository(api: str, web: str, repo: FakeRepo) -> dict[str, Any]:
    """A FullRepository (also valid where the smaller Repository shape is expected)."""
    url = f"{api}/repos/{repo.full_name}"
    head = repo.commits.get(repo.branches.get(repo.default_branch, ""))
    created = ts(repo.created_at)
    host = web.split("://", 1)[-1]
    return {
        "id": repo.id,
        "node_id": f"R_fake{repo.id}",
        "name": repo.name,
        "full_name": repo.full_name,
        "owner": user(api, web, repo.owner),
        "private": repo.private,
        "visibility": "private" if repo.private else "public",
        "html_url": f"{web}/{repo.full_name}",
        "description": None,
        "fork": False,
        "url": url,
        **{key: url + suffix for key, suffix in _REPO_URL_TEMPLATES.items()},
        "git_url": f"git://{host}/{repo.full_name}.git",
        "ssh_url": f"git@{host}:{repo.full_name}.git",
        "clone_url": f"{web}/{repo.full_name}.git",
        "svn_url": f"{web}/{repo.full_name}",
        "mirror_url": None,
        "homepage": None,
        "language": None,
        "forks_count": 0,
        "forks": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "watchers": 0,
        "size": sum(len(d) for d in head.files.values()) // 1024 if head else 0,
        "default_branch": repo.default_branch,
        "open_issues_count": 0,
        "open_issues": 0,
        "is_template": False,
        "topics": [],
        "has_issues": True,
        "has_projects": True,
        "has_wiki": True,
        "has_pages": False,
        "has_downloads": True,
        "has_discussions": False,
        "archived": repo.archived,
        "disabled": False,
        "pushed_at": ts(head.timestamp) if head else created,
        "created_at": created,
        "updated_at": ts(head.timestamp) if head else created,
        "subscribers_count": 0,
        "network_count": 0,
        "license": None,
    }


def commit(api: str, web: str, repo: FakeRepo, c: Commit) -> dict[str, Any]:
    """A Commit as embedded in the branch response."""
    url = f"{api}/repos/{repo.full_name}/commits/{c.sha}"
    person = {"name": "Fake Committer", "email": "fake@example.com", "date": ts(c.timestamp)}
    parents = [c.parent] if c.parent else []
    tree = tree_sha(c.files)
    return {
        "sha": c.sha,
        "node_id": f"C_fake{c.sha[:12]}",
        "url": url,
        "html_url": f"{web}/{repo.full_name}/commit/{c.sha}",
        "comments_url": f"{url}/comments",
        "commit": {
            "url": f"{api}/repos/{repo.full_name}/git/commits/{c.sha}",
            "author": person,
            "committer": person,
            "message": c.message,
            "comment_count": 0,
            "tree": {"sha": tree, "url": f"{api}/repos/{repo.full_name}/git/trees/{tree}"},
        },
        "author": None,
        "committer": None,
        "parents": [
            {"sha": p, "url": f"{api}/repos/{repo.full_name}/commits/{p}", "html_url": f"{web}/commit/{p}"}
            for p in parents
        ],
    }


def branch(api: str, web: str, repo: FakeRepo, name: str) -> dict[str, Any]:
    """A BranchWithProtection for an unprotected branch."""
    url = f"{api}/repos/{repo.full_name}/branches/{name}"
    return {
        "name": name,
        "commit": commit(api, web, repo, repo.commits[repo.branches[name]]),
        "_links": {"self": url, "html": f"{web}/{repo.full_name}/tree/{name}"},
        "protected": False,
        "protection": {
            "enabled": False,
            "required_status_checks": {"enforcement_level": "off", "contexts": [], "checks": []},
        },
        "protection_url": f"{url}/protection",
    }


def github_base64(data: bytes) -> str:
    """Base64 with a newline after every 60 characters, as GitHub (Ruby's encode64) returns it."""
    encoded = base64.b64encode(data).decode()
    return "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))


def content_entry(
    api: str,
    web: str,
    repo: FakeRepo,
    ref_sha: str,
    path: str,
    *,
    kind: str,
    size: int,
    object_sha: str,
    download_url: str | None,
) -> dict[str, Any]:
    """A directory listing item (`kind` is "file" or "dir")."""
    url = f"{api}/repos/{repo.full_name}/contents/{path}?ref={ref_sha}"
    git_url = f"{api}/repos/{repo.full_name}/git/{'trees' if kind == 'dir' else 'blobs'}/{object_sha}"
    html_url = f"{web}/{repo.full_name}/{'tree' if kind == 'dir' else 'blob'}/{ref_sha}/{path}"
    return {
        "type": kind,
        "size": size,
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": object_sha,
        "url": url,
        "git_url": git_url,
        "html_url": html_url,
        "download_url": download_url,
        "_links": {"self": url, "git": git_url, "html": html_url},
    }


def content_file(
    api: str,
    web: str,
    repo: FakeRepo,
    ref_sha: str,
    path: str,
    data: bytes,
    *,
    download_url: str,
    max_inline: int,
) -> dict[str, Any]:
    """A ContentFile; files over `max_inline` bytes come without content, as on GitHub."""
    inline = len(data) <= max_inline
    entry = content_entry(
        api,
        web,
        repo,
        ref_sha,
        path,
        kind="file",
        size=len(data),
        object_sha=blob_sha(data),
        download_url=download_url,
    )
    content = github_base64(data) if inline else ""
    return {**entry, "encoding": "base64" if inline else "none", "content": content}


def app(api: str, web: str, app_id: int, slug: str, owner: Account, permissions: dict[str, str]) -> dict[str, Any]:
    """An Integration (GET /app, check_run.app)."""
    return {
        "id": app_id,
        "slug": slug,
        "node_id": f"A_fake{app_id}",
        "client_id": f"Iv1.fake{app_id}",
        "owner": user(api, web, owner),
        "name": slug,
        "description": "Fake GitHub App",
        "external_url": f"{web}/apps/{slug}",
        "html_url": f"{web}/apps/{slug}",
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "permissions": permissions,
        "events": ["installation", "installation_repositories", "push"],
        "installations_count": 0,
    }


def check_run(api: str, web: str, repo: FakeRepo, run: dict[str, Any], app_json: dict[str, Any]) -> dict[str, Any]:
    """A CheckRun built from the stored record."""
    url = f"{api}/repos/{repo.full_name}/check-runs/{run['id']}"
    html_url = f"{web}/{repo.full_name}/runs/{run['id']}"
    output = run["output"]
    return {
        "id": run["id"],
        "node_id": f"CR_fake{run['id']}",
        "head_sha": run["head_sha"],
        "external_id": run["external_id"],
        "url": url,
        "html_url": html_url,
        "details_url": run["details_url"] or app_json["html_url"],
        "status": run["status"],
        "conclusion": run["conclusion"],
        "started_at": run["started_at"],
        "completed_at": run["completed_at"],
        "output": {
            "title": output.get("title"),
            "summary": output.get("summary"),
            "text": output.get("text"),
            "annotations_count": len(run["annotations"]),
            "annotations_url": f"{url}/annotations",
        },
        "name": run["name"],
        "check_suite": {"id": run["check_suite_id"]},
        "app": app_json,
        "pull_requests": [],
    }


def status(api: str, repo: FakeRepo, record: dict[str, Any], creator: dict[str, Any]) -> dict[str, Any]:
    """A commit Status built from the stored record."""
    return {
        "url": f"{api}/repos/{repo.full_name}/statuses/{record['sha']}",
        "avatar_url": creator["avatar_url"],
        "id": record["id"],
        "node_id": f"SC_fake{record['id']}",
        "state": record["state"],
        "description": record["description"],
        "target_url": record["target_url"],
        "context": record["context"],
        "created_at": record["created_at"],
        "updated_at": record["created_at"],
        "creator": creator,
    }
