"""Logging in through the fake GitHub, as a browser would, following each redirect by hand."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import select, update

from app.auth.cookies import SESSION_COOKIE
from app.db.models import Account, WebSession
from tests.conftest import Service
from tests.support.payloads import installation_payload


@dataclass
class LoginTrip:
    """Each hop of one login: our /login, GitHub's authorize, our callback."""

    start: httpx.Response
    authorize: httpx.Response
    callback: httpx.Response

    @property
    def callback_url(self) -> str:
        return self.authorize.headers["location"]


async def install(service: Service, fake_github: Any, installation_id: int, login: str, kind: str = "User") -> int:
    """Install the App on `login` (on the fake and through the webhook); returns our Account id."""
    fake_github.add_installation(installation_id, login, [], account_type=kind)
    owner = fake_github.account(login)
    resp = await service.send_webhook("installation", installation_payload("created", installation_id, owner, []))
    assert resp.status_code == 202, resp.text
    await service.drain_jobs()
    async with service.clients.sessions() as session:
        account = (await session.execute(select(Account).where(Account.github_id == owner.id))).scalar_one()
    assert account.id is not None
    return account.id


async def login_trip(service: Service, fake_github: Any, login: str | None, next_path: str | None = None) -> LoginTrip:
    """Start a login here, let the fake GitHub answer for `login` (None: the user cancels), come back."""
    fake_github.oauth.sign_in_as(login)
    params = {"next": next_path} if next_path is not None else {}
    start = await service.client.get("/login", params=params)
    assert start.status_code == 302, start.text
    async with httpx.AsyncClient() as browser:  # GitHub's side, over real HTTP
        authorize = await browser.get(start.headers["location"])
    assert authorize.status_code == 302, authorize.text
    back = urlsplit(authorize.headers["location"])
    callback = await service.client.get(f"{back.path}?{back.query}")
    return LoginTrip(start, authorize, callback)


async def log_in(service: Service, fake_github: Any, login: str, next_path: str | None = None) -> httpx.Response:
    """A completed login; returns the callback's redirect (the client keeps the session cookie)."""
    trip = await login_trip(service, fake_github, login, next_path)
    assert trip.callback.status_code == 303, trip.callback.text
    assert SESSION_COOKIE in service.client.cookies
    return trip.callback


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def set_cookies(resp: httpx.Response) -> dict[str, str]:
    """Set-Cookie headers of a response by cookie name (the whole header line)."""
    return {line.split("=", 1)[0]: line for line in resp.headers.get_list("set-cookie")}


async def web_sessions(service: Service) -> list[WebSession]:
    async with service.clients.sessions() as session:
        return list((await session.execute(select(WebSession))).scalars())


async def change_sessions(service: Service, **values: Any) -> None:
    """Rewrite columns of every stored session (to move them back in time)."""
    async with service.clients.sessions() as session:
        await session.execute(update(WebSession).values(**values))
        await session.commit()
