"""Every context is an OpenAI base URL: the official SDK against `…/context/{id}` and `…/context/{id}/v1`."""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest

from tests.conftest import Service
from tests.context_api.helpers import CONTEXT, HOST, QUESTION, context_setup, system_message

MODEL = "gpt-4.1-mini"
BASES = [
    CONTEXT,
    CONTEXT + "/v1",
    "/acme/widgets/tree/main/context/explain",
    "/acme/widgets/tree/main/context/explain/v1",
]


@pytest.mark.parametrize("base", BASES)
async def test_each_base_url_form_answers_with_the_context_first(
    service: Service, fake_github: Any, fake_llm: Any, base: str
) -> None:
    setup = await context_setup(service, fake_github)
    fake_llm.script("It is in src/widgets.py.")
    owner_before = await setup.owner_balance()
    completion = await setup.caller.sdk(base=HOST + base).chat.completions.create(model=MODEL, messages=QUESTION)
    assert completion.choices[0].message.content == "It is in src/widgets.py."
    sent = fake_llm.calls[-1].body
    system = system_message(fake_llm.calls[-1])
    assert "acme/widgets (branch main)" in system and "def widget():" in system and "# Widgets" in system
    assert "docs/guide.md" not in system  # the entry's patterns select the files
    assert "Explain what acme/widgets does on main." in system  # the entry's rendered prompt
    assert sent["messages"][1:] == QUESTION and sent["model"] == MODEL
    assert await setup.owner_balance() == owner_before  # billed to the caller, not the repo owner
    (result,) = await setup.caller.results()
    assert result.cost_micros > 0 and result.api_key_id == setup.caller.key_id
    await setup.caller.assert_reconciles()


async def test_a_branch_with_a_slash(service: Service, fake_github: Any, fake_llm: Any) -> None:
    setup = await context_setup(service, fake_github)
    await setup.installed.push({"src/widgets.py": "def feature_widget():\n    return 7\n"}, branch="feature/x")
    for base in ("/acme/widgets/tree/feature/x/context/explain", "/acme/widgets/tree/feature%2Fx/context/explain/v1"):
        sdk = setup.caller.sdk(base=HOST + base)
        await sdk.chat.completions.create(model=MODEL, messages=QUESTION)
        system = system_message(fake_llm.calls[-1])
        assert "(branch feature/x)" in system and "def feature_widget():" in system
    await setup.caller.assert_reconciles()


async def test_streaming(service: Service, fake_github: Any, fake_llm: Any) -> None:
    setup = await context_setup(service, fake_github)
    fake_llm.script("Streamed about widgets.")
    stream = await setup.caller.sdk(base=HOST + CONTEXT + "/v1").chat.completions.create(
        model=MODEL, messages=QUESTION, stream=True, stream_options={"include_usage": True}
    )
    chunks = [chunk async for chunk in stream]
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Streamed about widgets."
    assert chunks[-1].usage is not None
    assert "def widget():" in system_message(fake_llm.calls[-1])
    await setup.caller.assert_reconciles()


@pytest.mark.parametrize("stream", [False, True])
async def test_store_keeps_the_callers_messages_not_the_repository(
    service: Service, fake_github: Any, fake_llm: Any, stream: bool
) -> None:
    setup = await context_setup(service, fake_github)
    fake_llm.script("Kept.")
    sdk = setup.caller.sdk(base=HOST + CONTEXT)
    if stream:
        chunks = [
            c async for c in await sdk.chat.completions.create(model=MODEL, messages=QUESTION, stream=True, store=True)
        ]
        result_url = chunks[-1].model_extra["result_url"]  # type: ignore[index]
    else:
        raw = await sdk.chat.completions.with_raw_response.create(model=MODEL, messages=QUESTION, store=True)
        result_url = raw.headers["x-result-url"]
    (result,) = await setup.caller.results()
    assert result_url == f"{HOST}/r/{result.id}"
    assert result.request is not None and result.request["messages"] == QUESTION
    assert "def widget" not in json.dumps(result.request)
    assert result.request["context"]["owner"] == "acme" and result.request["context"]["context_id"] == "explain"
    page = await service.client.get(f"/r/{result.id}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Kept." in page.text and "acme/widgets" in page.text
    data = (await service.client.get(f"/r/{result.id}.json")).json()
    assert (data["repo"], data["branch"], data["context_id"]) == ("acme/widgets", "main", "explain")
    await setup.caller.assert_reconciles()


async def test_model_may_be_left_out(service: Service, fake_github: Any, fake_llm: Any) -> None:
    setup = await context_setup(service, fake_github)
    headers = {"Authorization": f"Bearer {setup.caller.key}"}
    resp = await service.client.post(CONTEXT + "/chat/completions", json={"messages": QUESTION}, headers=headers)
    assert resp.status_code == 200, resp.text
    assert fake_llm.calls[-1].body["model"] == service.clients.catalog.default_model
    resp = await service.client.post(
        CONTEXT + "/chat/completions", json={"model": "gpt-4o-mini", "messages": QUESTION}, headers=headers
    )
    assert resp.status_code == 200 and fake_llm.calls[-1].body["model"] == "gpt-4o-mini"
    assert len(service.app.state.context_messages) == 2  # built for each model's window


async def test_built_context_is_kept_between_calls(service: Service, fake_github: Any, fake_llm: Any) -> None:
    setup = await context_setup(service, fake_github)
    sdk = setup.caller.sdk(base=HOST + CONTEXT + "/v1")
    await sdk.chat.completions.create(model=MODEL, messages=QUESTION)
    tarballs = len(fake_github.find_requests("GET", r"/tarball/"))
    assert tarballs == 1
    shutil.rmtree(service.clients.settings.snapshot_cache_dir)  # nothing on disk to rebuild from
    await sdk.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "And tests?"}])
    assert len(fake_github.find_requests("GET", r"/tarball/")) == tarballs
    first, second = fake_llm.calls[-2:]
    assert system_message(first) == system_message(second)
    assert len(service.app.state.context_messages) == 1


async def test_models(service: Service, fake_github: Any) -> None:
    setup = await context_setup(service, fake_github)
    for base in (CONTEXT, CONTEXT + "/v1", "/acme/widgets/tree/main/context/explain/v1"):
        models = await setup.caller.sdk(base=HOST + base).models.list()
        assert {m.id for m in models.data} == set(service.clients.catalog.models)
