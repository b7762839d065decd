"""GET /login, GET /login/callback, POST /logout: pages for people (left out of /schema)."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect

from app.auth.cookies import cleared_session_cookie, cleared_state_cookie, session_cookie
from app.auth.service import Callback, complete_login, end_session, start_login
from app.auth.viewer import CSRF_FIELD, CSRF_HEADER
from app.db.engine import Sessions
from app.github_source import AppGitHub
from app.settings import Settings

# Nothing here may be kept by a cache: each answer carries a state, a session or its end.
NO_STORE = {"Cache-Control": "no-store"}


@get("/login", include_in_schema=False)
async def login(
    settings: NamedDependency[Settings],
    github: NamedDependency[AppGitHub],
    next_path: Annotated[str | None, QueryParameter(name="next")] = None,
) -> Redirect:
    """Off to GitHub to authorize; `next` (a local path) is where the callback goes afterwards."""
    await github.ready()  # OAuth credentials may come with an App registered from the home page
    start = start_login(settings, github, next_path)
    return Redirect(start.authorize_url, status_code=302, cookies=[start.cookie], headers=NO_STORE)


@get("/login/callback", include_in_schema=False)
async def login_callback(
    request: Request,
    settings: NamedDependency[Settings],
    github: NamedDependency[AppGitHub],
    sessions: NamedDependency[Sessions],
    code: FromQuery[str | None] = None,
    returned_state: Annotated[str | None, QueryParameter(name="state")] = None,  # `state` is a reserved name
    error: FromQuery[str | None] = None,
    error_description: FromQuery[str | None] = None,
) -> Redirect:
    """GitHub sends the browser back here with a code (or an error) and the state."""
    callback = Callback(code=code, state=returned_state, error=error, error_description=error_description)
    session_id, next_path = await complete_login(settings, github, sessions, callback, request.cookies)
    cookies = [session_cookie(settings, session_id), cleared_state_cookie(settings)]
    return Redirect(next_path, status_code=303, cookies=cookies, headers=NO_STORE)


@post("/logout", include_in_schema=False, status_code=303)
async def logout(
    request: Request,
    settings: NamedDependency[Settings],
    sessions: NamedDependency[Sessions],
) -> Redirect:
    """End this browser's session (the form carries its CSRF token) and go home."""
    form = await request.form()
    sent = request.headers.get(CSRF_HEADER) or str(form.get(CSRF_FIELD) or "")
    await end_session(settings, sessions, request.cookies, sent)
    return Redirect("/", status_code=303, cookies=[cleared_session_cookie(settings)], headers=NO_STORE)
