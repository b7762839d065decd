"""Rendering the dashboard's templates (dashboard/templates first, then app's base layout)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import FileSystemLoader

from app.pages import make_environment
from app.settings import Settings
from github_app.web import app_install_url as install_page
from github_app.web import web_url

_ENV = make_environment(FileSystemLoader(Path(__file__).parent / "templates"))


def dollars(amount: str) -> str:
    """An exact amount (`"4.250000"`) as people read it (`$4.25`), keeping every non-zero digit (`$0.00312`)."""
    whole, _, cents = amount.partition(".")
    cents = cents.rstrip("0").ljust(2, "0")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}${whole.lstrip('-')}.{cents}"


_ENV.filters["dollars"] = dollars


def repo_page_path(owner: str, repo: str) -> str:
    """Where a repository's dashboard page is."""
    return f"/dashboard/repos/{quote(owner, safe='')}/{quote(repo, safe='')}"


_ENV.globals["repo_page_path"] = repo_page_path


def render(template: str, **context: Any) -> str:
    return _ENV.get_template(template).render(**context)


def app_install_url(settings: Settings, registered_slug: str | None = None) -> str | None:
    """The GitHub App's install page, when the App's name is known (GITHUB_APP_SLUG, or a registration)."""
    slug = (settings.github_app_slug or registered_slug or "").strip()
    return install_page(web_url(settings.github_api_url), slug) if slug else None
