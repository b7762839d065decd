"""A private repository installed on the fake GitHub, its readers, and comparing refusals with unknown addresses."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import select

from app.db.models import UsageViewer
from tests.auth.helpers import log_in
from tests.conftest import Service
from tests.links.helpers import Installed, install_repo

LINK = "/acme/widgets/context/explain"
# A repository nobody installed, named with as many letters, so both answers have the same length.
UNKNOWN_LINK = "/acme/gadgets/context/explain"
BADGES = ("/context/explain/badge.svg", "/badge.svg", "/tree/main/context/explain/badge.svg")
JSON = {"accept": "application/json"}
BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
_NONCE = re.compile(r"nonce-[A-Za-z0-9_-]+|nonce=\"[A-Za-z0-9_-]+\"")


async def install_private(service: Service, fake_github: Any, *readers: str) -> Installed:
    """acme/widgets, private, with the App installed and each of `readers` a collaborator on it."""
    installed = await install_repo(service, fake_github, private=True)
    for login in readers:
        fake_github.oauth.add_collaborator(installed.repo, login)
    return installed


async def answered_for(service: Service, fake_github: Any, login: str) -> tuple[Installed, str]:
    """The private repository with `login` as its reader, signed in on `service`, and the answer's /r/ address."""
    installed = await install_private(service, fake_github, login)
    await log_in(service, fake_github, login)
    location: str = (await service.client.get(LINK)).headers["location"]
    await service.drain_jobs()
    return installed, location


@asynccontextmanager
async def browser(service: Service, fake_github: Any, login: str | None = None) -> AsyncIterator[Service]:
    """Another browser on the same running service (its own cookies), signed in as `login` when given."""
    transport = httpx.ASGITransport(app=service.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://contextjson.test") as client:
        other = Service(app=service.app, client=client)
        if login is not None:
            await log_in(other, fake_github, login)
        yield other


def comparable(resp: httpx.Response, *names: str) -> tuple[int, dict[str, str], str]:
    """Status, headers and body with each name in `names` and every CSP nonce written the same way."""
    body = _NONCE.sub("nonce", resp.text)
    for name in names:
        body = body.replace(name, "NAME")
    headers = {k: _NONCE.sub("nonce", v) for k, v in resp.headers.items() if k not in ("date", "content-length")}
    return resp.status_code, headers, body


def user_repo_checks(fake_github: Any, name: str = "widgets") -> int:
    """How often GitHub was asked, with a user's token, whether someone may read acme/`name`."""
    return sum(1 for r in fake_github.find_requests("GET", rf"^/repos/acme/{name}$") if "ghu_" in str(r.headers))


async def viewers(service: Service) -> dict[str, int]:
    """Clicks per GitHub login in usage (private repositories' visitors), after a flush."""
    await service.app.state.usage.flush()
    async with service.clients.sessions() as session:
        rows = (await session.execute(select(UsageViewer.login, UsageViewer.clicks))).all()
    totals: dict[str, int] = {}
    for login, clicks in rows:
        totals[login] = totals.get(login, 0) + clicks
    return totals
