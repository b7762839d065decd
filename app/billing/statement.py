"""An account's ledger as owners read it: newest first, each debit linked to its result and repository."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.billing.money import usd_text
from app.db.models import LedgerEntry, LedgerKind, Repository

MAX_PAGE = 500


@dataclass(frozen=True)
class LedgerLine:
    id: int
    kind: LedgerKind
    amount_micros: int
    result_id: str | None
    repo: str | None  # "owner/name" as the repository is named now
    note: str | None
    created_at: datetime
    adjusted_by: str | None = None  # an operator's adjustment (kind credit): who made it; `note` is the reason

    @property
    def amount_usd(self) -> str:
        return usd_text(self.amount_micros)

    @property
    def what(self) -> str:
        """The entry as owners name it ("Free credit", "Adjustment", "Top-up", "Answer", "Refund")."""
        return "Adjustment" if self.adjusted_by else _WHAT[self.kind]


_WHAT = {
    LedgerKind.CREDIT: "Free credit",
    LedgerKind.TOPUP: "Top-up",
    LedgerKind.DEBIT: "Answer",
    LedgerKind.REFUND: "Refund",
}


async def ledger_lines(
    session: AsyncSession, account_id: int, *, limit: int = 100, before_id: int | None = None
) -> list[LedgerLine]:
    """Up to `limit` entries (at most MAX_PAGE), newest first; `before_id` continues after the last one seen."""
    stmt = (
        select(LedgerEntry, col(Repository.owner), col(Repository.name))
        .outerjoin(Repository, col(Repository.id) == col(LedgerEntry.repository_id))
        .where(col(LedgerEntry.account_id) == account_id)
        .order_by(col(LedgerEntry.id).desc())
        .limit(max(1, min(limit, MAX_PAGE)))
    )
    if before_id is not None:
        stmt = stmt.where(col(LedgerEntry.id) < before_id)
    rows = (await session.execute(stmt)).all()
    return [
        LedgerLine(
            id=entry.id or 0,  # stored rows always have one
            kind=entry.kind,
            amount_micros=entry.amount_micros,
            result_id=entry.result_id,
            repo=f"{owner}/{name}" if owner is not None else None,
            note=entry.note,
            created_at=entry.created_at,
            adjusted_by=entry.adjusted_by,
        )
        for entry, owner, name in rows
    ]


CSV_COLUMNS = ["id", "created_at", "kind", "amount_usd", "repo", "result_id", "note", "adjusted_by"]


def ledger_csv(lines: Iterable[LedgerLine]) -> str:
    """The ledger as CSV (exact amounts; formula-looking text neutralised for spreadsheet apps)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line in lines:
        writer.writerow(
            [
                line.id,
                line.created_at.isoformat(),
                line.kind.value,
                line.amount_usd,
                safe_cell(line.repo),
                line.result_id or "",
                safe_cell(line.note),
                safe_cell(line.adjusted_by),
            ]
        )
    return out.getvalue()


def safe_cell(value: str | None) -> str:
    """Text a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading quote."""
    if not value:
        return ""
    return f"'{value}" if value[0] in "=+-@\t\r" else value
