"""Every /dashboard and /api route, found from the app itself (so a new route cannot be forgotten): anonymous
callers are refused, and a signed-in stranger guessing the owner's names and ids reaches nothing of theirs."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from app.db.models import Account, ApiKey, ContextSetting, LedgerEntry, Repository
from tests.api_keys.helpers import create_key
from tests.auth.helpers import install, log_in
from tests.conftest import Service
from tests.support.payloads import installation_payload

BROWSER_ACCEPT = "text/html,application/xhtml+xml"
_PARAMETERS = {"owner": "alice", "repo": "tools", "context_id": "explain", "login": "alice"}


def _owner_routes(service: Service) -> list[tuple[str, str]]:
    """(method, path template) of every route under /dashboard and /api."""
    found = []
    for route in service.app.routes:
        first, _, rest = route.path.strip("/").partition("/")
        if first not in ("dashboard", "api") or rest.startswith("{repo"):
            continue  # (visitor links of owners named "api" or "dashboard" are not owner routes)
        for method in sorted(getattr(route, "methods", ())):
            if method not in ("HEAD", "OPTIONS"):
                found.append((method, route.path))
    return found


def _fill(path: str, key_id: int) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(key_id) if name == "key_id" else _PARAMETERS.get(name, "x")

    return re.sub(r"\{([a-z_]+)(?::[a-z]+)?\}", value, path) + ("" if "?" in path else "?account=alice")


async def _state(service: Service) -> list[Any]:
    """Everything of alice's a stranger could try to change."""
    async with service.clients.sessions() as session:
        rows: list[Any] = []
        for model in (Account, ApiKey, ContextSetting, LedgerEntry, Repository):
            rows += [sorted(vars(row).items(), key=str) for row in (await session.execute(select(model))).scalars()]
    return [[item for item in row if not item[0].startswith("_sa_")] for row in rows]


async def test_every_owner_route_refuses_anonymous_callers_and_strangers(service: Service, fake_github: Any) -> None:
    repo = fake_github.add_repo("alice", "tools", files={"context.json": '{"context": {"explain": {"summary": "S"}}}'})
    fake_github.add_installation(101, "alice", [repo.id])
    payload = installation_payload("created", 101, fake_github.account("alice"), [repo])
    assert (await service.send_webhook("installation", payload)).status_code == 202
    await service.drain_jobs()
    await log_in(service, fake_github, "alice")
    key_id = (await create_key(service)).json()["id"]
    service.client.cookies.clear()
    routes = _owner_routes(service)
    assert len(routes) >= 20, routes  # the dashboard, billing, keys, repos, operator, account, usage...

    for method, template in routes:
        path = _fill(template, key_id)
        resp = await service.client.request(method, path, headers={"Accept": BROWSER_ACCEPT})
        if template.startswith("/api"):
            assert resp.status_code == 401, (method, path, resp.status_code)
        else:
            assert resp.status_code == 303 and resp.headers["location"].startswith("/login"), (method, path)

    await install(service, fake_github, 102, "mallory")
    await log_in(service, fake_github, "mallory")
    page = (await service.client.get("/dashboard")).text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    before = await _state(service)
    for method, template in routes:
        path = _fill(template, key_id)
        if template.startswith("/api"):
            resp = await service.client.request(method, path, json={}, headers={"x-csrf-token": token})
        else:
            data = {"csrf_token": token} if method != "GET" else None
            resp = await service.client.request(method, path, data=data, headers={"Accept": BROWSER_ACCEPT})
        # Nothing of alice's: not found, refused before anything is looked up, or (pages that list the viewer's
        # own accounts whatever is asked) an answer about mallory alone.
        if resp.status_code in (200, 303):
            assert "alice" not in resp.text and "tools" not in resp.text, (method, path)
            assert "alice" not in resp.headers.get("location", ""), (method, path)
        else:
            assert resp.status_code in (400, 404), (method, path, resp.status_code, resp.text[:300])
            assert "tools" not in resp.text or "that you can see" in resp.text or resp.status_code == 400, path
    assert await _state(service) == before  # and nothing of anyone's changed
