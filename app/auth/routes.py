"""The login router: /login, /login/callback, /logout. Open to anyone: logging in is how one stops being anonymous."""

from __future__ import annotations

from litestar import Router

from app.auth.controller import login, login_callback, logout
from app.guards import ANONYMOUS

router = Router(path="/", route_handlers=[login, login_callback, logout], guards=ANONYMOUS, tags=["login"])
