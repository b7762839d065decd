"""Signing in operators and sending the operator view's forms and API calls."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.auth.helpers import log_in
from tests.conftest import Service


async def log_in_operator(service: Service, fake_github: Any, login: str = "ops-lead") -> None:
    """Sign `login` in with OPERATOR_LOGINS naming them (in another case, with spaces: it must not matter)."""
    service.clients.settings.operator_logins = f" someone-else , {login.upper()} "
    await log_in(service, fake_github, login)


async def page_token(service: Service, path: str = "/dashboard") -> str:
    """The session's CSRF token, read from a page's form as a browser would."""
    page = await service.client.get(path)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


async def adjust_form(
    service: Service, login: str, token: str | None, *, accept: str | None = None, **fields: str
) -> httpx.Response:
    """POST the operator page's adjustment form (token None: without one; `accept`: as a browser sends it)."""
    data = {"amount_usd": "1", "reason": "goodwill", **fields}
    if token is not None:
        data["csrf_token"] = token
    headers = {"Accept": accept} if accept else {}
    return await service.client.post(f"/dashboard/operator/accounts/{login}/adjustments", data=data, headers=headers)


async def adjust_api(service: Service, login: str, token: str | None, **body: Any) -> httpx.Response:
    """POST /api/operator/accounts/{login}/adjustments (token None: without X-CSRF-Token)."""
    headers = {"X-CSRF-Token": token} if token is not None else {}
    payload = {"amount_usd": "1", "reason": "goodwill", **body}
    return await service.client.post(f"/api/operator/accounts/{login}/adjustments", json=payload, headers=headers)
