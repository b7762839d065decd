"""Owners whose login is a service route's first segment, GitHub outages, kept answers and renamed repositories."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from tests.conftest import Service
from tests.context_api.helpers import CONTEXT, HOST, QUESTION, context_setup, system_message
from tests.links.helpers import CONTEXT as CONTEXT_JSON
from tests.links.helpers import INSTALLATION_ID
from tests.support.payloads import installation_payload
from tests.webhooks.repo_payloads import repository_payload

MODEL = "gpt-4.1-mini"


async def test_an_owner_named_like_a_route(service: Service, fake_github: Any, fake_llm: Any) -> None:
    setup = await context_setup(service, fake_github)
    files = {
        "README.md": "# Tools\n",
        "src/tools.py": "def tool():\n    pass\n",
        "context.json": json.dumps(CONTEXT_JSON),
    }
    repo = fake_github.add_repo("v1", "tools", files=files)
    fake_github.add_installation(6160, "v1", [repo.id])
    payload = installation_payload("created", 6160, fake_github.account("v1"), [repo])
    assert (await service.send_webhook("installation", payload)).status_code == 202
    await service.drain_jobs()
    for base in ("/v1/tools/context/explain", "/v1/tools/context/explain/v1", "/v1/tools/tree/main/context/explain/v1"):
        await setup.caller.sdk(base=HOST + base).chat.completions.create(model=MODEL, messages=QUESTION)
        assert "def tool():" in system_message(fake_llm.calls[-1])
    explained = await service.client.get("/v1/tools/context/explain/v1")
    assert explained.status_code == 200 and "base_url=" in explained.text
    assert (await service.client.get("/v1/tools/context/explain")).status_code == 303  # its visitor link


async def test_github_unavailable_is_502_and_nothing_is_charged(
    service: Service, fake_github: Any, fake_llm: Any
) -> None:
    setup = await context_setup(service, fake_github)
    fake_github.fail_next("GET", r"/tarball/", 502, times=20)
    with pytest.raises(openai.APIStatusError) as caught:
        await setup.caller.sdk(base=HOST + CONTEXT).chat.completions.create(model=MODEL, messages=QUESTION)
    assert caught.value.status_code == 502 and caught.value.code == "github_unavailable"
    assert fake_llm.call_count == 0 and await setup.caller.results() == []
    assert len(service.app.state.context_messages) == 0  # a failed build is not kept


async def test_x_cache_use_replays_a_kept_context_answer(service: Service, fake_github: Any, fake_llm: Any) -> None:
    setup = await context_setup(service, fake_github)
    sdk = setup.caller.sdk(base=HOST + CONTEXT + "/v1")
    fake_llm.script("Once.")
    await sdk.chat.completions.create(model=MODEL, messages=QUESTION, store=True)
    calls, balance = fake_llm.call_count, (await setup.caller.account()).balance_micros
    raw = await sdk.chat.completions.with_raw_response.create(
        model=MODEL, messages=QUESTION, extra_headers={"X-Cache": "use"}
    )
    assert raw.headers["x-cache"] == "hit" and raw.parse().choices[0].message.content == "Once."
    assert fake_llm.call_count == calls and (await setup.caller.account()).balance_micros == balance
    # the same question of another context is another request
    other = setup.caller.sdk(base=HOST + "/acme/widgets/context/docs/v1")
    raw = await other.chat.completions.with_raw_response.create(
        model=MODEL, messages=QUESTION, extra_headers={"X-Cache": "use"}
    )
    assert "x-cache" not in raw.headers and fake_llm.call_count == calls + 1


async def test_a_renamed_repository_is_followed(service: Service, fake_github: Any, fake_llm: Any) -> None:
    setup = await context_setup(service, fake_github)
    await setup.caller.sdk(base=HOST + CONTEXT).chat.completions.create(model=MODEL, messages=QUESTION)
    fake_github.edit_repo(setup.installed.repo, name="gizmos")
    payload = repository_payload("renamed", setup.installed.repo, INSTALLATION_ID, old_name="widgets")
    assert (await service.send_webhook("repository", payload)).status_code == 202
    await service.drain_jobs()
    await setup.caller.sdk(base=HOST + CONTEXT).chat.completions.create(model=MODEL, messages=QUESTION)
    assert "acme/gizmos" in system_message(fake_llm.calls[-1])
