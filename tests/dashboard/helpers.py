"""An owner signed in with a repository that visitors used, and reading figures back from the dashboard's HTML."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

from sqlalchemy import select

from app.db.models import LedgerEntry, LedgerKind, Result
from tests.auth.helpers import log_in
from tests.conftest import Service
from tests.links.helpers import Installed, install_repo
from tests.usage.test_report import mixed_run  # noqa: F401  (re-exported: generations, hits, a failure)

SVG = "{http://www.w3.org/2000/svg}"
OWNER = "octo"  # an admin of the "acme" organisation, where tests.links.helpers installs the App
PAGE = "/dashboard/repos/acme/widgets"


async def signed_in_owner(service: Service, fake_github: Any, **repo: Any) -> Installed:
    """acme/widgets installed (tests.links.helpers), and its organisation's admin signed in."""
    installed = await install_repo(service, fake_github, **repo)
    fake_github.oauth.add_member("acme", OWNER, role="admin")
    await log_in(service, fake_github, OWNER)
    return installed


async def csrf_token(service: Service, path: str = "/dashboard") -> str:
    page = await service.client.get(path)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text[:500]
    return match.group(1)


async def debits_by_context(service: Service) -> dict[str, Decimal]:
    """Dollars the ledger debited per context id."""
    async with service.clients.sessions() as session:
        rows = await session.execute(
            select(Result.context_id, LedgerEntry.amount_micros)
            .join(Result, Result.id == LedgerEntry.result_id)
            .where(LedgerEntry.kind == LedgerKind.DEBIT)
        )
        totals: dict[str, Decimal] = {}
        for context_id, micros in rows:
            totals[context_id] = totals.get(context_id, Decimal(0)) - Decimal(micros) / 1_000_000
    return totals


def data_of(html: str, tag: str, marker: str) -> dict[str, str]:
    """The data-* attributes inside the first <tag …marker…>…</tag> (e.g. a table row), by name."""
    start = html.index(f"<{tag} {marker}")
    block = html[start : html.index(f"</{tag}>", start)]
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', block))


def charts(html: str) -> dict[str, ElementTree.Element]:
    """Each inline SVG chart of a page, by the start of its <title> (before the first comma or colon)."""
    found = {}
    for svg in re.findall(r"<svg class=\"chart\".*?</svg>", html, flags=re.S):
        root = ElementTree.fromstring(svg)
        title = root.findtext(f"{SVG}title") or ""
        found[re.split(r"[,:]", title, maxsplit=1)[0]] = root
    return found


def points(chart: ElementTree.Element, series: str | None = None) -> dict[str, str]:
    """day → data-value of a chart's bars, or of one line's points."""
    shapes = chart.findall(f"{SVG}rect") if series is None else chart.findall(f"{SVG}circle")
    return {s.get("data-day", ""): s.get("data-value", "") for s in shapes if series in (None, s.get("data-series"))}
