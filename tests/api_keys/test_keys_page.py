"""The dashboard's API keys page: create (shown once), list, revoke; forms need CSRF; only the owner's keys."""

from __future__ import annotations

import re
from typing import Any

from tests.api_keys.helpers import as_key, csrf_token
from tests.auth.helpers import install, log_in
from tests.conftest import Service
from tests.support.problems import assert_problem


async def _signed_in(service: Service, fake_github: Any, login: str = "alice", installation: int = 101) -> str:
    await install(service, fake_github, installation, login)
    await log_in(service, fake_github, login)
    return await csrf_token(service)


async def test_an_owner_creates_uses_and_revokes_a_key_from_the_page(service: Service, fake_github: Any) -> None:
    token = await _signed_in(service, fake_github)
    empty = await service.client.get("/dashboard/keys")
    assert empty.status_code == 200 and "No keys yet" in empty.text
    assert "curl http://contextjson.test/v1/chat/completions" in empty.text  # "Use as API", the plain base URL
    nonce = empty.text.split('copy.js" nonce="', 1)[1].split('"', 1)[0]
    assert f"'nonce-{nonce}'" in empty.headers["content-security-policy"]
    assert "private" in empty.headers["cache-control"]
    form = {"name": "CI", "monthly_cap_usd": "7.5", "csrf_token": token}
    made = await service.client.post("/dashboard/keys", data=form)
    assert made.status_code == 200, made.text
    assert made.headers["cache-control"] == "private, no-store"
    found = re.search(r'<code id="new-key-text">(cj_[A-Za-z0-9]+)</code>', made.text)
    assert found, made.text
    key = found.group(1)
    assert (await as_key(service, "GET", "/api/account", key)).json()["login"] == "alice"
    listing = await service.client.get("/dashboard/keys")
    assert key not in listing.text and key[:11] in listing.text and "$7.50" in listing.text
    key_id = re.search(r'data-key-id="(\d+)"', listing.text)
    assert key_id
    gone = await service.client.post(f"/dashboard/keys/{key_id.group(1)}/revoke", data={"csrf_token": token})
    assert gone.status_code == 303 and gone.headers["location"] == "/dashboard/keys?account=alice&revoked=true"
    assert "stopped working at once" in (await service.client.get(gone.headers["location"])).text
    assert_problem(await as_key(service, "GET", "/api/account", key), 401, "auth.invalid_api_key")


async def test_a_bad_form_shows_the_reason_and_keeps_what_was_typed(service: Service, fake_github: Any) -> None:
    token = await _signed_in(service, fake_github)
    resp = await service.client.post(
        "/dashboard/keys", data={"name": "laptop", "monthly_cap_usd": "-3", "csrf_token": token}
    )
    assert resp.status_code == 400
    assert 'id="key-error"' in resp.text and "more than $0" in resp.text and 'value="laptop"' in resp.text
    assert "new-key-text" not in resp.text and (await service.client.get("/api/keys")).json() == []


async def test_key_forms_need_the_sessions_csrf_token(service: Service, fake_github: Any) -> None:
    token = await _signed_in(service, fake_github)
    refused = await service.client.post("/dashboard/keys", data={"name": "CI"})
    assert refused.status_code == 403 and (await service.client.get("/api/keys")).json() == []
    await service.client.post("/dashboard/keys", data={"name": "CI", "csrf_token": token})
    key_id = (await service.client.get("/api/keys")).json()[0]["id"]
    assert (await service.client.post(f"/dashboard/keys/{key_id}/revoke", data={})).status_code == 403
    assert len((await service.client.get("/api/keys")).json()) == 1


async def test_the_page_is_for_the_owner_only(service: Service, fake_github: Any) -> None:
    token = await _signed_in(service, fake_github)
    await service.client.post("/dashboard/keys", data={"name": "CI", "csrf_token": token})
    key_id = (await service.client.get("/api/keys")).json()[0]["id"]
    service.client.cookies.clear()
    anonymous = await service.client.get("/dashboard/keys?account=alice")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login?next=")
    mallory_token = await _signed_in(service, fake_github, "mallory", 202)
    assert (await service.client.get("/dashboard/keys?account=alice")).status_code == 404
    stolen = await service.client.post(
        f"/dashboard/keys/{key_id}/revoke?account=alice", data={"csrf_token": mallory_token}
    )
    assert stolen.status_code == 404
    own = await service.client.post(f"/dashboard/keys/{key_id}/revoke", data={"csrf_token": mallory_token})
    assert own.status_code == 404  # her own account has no key with that id
    made = await service.client.post("/dashboard/keys?account=alice", data={"name": "x", "csrf_token": mallory_token})
    assert made.status_code == 404
    await log_in(service, fake_github, "alice")
    assert [k["id"] for k in (await service.client.get("/api/keys")).json()] == [key_id]
