"""GET /api/account/ledger and its CSV: the signed-in owner's ledger, exact, newest first; never another's."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.db.models import Account
from tests.auth.helpers import log_in
from tests.conftest import Service
from tests.links.helpers import install_repo
from tests.support.problems import assert_problem


async def test_the_owner_reads_their_ledger_and_it_adds_up_to_the_balance(service: Service, fake_github: Any) -> None:
    installed = await install_repo(service, fake_github)  # the organisation "acme"...
    fake_github.oauth.add_member("acme", "octo", role="admin")  # ...which "octo" administers
    first = await installed.click_and_finish()
    await log_in(service, fake_github, "octo")
    resp = await service.client.get("/api/account/ledger?account=acme")
    assert resp.status_code == 200, resp.text
    items = resp.json()
    assert [i["kind"] for i in items] == ["debit", "credit"]
    assert items[0]["result_id"] == first["id"] and items[0]["repo"] == "acme/widgets"
    async with service.clients.sessions() as session:
        account = (await session.execute(select(Account).where(Account.login == "acme"))).scalar_one()
    assert sum(Decimal(i["amount_usd"]) for i in items) * 1_000_000 == account.balance_micros
    download = await service.client.get("/api/account/ledger.csv?account=acme")
    assert download.headers["content-type"].startswith("text/csv")
    assert [row["amount_usd"] for row in csv.DictReader(io.StringIO(download.text))] == [i["amount_usd"] for i in items]


async def test_nobody_reads_someone_elses_ledger(service: Service, fake_github: Any) -> None:
    await install_repo(service, fake_github)
    assert_problem(await service.client.get("/api/account/ledger?account=acme"), 401, "auth.login_required")
    assert_problem(await service.client.get("/api/account/ledger.csv?account=acme"), 401, "auth.login_required")
    await log_in(service, fake_github, "mallory")
    for path in ("/api/account/ledger?account=acme", "/api/account/ledger.csv?account=acme"):
        assert_problem(await service.client.get(path), 404, "account.not_found")
