"""The ledger as owners read it: newest first, exact amounts, debits linked to their result and repository."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from app.billing.statement import ledger_csv, ledger_lines, safe_cell
from tests.conftest import Service
from tests.links.helpers import install_repo


async def test_the_ledger_lists_credit_and_debits_newest_first(service: Service, fake_github: Any) -> None:
    installed = await install_repo(service, fake_github)
    first = await installed.click_and_finish()
    second = await installed.click_and_finish("/context/api")
    account = await installed.account()
    assert account.id is not None
    async with service.clients.sessions() as session:
        lines = await ledger_lines(session, account.id)
        page = await ledger_lines(session, account.id, limit=1, before_id=lines[0].id)
    assert [line.kind for line in lines] == ["debit", "debit", "credit"]
    assert [line.result_id for line in lines[:2]] == [second["id"], first["id"]]
    assert {line.repo for line in lines[:2]} == {"acme/widgets"} and lines[2].repo is None
    assert Decimal(lines[2].amount_usd) == Decimal("5") and lines[2].amount_usd == "5.000000"
    assert Decimal(lines[0].amount_usd) == -Decimal(str(second["cost_usd"]))
    # The ledger adds up to the balance, exactly.
    assert sum(line.amount_micros for line in lines) == account.balance_micros
    assert page == [lines[1]]

    rows = list(csv.DictReader(io.StringIO(ledger_csv(lines))))
    assert [row["amount_usd"] for row in rows] == [line.amount_usd for line in lines]
    assert rows[0]["result_id"] == second["id"] and rows[0]["repo"] == "acme/widgets"


def test_csv_cells_that_look_like_formulas_are_neutralised() -> None:
    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert safe_cell("@SUM") == "'@SUM" and safe_cell("acme/widgets") == "acme/widgets" and safe_cell(None) == ""
