"""The "Use as API" snippets: right URLs, safe to paste (shell, Python, JSON), shown on the pages that offer them."""

from __future__ import annotations

import json
import shlex
from typing import Any

from app.context_api.snippets import context_snippets, plain_api_snippets
from app.settings import Settings
from tests.conftest import Service
from tests.links.helpers import install_repo

BASE = "https://cj.example"
HOSTILE_BRANCH = "feat/<b>\"'$(x)`y` z"


def _curl_words(curl: str) -> list[str]:
    return shlex.split(curl.replace("\\\n", " "))


def test_the_default_branch_form_and_its_mcp_server() -> None:
    api = context_snippets(BASE, "acme", "widgets", None, "explain", "gpt-4.1-mini")
    assert api.base_url == f"{BASE}/acme/widgets/context/explain/v1"
    words = _curl_words(api.curl)
    assert words[:2] == ["curl", f"{BASE}/acme/widgets/context/explain/v1/chat/completions"]
    body = json.loads(words[words.index("-d") + 1])
    assert body["model"] == "gpt-4.1-mini" and body["messages"][0]["role"] == "user"
    assert "Authorization: Bearer $CONTEXTJSON_API_KEY" in words
    server = json.loads(api.mcp_config or "")["mcpServers"]["widgets-explain"]
    assert server == {
        "type": "http",
        "url": f"{BASE}/acme/widgets/context/explain/mcp",
        "headers": {"Authorization": "Bearer ${CONTEXTJSON_API_KEY}"},
    }


def test_a_hostile_branch_is_percent_encoded_and_every_snippet_stays_well_formed() -> None:
    api = context_snippets(BASE, "acme", "widgets", HOSTILE_BRANCH, "explain", "gpt-4.1-mini")
    assert api.base_url == f"{BASE}/acme/widgets/tree/feat/%3Cb%3E%22%27%24%28x%29%60y%60%20z/context/explain/v1"
    words = _curl_words(api.curl)  # the shell reads the URL as one word, with nothing substituted
    assert words[1] == f"{api.base_url}/chat/completions"
    compile(api.python, "snippet.py", "exec")
    namespace: dict[str, Any] = {}
    line = next(line for line in api.python.splitlines() if line.startswith("client = "))
    exec(line.replace("OpenAI(", "dict(").replace('os.environ["CONTEXTJSON_API_KEY"]', '"k"'), namespace)
    assert namespace["client"]["base_url"] == api.base_url
    assert json.loads(api.mcp_config or "")["mcpServers"]["widgets-explain"]["url"] == api.base_url[:-3] + "/mcp"


def test_a_quote_in_the_model_name_cannot_end_the_shell_word() -> None:
    api = plain_api_snippets(BASE, "it's-a-model")
    words = _curl_words(api.curl)
    assert json.loads(words[words.index("-d") + 1])["model"] == "it's-a-model"
    assert api.mcp_config is None and api.base_url == f"{BASE}/v1"
    compile(api.python, "snippet.py", "exec")


async def test_the_result_page_offers_its_context_as_an_api(
    service: Service, settings: Settings, fake_github: Any
) -> None:
    installed = await install_repo(service, fake_github)
    done = await installed.click_and_finish()
    page = (await service.client.get(f"/r/{done['id']}", headers={"Accept": "text/html"})).text
    base = f"{settings.public_base}/acme/widgets/context/explain/v1"
    assert "Use as API" in page and f"curl {base}/chat/completions" in page
    assert 'data-copy="api-curl"' in page and "/_static/copy.js" in page
    assert "&#34;mcpServers&#34;" in page or "&quot;mcpServers&quot;" in page  # escaped JSON, shown as text


async def test_a_branch_result_names_its_branch_escaped(service: Service, settings: Settings, fake_github: Any) -> None:
    installed = await install_repo(service, fake_github)
    await installed.push({"README.md": "# Widgets on a branch\n"}, branch="feat/<b>")
    done = await installed.click_and_finish("/tree/feat/%3Cb%3E/context/explain")
    page = (await service.client.get(f"/r/{done['id']}", headers={"Accept": "text/html"})).text
    assert f"{settings.public_base}/acme/widgets/tree/feat/%3Cb%3E/context/explain/v1" in page
    assert "feat/<b>" not in page and "feat/&lt;b&gt;" in page
