"""The overview: each account's money, its 30-day charts and each repository's month, all agreeing with the ledger;
a low-balance warning; and the next step for an owner who has not got that far yet."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import update

from app.db.models import Account
from tests.auth.helpers import install, log_in
from tests.conftest import Service
from tests.dashboard.helpers import charts, data_of, debits_by_context, mixed_run, points, signed_in_owner


async def test_overview_figures_are_the_ledgers(service: Service, fake_github: Any, fake_llm: Any) -> None:
    installed = await signed_in_owner(service, fake_github)
    await mixed_run(installed, fake_llm)
    debits = await debits_by_context(service)
    spent = sum(debits.values(), Decimal(0))
    assert set(debits) == {"explain", "docs"} and spent > 0  # the failure cost nothing

    page = await service.client.get("/dashboard")
    assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"
    html = page.text
    money = data_of(html, "td", 'class="align-right spent"')
    assert Decimal(money["usd"]) == spent
    account = await installed.account()
    assert Decimal(data_of(html, "td", 'class="align-right balance"')["usd"]) == Decimal(account.balance_micros) / 10**6
    assert Decimal(5) - spent == Decimal(account.balance_micros) / 10**6  # the free credit, less the debits

    row = data_of(html, "tr", 'data-repo="acme/widgets"')
    assert (row["clicks"], row["cache-hits"], row["generations"]) == ("6", "3", "2")
    assert Decimal(row["usd"]) == spent
    assert 'href="/dashboard/repos/acme/widgets"' in html

    today = datetime.now(UTC).date().isoformat()
    found = charts(html)
    spend, traffic = found["Spend per day of acme"], found["Clicks"]
    bars = points(spend)
    assert len(bars) == 30 and Decimal(bars[today]) == spent
    assert all(Decimal(v) == 0 for day, v in bars.items() if day != today)
    assert "$" in (spend.findtext("{http://www.w3.org/2000/svg}title") or "")
    assert points(traffic, "clicks")[today] == "6" and points(traffic, "generations")[today] == "2"
    assert points(traffic, "cache hits")[today] == "3"
    assert 'href="/api/usage.csv?account=acme"' in html


async def test_a_low_balance_is_warned_about(service: Service, fake_github: Any, fake_llm: Any) -> None:
    installed = await signed_in_owner(service, fake_github)
    assert "Low balance" not in (await service.client.get("/dashboard")).text  # $5 of free credit, nothing spent
    await installed.click_and_finish()
    async with service.clients.sessions() as session:
        await session.execute(update(Account).where(Account.login == "acme").values(balance_micros=400_000))
        await session.commit()
    html = (await service.client.get("/dashboard")).text
    assert 'class="notice warning low-balance"' in html
    assert "$0.40 is left for new answers" in html and "Top up" in html

    service.clients.settings.low_balance_usd = Decimal("0.25")  # below the threshold no more...
    service.clients.settings.low_balance_days = 0  # ...and the week's rate is not asked about
    assert "Low balance" not in (await service.client.get("/dashboard")).text


async def test_a_week_of_spend_the_balance_cannot_cover_is_warned_about(
    service: Service, fake_github: Any, fake_llm: Any
) -> None:
    installed = await signed_in_owner(service, fake_github)
    await installed.click_and_finish()
    week = sum((await debits_by_context(service)).values(), Decimal(0))
    service.clients.settings.low_balance_usd = Decimal(0)
    service.clients.settings.low_balance_days = 7
    micros = int(week * 10**6 * 3)  # three times the last week's spend: about 21 days
    async with service.clients.sessions() as session:
        await session.execute(update(Account).where(Account.login == "acme").values(balance_micros=micros))
        await session.commit()
    assert "Low balance" not in (await service.client.get("/dashboard")).text
    service.clients.settings.low_balance_days = 30
    html = (await service.client.get("/dashboard")).text
    assert "Low balance" in html and "lasts about 21 days" in html


async def test_a_new_owner_is_told_the_next_step(service: Service, fake_github: Any) -> None:
    await install(service, fake_github, 901, "alice")  # installed, but on no repository
    await log_in(service, fake_github, "alice")
    html = (await service.client.get("/dashboard")).text
    assert "can see no repository yet" in html

    no_file = fake_github.add_repo("acme", "gadgets", files={"README.md": "# Gadgets\n"})
    await signed_in_owner(service, fake_github, context="{not json", extra_repos=[no_file])
    html = (await service.client.get("/dashboard")).text
    assert "Push a <code>context.json</code>" in data_row(html, "acme/gadgets")
    assert 'href="/dashboard/repos/acme/widgets#contexts">Fix its <code>context.json</code>' in data_row(
        html, "acme/widgets"
    )


async def test_a_repository_nobody_clicked_yet_asks_for_a_badge(service: Service, fake_github: Any) -> None:
    await signed_in_owner(service, fake_github)
    html = (await service.client.get("/dashboard")).text
    assert 'href="/dashboard/repos/acme/widgets#badges">Paste a badge</a>' in data_row(html, "acme/widgets")


def data_row(html: str, repo: str) -> str:
    return html[html.index(f'<tr data-repo="{repo}"') :].split("</tr>", 1)[0]
