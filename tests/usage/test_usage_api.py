"""GET /api/usage: the signed-in owner's usage, figures agreeing with the ledger; never another account's."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.auth.helpers import log_in
from tests.conftest import Service
from tests.links.helpers import install_repo
from tests.support.problems import assert_problem


async def test_the_owner_reads_usage_that_matches_the_ledger(service: Service, fake_github: Any) -> None:
    installed = await install_repo(service, fake_github)
    fake_github.oauth.add_member("acme", "octo", role="admin")
    first = await installed.click_and_finish()
    await installed.click()  # a cache hit
    await service.app.state.usage.flush()
    await log_in(service, fake_github, "octo")
    resp = await service.client.get("/api/usage?account=acme")
    assert resp.status_code == 200, resp.text
    [explain] = [d for d in resp.json()["days"] if d["context_id"] == "explain"]
    assert (explain["clicks"], explain["cache_hits"], explain["generations"]) == (2, 1, 1)
    assert Decimal(explain["cost_usd"]) == Decimal(str(first["cost_usd"]))
    ledger = (await service.client.get("/api/account/ledger?account=acme")).json()
    assert -sum(Decimal(i["amount_usd"]) for i in ledger if i["kind"] == "debit") == Decimal(explain["cost_usd"])


async def test_usage_is_private_and_ranges_are_checked(service: Service, fake_github: Any) -> None:
    await install_repo(service, fake_github)
    assert_problem(await service.client.get("/api/usage?account=acme"), 401, "auth.login_required")
    await log_in(service, fake_github, "mallory")
    assert_problem(await service.client.get("/api/usage?account=acme"), 404, "account.not_found")
    fake_github.oauth.add_member("acme", "mallory", role="admin")
    await log_in(service, fake_github, "mallory")
    reversed_range = await service.client.get("/api/usage?account=acme&from=2026-11-20&to=2026-11-01")
    assert_problem(reversed_range, 400, "usage.bad_range")
