"""The service's own HTML pages (errors, results), rendered from Jinja templates in app/templates.

Pages carry no inline style, and scripts are files under /_static (app/static), so every page is served
with a strict Content-Security-Policy (app.security_headers). Each response has its own script nonce: a
template that needs a small inline script renders it with `nonce="{{ csp_nonce }}"` and passes the same
nonce to `html_response`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.response import Response
from litestar.static_files import create_static_files_router
from markupsafe import Markup

from app.security_headers import new_nonce, page_headers

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
# Not a possible GitHub login (those are letters, digits and hyphens), so it can never shadow a visitor link.
STATIC_PATH = "/_static"


def static_url(name: str) -> str:
    return f"{STATIC_PATH}/{name}"


def make_environment(*extra_loaders: BaseLoader) -> Environment:
    """A Jinja environment over app/templates (after `extra_loaders`, e.g. the dashboard's own templates)."""
    env = Environment(
        loader=ChoiceLoader([*extra_loaders, FileSystemLoader(TEMPLATES_DIR)]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,  # a missing value is a bug to see in tests, not an empty spot on a page
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = static_url
    return env


_ENV = make_environment()


def render(template: str, **context: Any) -> str:
    """Render one of app/templates; values are escaped unless wrapped in Markup."""
    return _ENV.get_template(template).render(**context)


def message_page(title: str, message: str, *, links: list[tuple[str, str]] = ()) -> str:  # type: ignore[assignment]
    """A page that explains something in words (message is plain text, escaped here)."""
    return render("message.html", title=title, message=message, links=links)


def html_response(
    page: str, *, status_code: int = 200, headers: dict[str, str] | None = None, nonce: str | None = None
) -> Response[str]:
    """An HTML page with the security headers every page carries; `nonce`: the one its inline scripts carry."""
    security = page_headers(nonce or new_nonce())
    return Response(page, status_code=status_code, media_type="text/html", headers={**security, **(headers or {})})


def static_files_router() -> Router:
    """/_static: the pages' stylesheet and scripts, cached for an hour (names are not versioned yet)."""
    return create_static_files_router(
        path=STATIC_PATH,
        directories=[STATIC_DIR],
        name="static",
        include_in_schema=False,
        cache_control=CacheControlHeader(max_age=3600, public=True),
    )


def safe(html: str) -> Markup:
    """Mark HTML the service made and sanitised itself (rendered answers, nested templates) as safe."""
    return Markup(html)  # noqa: S704
