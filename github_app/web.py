"""GitHub's web host (where people click) for an API URL (where programs call)."""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit


def web_url(api_url: str) -> str:
    """api.github.com → https://github.com; GHE Server `https://HOST/api/v3` → `https://HOST`; else the same host."""
    parts = urlsplit(api_url.rstrip("/"))
    host = (parts.hostname or "").lower()
    if host == "api.github.com":
        return "https://github.com"
    netloc = parts.netloc
    if host.startswith("api.") and host.endswith(".ghe.com"):  # GHE.com: api.SUB.ghe.com → SUB.ghe.com
        netloc = netloc[len("api.") :]
    return urlunsplit((parts.scheme, netloc, parts.path.removesuffix("/api/v3"), "", ""))


def repo_url(web: str, full_name: str) -> str:
    """The repository's page."""
    return f"{web}/{quote(full_name, safe='/')}"


def tree_url(web: str, full_name: str, ref: str) -> str:
    """The repository's files at a commit (or branch)."""
    return f"{repo_url(web, full_name)}/tree/{quote(ref, safe='/')}"


def blob_url(web: str, full_name: str, commit: str, path: str) -> str:
    """One file at a commit."""
    return f"{repo_url(web, full_name)}/blob/{quote(commit, safe='')}/{quote(path, safe='/')}"


def app_install_url(web: str, slug: str) -> str:
    """The page where an account installs a GitHub App on its repositories."""
    return f"{web}/apps/{quote(slug, safe='')}/installations/new"


def profile_url(web: str, login: str) -> str:
    """A user's or organisation's profile page."""
    return f"{web}/{quote(login, safe='')}"
