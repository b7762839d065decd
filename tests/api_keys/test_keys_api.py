"""API keys: created once by the owner, stored only as a hash, accepted as Bearer on /api, revoked at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.db.models import ApiKey
from tests.api_keys.helpers import as_key, bearer, create_key, csrf_token
from tests.auth.helpers import install, log_in
from tests.conftest import Service, running_service
from tests.support.problems import assert_problem


async def _owner_with_key(service: Service, fake_github: Any, login: str = "alice", **body: Any) -> dict[str, Any]:
    await install(service, fake_github, 101, login)
    await log_in(service, fake_github, login)
    resp = await create_key(service, **body)
    assert resp.status_code == 201, resp.text
    created: dict[str, Any] = resp.json()
    return created


async def test_a_created_key_is_shown_once_and_reads_the_account(service: Service, fake_github: Any) -> None:
    created = await _owner_with_key(service, fake_github, monthly_cap_usd="20")
    key = created["key"]
    assert key.startswith(created["prefix"]) and created["monthly_cap_usd"] == "20.000000"
    listed = (await service.client.get("/api/keys")).json()
    assert [(k["id"], k["name"], k["prefix"]) for k in listed] == [(created["id"], "CI", created["prefix"])]
    assert all("key" not in k for k in listed) and key not in (await service.client.get("/api/keys")).text
    account = await as_key(service, "GET", "/api/account", key)
    assert account.status_code == 200, account.text
    assert account.json()["login"] == "alice" and account.json()["balance_usd"] == "5.000000"
    assert (await as_key(service, "GET", "/api/account/ledger", key)).json()[0]["kind"] == "credit"


async def test_only_a_keyed_hash_is_stored_and_use_is_recorded(service: Service, fake_github: Any) -> None:
    created = await _owner_with_key(service, fake_github)
    async with service.clients.sessions() as session:
        row = (await session.execute(select(ApiKey))).scalar_one()
    assert row.last_used_at is None
    assert created["key"] not in (row.key_hash, row.prefix, row.name) and len(row.key_hash) == 43
    await as_key(service, "GET", "/api/account", created["key"])
    async with service.clients.sessions() as session:
        used = (await session.execute(select(ApiKey))).scalar_one()
    assert isinstance(used.last_used_at, datetime)


async def test_revocation_holds_at_once_on_every_replica(service: Service, fake_github: Any, settings: Any) -> None:
    created = await _owner_with_key(service, fake_github)
    async with running_service(settings) as other_replica:
        assert (await as_key(other_replica, "GET", "/api/account", created["key"])).status_code == 200
        token = await csrf_token(service)
        gone = await service.client.delete(f"/api/keys/{created['id']}", headers={"X-CSRF-Token": token})
        assert gone.status_code == 204, gone.text
        for replica in (service, other_replica):
            refused = await as_key(replica, "GET", "/api/account", created["key"])
            assert_problem(refused, 401, "auth.invalid_api_key")
            assert "invalid_token" in refused.headers["www-authenticate"]
    assert (await service.client.get("/api/keys")).json() == []
    again = await service.client.delete(f"/api/keys/{created['id']}", headers={"X-CSRF-Token": token})
    assert_problem(again, 404, "api_key.not_found")


async def test_a_bad_bearer_token_is_refused_even_with_a_session(service: Service, fake_github: Any) -> None:
    created = await _owner_with_key(service, fake_github)
    wrong_secret = created["key"][:-1] + ("A" if created["key"][-1] != "A" else "B")
    for token in (wrong_secret, "cj_short", "sk-not-ours", ""):
        # The signed-in client still sends its session cookie: the bad token decides, not the cookie.
        refused = await service.client.get("/api/account", headers=bearer(token))
        assert_problem(refused, 401, "auth.invalid_api_key")


async def test_a_key_reaches_only_its_own_account(service: Service, fake_github: Any) -> None:
    created = await _owner_with_key(service, fake_github)
    await install(service, fake_github, 202, "bob")
    refused = await as_key(service, "GET", "/api/account?account=bob", created["key"])
    assert_problem(refused, 404, "account.not_found")
    assert_problem(await as_key(service, "GET", "/api/keys?account=bob", created["key"]), 404, "account.not_found")


async def test_keys_are_managed_with_the_session_only(service: Service, fake_github: Any) -> None:
    created = await _owner_with_key(service, fake_github)
    minted = await as_key(service, "POST", "/api/keys", created["key"], json={"name": "more"})
    assert_problem(minted, 403, "api_key.session_required")
    revoked = await as_key(service, "DELETE", f"/api/keys/{created['id']}", created["key"])
    assert_problem(revoked, 403, "api_key.session_required")
    assert (await as_key(service, "GET", "/api/keys", created["key"])).status_code == 200
    assert_problem(await service.client.post("/api/keys", json={"name": "x"}), 403, "auth.csrf_failed")
    assert_problem(await service.client.delete(f"/api/keys/{created['id']}"), 403, "auth.csrf_failed")
    assert len((await service.client.get("/api/keys")).json()) == 1


async def test_nobody_else_lists_or_revokes_my_keys(service: Service, fake_github: Any) -> None:
    created = await _owner_with_key(service, fake_github)
    service.client.cookies.clear()
    assert_problem(await service.client.get("/api/keys"), 401, "auth.login_required")
    assert_problem(await service.client.delete(f"/api/keys/{created['id']}"), 401, "auth.login_required")
    await install(service, fake_github, 202, "mallory")
    await log_in(service, fake_github, "mallory")
    token = await csrf_token(service)
    assert_problem(await service.client.get("/api/keys?account=alice"), 404, "account.not_found")
    assert (await service.client.get("/api/keys")).json() == []
    stolen = await service.client.delete(f"/api/keys/{created['id']}", headers={"X-CSRF-Token": token})
    assert_problem(stolen, 404, "api_key.not_found")
    assert (await as_key(service, "GET", "/api/account", created["key"])).status_code == 200


async def test_bad_key_requests_get_clear_errors(service: Service, fake_github: Any) -> None:
    await _owner_with_key(service, fake_github)
    for body, needle in (
        ({"name": "  "}, "name"),
        ({"name": "x" * 101}, "100"),
        ({"name": "ok", "monthly_cap_usd": "-1"}, "more than $0"),
        ({"name": "ok", "monthly_cap_usd": "lots"}, "not valid"),
        ({"name": "ok", "monthly_cap_usd": "0.0000001"}, "six decimals"),
    ):
        resp = await create_key(service, **body)
        assert_problem(resp, 400, "api_key.invalid")
        assert needle in resp.json()["detail"]
    assert_problem(await create_key(service, **{"name": 5}), 400, "http.invalid_request")
    assert len((await service.client.get("/api/keys")).json()) == 1


async def test_ids_beyond_the_databases_integers_are_refused_not_looked_up(service: Service, fake_github: Any) -> None:
    """Found by schemathesis: a key id or ledger cursor past 2**31 - 1 was a 500 (PostgreSQL's INTEGER)."""
    created = await _owner_with_key(service, fake_github)
    headers = {"X-CSRF-Token": await csrf_token(service)}
    for huge in (2**31, 2**63, 10**30):
        assert_problem(await service.client.delete(f"/api/keys/{huge}", headers=headers), 400, "http.invalid_request")
        ledger = await as_key(service, "GET", f"/api/account/ledger?before={huge}", created["key"])
        assert_problem(ledger, 400, "http.invalid_request")
    assert_problem(await service.client.delete(f"/api/keys/{2**31 - 1}", headers=headers), 404, "api_key.not_found")
    assert len((await service.client.get("/api/keys")).json()) == 1


async def test_times_say_they_are_utc(service: Service, fake_github: Any) -> None:
    """Found by schemathesis: SQLite handed back naive times, sent without an offset (not RFC 3339)."""
    created = await _owner_with_key(service, fake_github)
    await as_key(service, "GET", "/api/account", created["key"])  # marks the key used
    (listed,) = (await service.client.get("/api/keys")).json()
    ledger = (await as_key(service, "GET", "/api/account/ledger", created["key"])).json()
    for stamp in (created["created_at"], listed["created_at"], listed["last_used_at"], ledger[0]["created_at"]):
        assert datetime.fromisoformat(stamp).utcoffset() is not None, stamp
