"""The usage report after a mixed run: its figures are the results', the ledger's and the clicks served."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from sqlalchemy import select

from app.db.models import Account, LedgerEntry, LedgerKind, Repository, Result, ResultStatus
from app.errors import BadRequest, NotFound
from app.usage.report import UsageReport, usage_report, usd
from tests.conftest import Service
from tests.links.helpers import Installed, install_repo


@pytest.fixture
async def installed(service: Service, fake_github: Any) -> Installed:
    return await install_repo(service, fake_github)


async def report_of(installed: Installed, **query: Any) -> UsageReport:
    account = await installed.account()
    async with installed.service.clients.sessions() as session:
        return await usage_report(session, account.id, **query)


async def mixed_run(installed: Installed, fake_llm: Any) -> None:
    """Two generations, cache hits (memory, database, an identical answer reused) and a failure."""
    await installed.click_and_finish()  # explain: generated
    await installed.click(referer="https://github.com/acme/widgets")  # hit
    installed.service.app.state.link_resolver.cache.clear()
    await installed.click(referer="https://github.com/")  # hit, found in the database
    await installed.click_and_finish("/context/docs")  # docs: generated
    fake_llm.fail_next(status=500, times=10)
    failed = await installed.click_and_finish("/context/api")  # api: failed
    assert failed["status"] == "failed"
    fake_llm.reset()
    await installed.push({"docs/more.md": "Not selected by explain.\n"})
    reused = await installed.click_and_finish()  # explain at a new commit: the identical answer, free
    assert reused["cached_from"] is not None
    await installed.service.app.state.usage.flush()


async def test_report_figures_are_the_ledger_and_the_results(installed: Installed, fake_llm: Any) -> None:
    await mixed_run(installed, fake_llm)
    report = await report_of(installed)
    today = datetime.now(UTC).date()
    assert (report.from_, report.to) == (today - timedelta(days=29), today)
    rows = {(row.day, row.repo, row.context_id): row for row in report.days}
    assert set(rows) == {(today, "acme/widgets", context) for context in ("api", "docs", "explain")}
    figures = {key[2]: (r.clicks, r.cache_hits, r.generations, r.failures) for key, r in rows.items()}
    assert figures == {"explain": (4, 3, 1, 0), "docs": (1, 0, 1, 0), "api": (1, 0, 0, 1)}

    async with installed.service.clients.sessions() as session:
        results = list((await session.execute(select(Result))).scalars())
        debits = list(
            (await session.execute(select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.DEBIT))).scalars()
        )
    by_id = {r.id: r for r in results}
    for context_id in ("explain", "docs", "api"):
        row = rows[(today, "acme/widgets", context_id)]
        generated = [
            r for r in results if r.context_id == context_id and r.status == ResultStatus.DONE and r.cached_from is None
        ]
        assert row.generations == len(generated)
        assert row.prompt_tokens == sum(r.prompt_tokens or 0 for r in generated)
        assert row.completion_tokens == sum(r.completion_tokens or 0 for r in generated)
        assert (row.prompt_tokens > 0) == (context_id != "api")  # the failed one used no tokens
        charged = -sum(d.amount_micros for d in debits if by_id[d.result_id or ""].context_id == context_id)
        assert Decimal(row.cost_usd) == Decimal(charged) / 1_000_000
    assert sum(Decimal(r.cost_usd) for r in report.days) == Decimal(-sum(d.amount_micros for d in debits)) / 1_000_000
    assert len(debits) == 2 and Decimal(rows[(today, "acme/widgets", "api")].cost_usd) == 0


async def test_report_names_referrers_and_counts_visitors_per_repo(installed: Installed, fake_llm: Any) -> None:
    await mixed_run(installed, fake_llm)
    [audience] = (await report_of(installed)).repos
    assert audience.repo == "acme/widgets"
    assert [(r.name, r.clicks) for r in audience.referrers] == [("github.com", 2)]
    assert [(v.day, v.visitors) for v in audience.visitors] == [(datetime.now(UTC).date(), 1)]
    assert audience.viewers == []  # no visitor login yet: the hook passes None


async def test_report_json_has_the_documented_shape(installed: Installed, fake_llm: Any) -> None:
    await mixed_run(installed, fake_llm)
    document = msgspec.json.decode(msgspec.json.encode(await report_of(installed)))
    assert set(document) == {"from", "to", "days", "repos"}
    assert set(document["days"][0]) == {
        "day",
        "repo",
        "context_id",
        "clicks",
        "cache_hits",
        "generations",
        "failures",
        "prompt_tokens",
        "completion_tokens",
        "cost_usd",
    }
    assert all(isinstance(row["cost_usd"], str) for row in document["days"])


async def test_report_range_and_repository_filter(installed: Installed, fake_llm: Any) -> None:
    await mixed_run(installed, fake_llm)
    today = datetime.now(UTC).date()
    assert len((await report_of(installed, repo="acme/widgets", from_=today, to=today)).days) == 3
    assert len((await report_of(installed, repo="ACME/Widgets")).days) == 3
    empty = await report_of(installed, from_=today - timedelta(days=3), to=today - timedelta(days=1))
    assert empty.days == [] and empty.repos == []
    with pytest.raises(BadRequest, match="after"):
        await report_of(installed, from_=today, to=today - timedelta(days=1))
    with pytest.raises(BadRequest, match="at most"):
        await report_of(installed, from_=today - timedelta(days=400), to=today)
    for unknown in ("acme/nope", "widgets", "/", "acme/"):
        with pytest.raises(NotFound):
            await report_of(installed, repo=unknown)


async def test_another_accounts_repository_reads_as_unknown(installed: Installed, fake_llm: Any) -> None:
    await mixed_run(installed, fake_llm)
    async with installed.service.clients.sessions() as session:
        session.add(Account(id=999, github_id=999, login="other"))
        await session.flush()
        session.add(Repository(id=9999, account_id=999, owner="other", name="x", owner_lower="other", name_lower="x"))
        await session.commit()
        assert (await usage_report(session, 999)).days == []  # nothing of acme's shows up for another account
    with pytest.raises(NotFound):
        await report_of(installed, repo="other/x")


def test_money_is_an_exact_decimal_string() -> None:
    assert usd(0) == "0.000000" and usd(1) == "0.000001" and usd(12_345_678) == "12.345678"
    assert usd(-250) == "-0.000250"
