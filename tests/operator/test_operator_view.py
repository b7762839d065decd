"""The operator view shows every owner's true figures, and an adjustment is one exact ledger entry that the
owner sees (API, billing page, CSV) with its reason."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.db.models import Account
from tests.auth.helpers import install, log_in
from tests.conftest import Service
from tests.links.helpers import install_repo
from tests.operator.helpers import adjust_api, adjust_form, log_in_operator, page_token
from tests.support.openapi import assert_matches_component
from tests.support.problems import BROWSER_ACCEPT, assert_problem
from tests.topups.helpers import money


async def _account(service: Service, login: str) -> Account:
    async with service.clients.sessions() as session:
        return (await session.execute(select(Account).where(Account.login == login))).scalar_one()


async def test_every_account_with_its_figures_and_the_totals(service: Service, fake_github: Any) -> None:
    await install(service, fake_github, 101, "alice")
    installed = await install_repo(service, fake_github)  # the organisation acme, with one repository...
    answer = await installed.click_and_finish()  # ...whose first answer was charged
    await log_in_operator(service, fake_github)

    resp = await service.client.get("/api/operator/accounts")
    assert resp.status_code == 200 and resp.headers["cache-control"] == "private, no-store"
    body = resp.json()
    assert_matches_component(body, "OperatorAccounts")
    rows = {row["login"]: row for row in body["accounts"]}
    assert list(rows) == ["acme", "alice"]  # by login
    acme = await _account(service, "acme")
    [debit] = await installed.debits()
    cost = Decimal(-debit.amount_micros) / 1_000_000  # exactly what the ledger charged
    assert cost > 0 and debit.result_id == answer["id"]
    assert rows["acme"] | {"last_activity_at": None} == {
        "login": "acme",
        "type": "Organization",
        "github_url": f"{fake_github.url}/acme",
        "balance_usd": f"{acme.balance_micros / 1_000_000:.6f}",
        "reserved_usd": "0.000000",
        "spent_this_month_usd": f"{cost:.6f}",
        "repos": 1,
        "last_activity_at": None,
        "last_activity": rows["acme"]["last_activity"],
    }
    assert Decimal(rows["acme"]["balance_usd"]) == 5 - cost
    assert rows["acme"]["last_activity"] in ("ledger entry", "answer")  # the charge, or the answer it paid for
    assert rows["alice"]["repos"] == 0 and rows["alice"]["balance_usd"] == "5.000000"
    assert body["totals"] == {
        "accounts": 2,
        "balance_usd": f"{10 - cost:.6f}",
        "reserved_usd": "0.000000",
        "spent_this_month_usd": f"{cost:.6f}",
        "repos": 1,
    }

    page = (await service.client.get("/dashboard/operator")).text
    assert f'<a href="{fake_github.url}/acme" rel="noopener">GitHub</a>' in page
    assert f'data-usd="{rows["acme"]["balance_usd"]}"' in page and f'data-usd="{10 - cost:.6f}"' in page
    detail = (await service.client.get("/dashboard/operator/accounts/ACME")).text  # any case
    assert "acme/widgets" in detail and f'href="/r/{answer["id"]}"' in detail

    await installed.push({"docs/new.md": "more"})  # a later webhook is the latest activity now
    [later] = [
        row for row in (await service.client.get("/api/operator/accounts")).json()["accounts"] if row["login"] == "acme"
    ]
    assert later["last_activity"] == "webhook" and later["last_activity_at"] > rows["acme"]["last_activity_at"]


async def test_an_adjustment_is_one_exact_entry_the_owner_sees(service: Service, fake_github: Any) -> None:
    alice = await install(service, fake_github, 101, "alice")
    await log_in_operator(service, fake_github)
    token = await page_token(service, "/dashboard/operator/accounts/alice")

    given = await adjust_form(service, "Alice", token, amount_usd="0.000125", reason="  sorry about\nthe outage ")
    assert given.status_code == 303
    location = given.headers["location"]
    assert location.startswith("/dashboard/operator/accounts/alice?adjusted=")
    shown = (await service.client.get(location)).text
    assert 'id="adjusted"' in shown and "sorry about the outage" in shown and "$5.000125" in shown
    taken = await adjust_api(service, "alice", token, amount_usd="-2.5", reason="double credit by mistake")
    assert taken.status_code == 201, taken.text
    made = taken.json()
    assert_matches_component(made, "AdjustmentMade")
    assert (made["amount_usd"], made["balance_usd"], made["adjusted_by"], made["replayed"]) == (
        "-2.500000",
        "2.500125",
        "ops-lead",
        False,
    )
    assert await money(service.clients.sessions, alice) == (2_500_125, 2_500_125)  # cached == summed ledger

    await log_in(service, fake_github, "alice")  # the owner's own view
    assert (await service.client.get("/api/account")).json()["balance_usd"] == "2.500125"
    ledger = (await service.client.get("/api/account/ledger")).json()
    assert [(i["kind"], i["amount_usd"], i["note"], i["adjusted_by"]) for i in ledger] == [
        ("credit", "-2.500000", "double credit by mistake", "ops-lead"),
        ("credit", "0.000125", "sorry about the outage", "ops-lead"),
        ("credit", "5.000000", "free credit on install", None),
    ]
    assert_matches_component(ledger[0], "LedgerItem")
    rows = list(csv.DictReader(io.StringIO((await service.client.get("/api/account/ledger.csv")).text)))
    assert [(r["amount_usd"], r["note"], r["adjusted_by"]) for r in rows][:2] == [
        ("-2.500000", "double credit by mistake", "ops-lead"),
        ("0.000125", "sorry about the outage", "ops-lead"),
    ]
    billing = (await service.client.get("/dashboard/billing")).text
    assert billing.count("<td>Adjustment</td>") == 2 and "<td>double credit by mistake</td>" in billing
    assert "<td>Free credit</td>" in billing and 'data-usd="2.500125"' in billing


async def test_refused_adjustments_change_nothing_and_say_why(service: Service, fake_github: Any) -> None:
    alice = await install(service, fake_github, 101, "alice")
    await log_in_operator(service, fake_github)
    token = await page_token(service)
    refusals = [
        ({"amount_usd": "0"}, "zero changes nothing"),
        ({"amount_usd": "ten"}, "is not an amount"),
        ({"amount_usd": "1.0000001"}, "at most six decimals"),
        ({"amount_usd": "100000.000001"}, "at most 100000 USD"),
        ({"reason": "   "}, "say why"),
        ({"reason": "x" * 501}, "at most 500 characters"),
    ]
    for fields, words in refusals:
        body = assert_problem(await adjust_api(service, "alice", token, **fields), 400, "operator.invalid_adjustment")
        assert words in body["detail"], body
    assert_problem(await adjust_api(service, "alice", token, amount_usd=1.5), 400, "http.invalid_request")  # no float
    too_much = await adjust_api(service, "alice", token, amount_usd="-5.000001")
    assert_problem(too_much, 409, "operator.adjustment_exceeds_balance")
    assert_problem(await adjust_api(service, "nobody", token), 404, "operator.unknown_account")

    page = await adjust_form(service, "alice", token, accept=BROWSER_ACCEPT, amount_usd="-7", reason="chargeback")
    assert page.status_code == 409 and page.headers["content-type"].startswith("text/html")
    assert '<div class="notice error" id="adjustment-error" role="alert">' in page.text
    assert 'value="-7"' in page.text and 'value="chargeback"' in page.text  # the form as it was sent
    assert await money(service.clients.sessions, alice) == (5_000_000, 5_000_000)

    exact = await adjust_api(service, "alice", token, amount_usd="-5")  # everything, to the micro-dollar
    assert exact.status_code == 201 and exact.json()["balance_usd"] == "0.000000"


async def test_a_resent_adjustment_is_made_once(service: Service, fake_github: Any) -> None:
    alice = await install(service, fake_github, 101, "alice")
    await log_in_operator(service, fake_github)
    token = await page_token(service)
    first = await adjust_api(service, "alice", token, amount_usd="3", idempotency_key="retry-key-1")
    again = await adjust_api(service, "alice", token, amount_usd="3", idempotency_key="retry-key-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["replayed"] and again.json()["id"] == first.json()["id"]
    other = await adjust_api(service, "alice", token, amount_usd="4", idempotency_key="retry-key-1")
    assert_problem(other, 409, "operator.adjustment_key_reused")
    # A double-clicked form sends the same hidden key twice.
    form = {"amount_usd": "1", "idempotency_key": "form-key-0001"}
    assert (await adjust_form(service, "alice", token, **form)).status_code == 303
    assert (await adjust_form(service, "alice", token, **form)).status_code == 303
    assert await money(service.clients.sessions, alice) == (9_000_000, 9_000_000)
    # Keys are the operator's own namespace: one that looks like a free credit's grants nothing twice.
    assert_problem(
        await adjust_api(service, "alice", token, idempotency_key="free-credit:1"), 400, "operator.invalid_adjustment"
    )
