"""Context base URL refusals in OpenAI's shape; private repositories only for the installing account's keys."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from app.links.errors import unknown_repository_detail
from tests.conftest import Service
from tests.context_api.helpers import CONTEXT, HOST, QUESTION, context_setup, owner_caller, system_message

MODEL = "gpt-4.1-mini"


async def test_unknown_context_and_repository(service: Service, fake_github: Any, fake_llm: Any) -> None:
    setup = await context_setup(service, fake_github)
    for base, code in (
        ("/acme/widgets/context/nope", "context_not_found"),
        ("/acme/gadgets/context/explain", "repo_not_found"),
        ("/acme/widgets/tree/no/such/context/explain/v1", "branch_not_found"),
    ):
        with pytest.raises(openai.NotFoundError) as caught:
            await setup.caller.sdk(base=HOST + base).chat.completions.create(model=MODEL, messages=QUESTION)
        assert caught.value.code == code, caught.value.body
    assert fake_llm.call_count == 0 and await setup.caller.results() == []


async def test_no_key_or_a_bad_key_is_401(service: Service, fake_github: Any) -> None:
    await context_setup(service, fake_github)
    resp = await service.client.post(CONTEXT + "/v1/chat/completions", json={"messages": QUESTION})
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "invalid_api_key"
    assert "www-authenticate" in resp.headers
    resp = await service.client.post(
        "/acme/widgets/tree/main/context/explain/chat/completions",
        json={"messages": QUESTION},
        headers={"Authorization": "Bearer ctx_wrong"},
    )
    assert resp.status_code == 401 and resp.json()["error"]["type"] == "authentication_error"


async def test_invalid_context_json(service: Service, fake_github: Any, fake_llm: Any) -> None:
    bad = {"context": {"explain": {"summary": "x" * 200, "pathPatterns": ["**"]}}}
    setup = await context_setup(service, fake_github, context=bad)
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        await setup.caller.sdk(base=HOST + CONTEXT).chat.completions.create(model=MODEL, messages=QUESTION)
    assert caught.value.code == "context_invalid" and "summary" in str(caught.value.message)
    assert fake_llm.call_count == 0


async def test_a_bad_body_is_400(service: Service, fake_github: Any) -> None:
    setup = await context_setup(service, fake_github)
    headers = {"Authorization": f"Bearer {setup.caller.key}"}
    resp = await service.client.post(CONTEXT + "/v1/chat/completions", content=b"{", headers=headers)
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "invalid_request_error"


async def test_private_repository_only_for_the_owners_keys(service: Service, fake_github: Any, fake_llm: Any) -> None:
    setup = await context_setup(service, fake_github, private=True)
    owner = await owner_caller(service)
    fake_llm.script("Private answer.")
    completion = await owner.sdk(base=HOST + CONTEXT).chat.completions.create(model=MODEL, messages=QUESTION)
    assert completion.choices[0].message.content == "Private answer."
    assert "def widget():" in system_message(fake_llm.calls[-1])
    await owner.assert_reconciles()
    calls = fake_llm.call_count

    stranger_headers = {"Authorization": f"Bearer {setup.caller.key}"}
    for path in (CONTEXT + "/v1/chat/completions", "/acme/widgets/tree/main/context/explain/chat/completions"):
        private = await service.client.post(path, json={"model": MODEL, "messages": QUESTION}, headers=stranger_headers)
        unknown = await service.client.post(
            path.replace("widgets", "gadgets"), json={"model": MODEL, "messages": QUESTION}, headers=stranger_headers
        )
        assert private.status_code == unknown.status_code == 404
        assert private.content == unknown.content.replace(b"gadgets", b"widgets")
        assert private.headers["cache-control"] == unknown.headers["cache-control"] == "private, no-store"
        assert json.loads(private.content)["error"]["message"] == unknown_repository_detail("acme", "widgets")
    explained = await service.client.get(CONTEXT + "/v1")
    assert explained.status_code == 404 and explained.json()["error"]["code"] == "repo_not_found"
    owners = await service.client.get(CONTEXT + "/v1", headers={"Authorization": f"Bearer {owner.key}"})
    assert owners.status_code == 200 and owners.headers["cache-control"] == "private, no-store"
    assert fake_llm.call_count == calls and await setup.caller.results() == []


async def test_get_on_a_base_url_explains_it(service: Service, fake_github: Any) -> None:
    setup = await context_setup(service, fake_github)
    await setup.installed.push({"README.md": "# Widgets 2\n"}, branch="feature/x")
    public = service.clients.settings.public_base
    for path, url in (
        (CONTEXT + "/v1", public + CONTEXT),
        (CONTEXT + "/chat/completions", public + CONTEXT),
        (CONTEXT + "/v1/chat/completions", public + CONTEXT),
        ("/acme/widgets/tree/feature/x/context/explain/v1", public + "/acme/widgets/tree/feature/x/context/explain"),
        (
            "/acme/widgets/tree/feature/x/context/explain/v1/chat/completions",
            public + "/acme/widgets/tree/feature/x/context/explain",
        ),
    ):
        resp = await service.client.get(path)
        assert resp.status_code == 200, (path, resp.text)
        assert resp.headers["content-type"] == "text/plain; charset=utf-8"  # one charset, as sent
        text = resp.text
        assert f"curl {url}/v1/chat/completions" in text and f'base_url="{url}/v1"' in text
        assert f"{url}/mcp" in text and "from openai import OpenAI" in text
    missing = await service.client.get("/acme/widgets/tree/main/context/nope/v1")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "context_not_found"
    assert (await service.client.get("/acme/widgets/context/nope/v1")).json() == missing.json()
    link = await service.client.get("/acme/widgets/tree/feature/x/context/explain")
    assert link.status_code == 303  # the visitor link itself is unchanged
