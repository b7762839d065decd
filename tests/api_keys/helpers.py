"""Creating API keys as an owner does: signed in, with the session's CSRF token."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.conftest import Service


async def csrf_token(service: Service) -> str:
    page = await service.client.get("/dashboard")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


async def create_key(service: Service, name: str = "CI", **body: Any) -> httpx.Response:
    headers = {"X-CSRF-Token": await csrf_token(service)}
    return await service.client.post("/api/keys", json={"name": name, **body}, headers=headers)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def as_key(service: Service, method: str, path: str, key: str, **kwargs: Any) -> httpx.Response:
    """A request that carries only the key (no session cookie), as a script would send it."""
    transport = httpx.ASGITransport(app=service.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://contextjson.test") as script:
        return await script.request(method, path, headers=bearer(key), **kwargs)
