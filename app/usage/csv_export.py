"""The usage report as CSV: one row per day and context, exact money, nothing a spreadsheet would run."""

from __future__ import annotations

import csv
import io
from datetime import date

from app.billing.statement import safe_cell
from app.usage.report import UsageFigures, UsageReport

# The JSON report's fields, in its order: the CSV and /api/usage name every figure alike.
CSV_COLUMNS = list(UsageFigures.__struct_fields__)


def _cell(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    return safe_cell(value) if isinstance(value, str) else value  # names (repos, ids) neutralised like the ledger's


def usage_csv(report: UsageReport) -> str:
    """The report's days as CSV."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in report.days:
        writer.writerow([_cell(getattr(row, column)) for column in CSV_COLUMNS])
    return out.getvalue()
