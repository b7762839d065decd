"""A repository's page: each context's state, link and README badge, its usage agreeing with the ledger, recent
answers and referrers; shown only to those who reach the repository's account."""

from __future__ import annotations

import html as html_text
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.context_api.snippets import context_snippets
from app.context_files.snippets import context_snippet
from app.db.models import Result
from tests.auth.helpers import log_in
from tests.conftest import Service
from tests.dashboard.helpers import PAGE, charts, data_of, debits_by_context, mixed_run, points, signed_in_owner
from tests.links.helpers import CONTEXT
from tests.support.problems import BROWSER_ACCEPT


async def test_usage_per_context_is_the_ledgers(service: Service, fake_github: Any, fake_llm: Any) -> None:
    installed = await signed_in_owner(service, fake_github)
    await mixed_run(installed, fake_llm)
    debits = await debits_by_context(service)

    page = await service.client.get(PAGE)
    assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"
    html = page.text
    figures = {context: data_of(html, "tr", f'data-context="{context}"') for context in ("explain", "api", "docs")}
    counts = {c: (f["clicks"], f["cache-hits"], f["generations"], f["failures"]) for c, f in figures.items()}
    assert counts == {"explain": ("4", "3", "1", "0"), "docs": ("1", "0", "1", "0"), "api": ("1", "0", "0", "1")}
    assert {c: Decimal(f["usd"]) for c, f in figures.items()} == {"api": 0, **debits}
    month = data_of(html, "table", 'class="month"')
    assert Decimal(month["usd"]) == sum(debits.values()) and month["clicks"] == "6"

    async with service.clients.sessions() as session:
        results = list((await session.execute(select(Result))).scalars())
    assert len(results) == 4
    for result in results:  # each answer, its status and cost, linked
        row = data_of(html, "tr", f'data-result="{result.id}"')
        assert Decimal(row["usd"]) == Decimal(result.cost_micros) / 10**6
        assert f'<a href="/r/{result.id}">' in html
    assert "<td>failed</td>" in html and "done (reused)" in html

    referrers = html.split('id="referrers"', 1)[1]
    assert '<td>github.com</td><td class="align-right">2</td>' in referrers
    traffic = charts(html)["Clicks"]
    assert sum(int(v) for v in points(traffic, "clicks").values()) == 6
    assert 'href="/api/usage.csv?account=acme&amp;repo=acme/widgets"' in html


async def test_each_context_shows_its_state_link_and_badge(service: Service, fake_github: Any) -> None:
    context = json.loads(json.dumps(CONTEXT))
    context["context"]["too-long"] = {"summary": "x" * 71}
    await signed_in_owner(service, fake_github, context=context)
    page = await service.client.get(PAGE)
    html = page.text

    assert data_of(html, "tr", 'data-context="explain"')["status"] == "valid"
    bad = html[html.index('<tr data-context="too-long"') :].split("</tr>", 1)[0]
    assert 'data-status="invalid"' in bad and "context.too-long.summary" in bad and "visitor link" not in bad
    link = "http://contextjson.test/acme/widgets/context/explain"
    assert f'<a href="{link}">visitor link</a>' in html

    snippet = context_snippet("http://contextjson.test", "acme", "widgets", None, "explain", "Explain this repo")
    assert snippet.markdown == f"[![Explain this repo]({link}/badge.svg)]({link})"
    assert (pre_text(html, "badge-md-explain"), pre_text(html, "badge-html-explain")) == (
        snippet.markdown,
        snippet.html,
    )
    assert 'data-copy="badge-md-explain"' in html and 'data-copy="badge-html-explain"' in html
    assert "badge-md-too-long" not in html  # no badge for a context that cannot answer
    model = service.clients.catalog.default_model
    api = context_snippets("http://contextjson.test", "acme", "widgets", None, "explain", model)
    assert pre_text(html, "api-explain-curl") == api.curl and pre_text(html, "api-explain-python") == api.python
    assert pre_text(html, "api-explain-mcp") == api.mcp_config and 'data-copy="api-explain-mcp"' in html
    assert "api-too-long-curl" not in html
    assert "No answers yet" in html
    # The copy buttons' script is a file carrying the page's nonce: no inline script, no inline handler.
    nonce = html.split('copy.js" nonce="', 1)[1].split('"', 1)[0]
    assert f"'nonce-{nonce}'" in page.headers["content-security-policy"]
    assert "onclick" not in html and "<script>" not in html


def pre_text(html: str, element_id: str) -> str:
    """The text of <pre id=…> as a browser shows (and copies) it."""
    return html_text.unescape(html.split(f'<pre id="{element_id}">', 1)[1].split("</pre>", 1)[0])


async def test_a_repository_without_context_json_says_what_to_do(service: Service, fake_github: Any) -> None:
    installed = await signed_in_owner(service, fake_github)
    await installed.push({"context.json": None})
    html = (await service.client.get(PAGE)).text
    assert "The default branch has no <code>context.json</code>. Push one" in html
    assert 'class="contexts"' not in html


async def test_only_those_who_reach_the_account_see_the_page(service: Service, fake_github: Any) -> None:
    await signed_in_owner(service, fake_github)
    assert (await service.client.get("/dashboard/repos/ACME/Widgets")).status_code == 200  # GitHub's names ignore case

    await log_in(service, fake_github, "mallory")
    other = await service.client.get(PAGE, headers={"accept": BROWSER_ACCEPT})
    nobody = await service.client.get("/dashboard/repos/acme/nothing", headers={"accept": BROWSER_ACCEPT})
    assert other.status_code == nobody.status_code == 404
    assert "acme/widgets that you can see" in other.text and "acme/nothing that you can see" in nobody.text
    assert "Explain this repo" not in other.text

    service.client.cookies.clear()
    anonymous = await service.client.get(PAGE, headers={"accept": BROWSER_ACCEPT})
    assert (anonymous.status_code, anonymous.headers["location"]) == (303, f"/login?next={PAGE}")
