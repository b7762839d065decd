"""The settings through the JSON API: GET /api/repos, PATCH a repository's cap and a context's pause (with the
session's CSRF header), and the usage as CSV. Money is a decimal string; nobody reaches another account's repos."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

from app.auth.viewer import CSRF_HEADER
from app.usage.csv_export import usage_csv
from app.usage.report import UsageFigures, UsageReport
from tests.api_keys.helpers import as_key, create_key
from tests.auth.helpers import install, log_in
from tests.conftest import Service
from tests.dashboard.helpers import csrf_token, mixed_run, signed_in_owner
from tests.support.openapi import assert_matches_component
from tests.support.problems import assert_problem

REPO = "/api/repos/acme/widgets"


async def test_the_owner_reads_and_changes_the_settings(service: Service, fake_github: Any, fake_llm: Any) -> None:
    installed = await signed_in_owner(service, fake_github)
    listed = await service.client.get("/api/repos")
    assert listed.status_code == 200
    [repo] = listed.json()
    assert_matches_component(repo, "RepoSettings")
    assert (repo["repo"], repo["account"], repo["monthly_cap_usd"], repo["context_file"]) == (
        "acme/widgets",
        "acme",
        None,
        "valid",
    )
    explain = next(c for c in repo["contexts"] if c["context_id"] == "explain")
    assert explain == {
        "context_id": "explain",
        "status": "valid",
        "summary": "Explain this repo",
        "errors": [],
        "paused": False,
        "link": "http://contextjson.test/acme/widgets/context/explain",
    }

    csrf = {CSRF_HEADER: await csrf_token(service)}
    assert_problem(await service.client.patch(REPO, json={"monthly_cap_usd": "12.5"}), 403, "auth.csrf_failed")
    changed = await service.client.patch(REPO, json={"monthly_cap_usd": "12.5"}, headers=csrf)
    assert changed.status_code == 200 and changed.json()["monthly_cap_usd"] == "12.500000"
    assert (await service.client.get("/api/repos?account=acme")).json()[0]["monthly_cap_usd"] == "12.500000"
    negative = assert_problem(
        await service.client.patch(REPO, json={"monthly_cap_usd": "-1"}, headers=csrf), 400, "repo.invalid_cap"
    )
    assert "negative" in negative["detail"]
    floats = await service.client.patch(REPO, json={"monthly_cap_usd": 12.5}, headers=csrf)  # never a float
    assert_problem(floats, 400, "http.invalid_request")
    assert_problem(await service.client.patch(REPO, json={}, headers=csrf), 400, "http.invalid_request")
    cleared = await service.client.patch(REPO, json={"monthly_cap_usd": None}, headers=csrf)
    assert cleared.json()["monthly_cap_usd"] is None

    pause = f"{REPO}/contexts/explain"
    assert_problem(await service.client.patch(pause, json={"paused": True}), 403, "auth.csrf_failed")
    done = await service.client.patch(pause, json={"paused": True}, headers=csrf)
    assert done.status_code == 200 and done.json()["paused"] is True
    assert_matches_component(done.json(), "ContextState")
    link = await installed.click(accept="application/json")
    assert_problem(link, 403, "link.context_paused")  # at once: no earlier answer to show instead
    assert fake_llm.calls == []
    unknown = await service.client.patch(f"{REPO}/contexts/nope", json={"paused": True}, headers=csrf)
    assert_problem(unknown, 404, "context.not_found")
    resumed = await service.client.patch(pause, json={"paused": False}, headers=csrf)
    assert resumed.json()["paused"] is False
    assert (await installed.click_and_finish())["status"] == "done"


async def test_nobody_else_reads_or_changes_them(service: Service, fake_github: Any) -> None:
    await signed_in_owner(service, fake_github)
    await log_in(service, fake_github, "mallory")
    csrf = {CSRF_HEADER: await csrf_token(service)}
    assert_problem(await service.client.get("/api/repos?account=acme"), 404, "account.not_found")
    for path, body in ((REPO, {"monthly_cap_usd": "0"}), (f"{REPO}/contexts/explain", {"paused": True})):
        theirs = assert_problem(await service.client.patch(path, json=body, headers=csrf), 404, "repo.not_found")
        nobody = await service.client.patch(path.replace("widgets", "nothing"), json=body, headers=csrf)
        assert assert_problem(nobody, 404, "repo.not_found")["detail"].replace("nothing", "widgets") == theirs["detail"]
    assert_problem(await service.client.get("/api/usage.csv?account=acme"), 404, "account.not_found")

    service.client.cookies.clear()
    for method, path in (
        ("GET", "/api/repos"),
        ("PATCH", REPO),
        ("PATCH", f"{REPO}/contexts/x"),
        ("GET", "/api/usage.csv"),
    ):
        assert_problem(await service.client.request(method, path, json={}), 401, "auth.login_required")


async def test_usage_csv_is_the_usage_report(service: Service, fake_github: Any, fake_llm: Any) -> None:
    installed = await signed_in_owner(service, fake_github)
    await mixed_run(installed, fake_llm)
    report = (await service.client.get("/api/usage?account=acme")).json()
    resp = await service.client.get("/api/usage.csv?account=acme")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    assert resp.headers["content-disposition"] == 'attachment; filename="usage.csv"'
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    assert rows == [{key: str(value) for key, value in day.items()} for day in report["days"]]
    assert sum(Decimal(row["cost_usd"]) for row in rows) == -sum(
        Decimal(item["amount_usd"])
        for item in (await service.client.get("/api/account/ledger")).json()
        if item["kind"] == "debit"
    )
    only = await service.client.get("/api/usage.csv?repo=acme/nothing")
    assert_problem(only, 404, "usage.unknown_repo")
    reversed_range = await service.client.get("/api/usage.csv?from=2026-11-20&to=2026-11-01")
    assert_problem(reversed_range, 400, "usage.bad_range")


def test_usage_csv_cells_never_run_as_formulas() -> None:
    day = UsageFigures(date(2026, 11, 2), "=HYPERLINK(x)/repo", "-ctx", 1, 0, 1, 0, 10, 5, "0.000100")
    [header, row] = list(csv.reader(io.StringIO(usage_csv(UsageReport(date(2026, 11, 1), date(2026, 11, 30), [day])))))
    assert header[:3] == ["day", "repo", "context_id"] and header[-1] == "cost_usd"
    assert row == ["2026-11-02", "'=HYPERLINK(x)/repo", "'-ctx", "1", "0", "1", "0", "10", "5", "0.000100"]


async def test_an_api_key_changes_its_own_accounts_settings_only(service: Service, fake_github: Any) -> None:
    """A key is not an ambient credential: no CSRF token, and only the key's account."""
    await signed_in_owner(service, fake_github)
    key = (await create_key(service, account="acme")).json()["key"]
    changed = await as_key(service, "PATCH", REPO, key, json={"monthly_cap_usd": "2"})
    assert changed.status_code == 200 and changed.json()["monthly_cap_usd"] == "2.000000"
    assert (await as_key(service, "GET", "/api/repos", key)).json()[0]["monthly_cap_usd"] == "2.000000"

    await install(service, fake_github, 4242, "mallory")
    await log_in(service, fake_github, "mallory")
    theirs = (await create_key(service)).json()["key"]
    refused = await as_key(service, "PATCH", f"{REPO}/contexts/explain", theirs, json={"paused": True})
    assert_problem(refused, 404, "repo.not_found")
