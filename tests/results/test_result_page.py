"""The result page a visitor lands on: the question, the files of the context linked at the commit, the
repository and commit linked, a way home and to a badge, and link-preview tags; everything escaped."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from app.db.models import Result
from app.settings import Settings
from github_app.web import web_url
from tests.conftest import Service, running_service
from tests.links.helpers import CONTEXT, install_repo

HOSTILE_SUMMARY = '"><img src=x onerror=alert(1)> <b>bold</b>'
HOSTILE_PROMPT = "</pre><script>alert(2)</script> about {{owner}}/{{repo}} & <i>{{branch}}</i>"


def _meta(page: str, attribute: str, name: str) -> str:
    """The content of <meta property|name=…> (unescaped), which must appear exactly once."""
    found = re.findall(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">', page)
    assert len(found) == 1, (name, found)
    return html.unescape(found[0])


def _links(page: str) -> dict[str, str]:
    """Link text (tags stripped, unescaped) → href."""
    return {
        html.unescape(re.sub(r"<[^>]+>", "", text)).strip(): html.unescape(href)
        for href, text in re.findall(r'<a [^>]*href="([^"]*)"[^>]*>(.*?)</a>', page, re.S)
    }


async def test_the_page_shows_the_question_and_the_files_at_the_commit(service: Service, fake_github: Any) -> None:
    installed = await install_repo(service, fake_github)
    commit = installed.repo.branches["main"]
    result = await installed.click_and_finish()
    resp = await service.client.get(f"/r/{result['id']}")
    page, web = resp.text, fake_github.url  # a loopback fake: GitHub's web host is the same host
    links = _links(page)

    assert "<h1>Explain this repo</h1>" in page and "<title>Explain this repo · acme/widgets · contextjson" in page
    assert "<pre>Explain what acme/widgets does on main.</pre>" in page  # the prompt as sent
    assert links["contextjson"] == "/" and links["Add a badge like this to your repo"] == "/#badge"
    assert links["acme/widgets"] == f"{web}/acme/widgets"
    assert links[commit[:7]] == f"{web}/acme/widgets/tree/{commit}"
    # The files that formed the context (README.md and src/**; not docs/), folded, each at the commit.
    files = page.split('<details class="files">', 1)[1].split("</details>", 1)[0]
    assert "2 files formed the context</summary>" in files
    assert _links(files) == {
        "README.md": f"{web}/acme/widgets/blob/{commit}/README.md",
        "src/widgets.py": f"{web}/acme/widgets/blob/{commit}/src/widgets.py",
    }
    # A shared link previews with the title and the summary.
    assert _meta(page, "property", "og:title") == "Explain this repo · acme/widgets"
    assert _meta(page, "property", "og:description") == "Explain this repo"
    assert _meta(page, "property", "og:url") == f"http://contextjson.test/r/{result['id']}"
    assert _meta(page, "name", "twitter:card") == "summary"
    assert _meta(page, "name", "twitter:description") == "Explain this repo"


async def test_an_answer_reused_for_a_new_commit_links_that_commit(service: Service, fake_github: Any) -> None:
    """A push that leaves the selected files alone reuses the answer; its page links the new commit."""
    installed = await install_repo(service, fake_github)
    first = await installed.click_and_finish()
    later = await installed.push({"docs/guide.md": "Changed docs.\n", "src/a b#c.py": "x = 1\n"})
    second = await installed.click_and_finish()
    assert second["id"] != first["id"] and second["commit"] == later
    page = (await service.client.get(f"/r/{second['id']}")).text
    files = _links(page.split('<details class="files">', 1)[1].split("</details>", 1)[0])
    assert files["src/a b#c.py"] == f"{fake_github.url}/acme/widgets/blob/{later}/src/a%20b%23c.py"
    assert files["README.md"].endswith(f"/blob/{later}/README.md") and len(files) == 3


async def test_summaries_and_prompts_are_escaped(service: Service, fake_github: Any) -> None:
    context = json.loads(json.dumps(CONTEXT))
    context["context"]["explain"].update(summary=HOSTILE_SUMMARY, prompt=HOSTILE_PROMPT)
    installed = await install_repo(service, fake_github, context=context)
    result = await installed.click_and_finish()
    page = (await service.client.get(f"/r/{result['id']}")).text
    assert "<img" not in page and "<b>" not in page and "<i>" not in page and "<script>alert" not in page
    assert html.unescape(page.split("<h1>", 1)[1].split("</h1>", 1)[0]) == HOSTILE_SUMMARY  # shown as text
    assert "&lt;/pre&gt;&lt;script&gt;alert(2)&lt;/script&gt; about acme/widgets &amp; &lt;i&gt;main&lt;/i&gt;" in page
    assert _meta(page, "property", "og:description") == HOSTILE_SUMMARY  # intact, inside its attribute


async def test_a_result_without_a_recorded_question_still_has_a_page(service: Service, fake_github: Any) -> None:
    """Results made before files were recorded (or by the API) show what is known, never a broken page."""
    installed = await install_repo(service, fake_github)
    result = await installed.click_and_finish()
    async with service.clients.sessions() as session:
        row = await session.get(Result, result["id"])
        assert row is not None and row.request is not None and row.request["file_count"] == 2
        row.request = {key: value for key, value in row.request.items() if key == "entry"}
        await session.commit()
    page = (await service.client.get(f"/r/{result['id']}")).text
    assert "<h1>Explain this repo</h1>" in page and '<details class="files">' not in page
    async with service.clients.sessions() as session:
        row = await session.get(Result, result["id"])
        assert row is not None
        row.request = None
        await session.commit()
    page = (await service.client.get(f"/r/{result['id']}")).text
    assert "<h1>acme/widgets · explain</h1>" in page and "The prompt" not in page
    assert _meta(page, "property", "og:description") == "An answer about acme/widgets, from contextjson."


async def test_the_landing_page_links_the_app_install_page(settings: Settings) -> None:
    async with running_service(settings.model_copy(update={"github_app_slug": "explain-bot"})) as service:
        page = (await service.client.get("/")).text
    web = web_url(settings.github_api_url)
    assert _links(page)["Install the GitHub App"] == f"{web}/apps/explain-bot/installations/new"
    assert 'id="install"' not in page
    assert '<section id="badge">' in page and '<pre class="snippet">[![Explain this repo](' in page
    async with running_service(settings) as service:
        page = (await service.client.get("/")).text
    # Without the App's name there is no install page to link: the link leads to the instructions.
    assert _links(page)["Install the GitHub App"] == "#install" and "GITHUB_APP_SLUG" in page
