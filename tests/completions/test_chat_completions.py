"""POST /v1/chat/completions and GET /v1/models with the official OpenAI SDK: answers, billing, store, cache."""

from __future__ import annotations

import json
from typing import Any

from tests.completions.helpers import Caller, api_caller
from tests.conftest import Service

MODEL = "gpt-4.1-mini"
QUESTION = [{"role": "user", "content": "What does contextjson do?"}]


async def test_models_are_the_configured_list(service: Service, fake_github: Any) -> None:
    caller = await api_caller(service, fake_github)
    models = await caller.sdk().models.list()
    assert {model.id for model in models.data} == set(service.clients.catalog.models)
    assert all(model.object == "model" for model in models.data)


async def test_a_plain_completion_is_answered_and_charged_once(
    service: Service, fake_github: Any, fake_llm: Any
) -> None:
    caller = await api_caller(service, fake_github)
    fake_llm.script("It builds LLM answers about repositories.")
    before = (await caller.account()).balance_micros
    raw = await caller.sdk().chat.completions.with_raw_response.create(model=MODEL, messages=QUESTION)
    completion = raw.parse()
    assert completion.choices[0].message.content == "It builds LLM answers about repositories."
    assert completion.usage is not None and completion.usage.completion_tokens > 0
    assert "x-result-url" not in raw.headers  # not stored: nothing is kept, no page
    (result,) = await caller.results()
    assert result.stored is False and result.text == "" and result.api_key_id == caller.key_id
    assert result.prompt_tokens == completion.usage.prompt_tokens
    assert result.cost_micros > 0 and (await caller.account()).balance_micros == before - result.cost_micros
    assert (await service.client.get(f"/r/{result.id}")).status_code == 404
    assert "store" not in fake_llm.calls[-1].body
    await caller.assert_reconciles()


async def test_store_keeps_a_result_page(service: Service, fake_github: Any, fake_llm: Any) -> None:
    caller = await api_caller(service, fake_github)
    fake_llm.script("Kept answer.")
    raw = await caller.sdk().chat.completions.with_raw_response.create(model=MODEL, messages=QUESTION, store=True)
    completion = raw.parse()
    url = raw.headers["x-result-url"]
    assert url == f"http://contextjson.test/r/{completion.id}"
    assert completion.model_extra and completion.model_extra["result_url"] == url
    page = await service.client.get(f"/r/{completion.id}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Kept answer." in page.text
    assert "store" not in fake_llm.calls[-1].body
    await caller.assert_reconciles()


async def test_standard_parameters_reach_the_upstream_untouched(
    service: Service, fake_github: Any, fake_llm: Any
) -> None:
    caller = await api_caller(service, fake_github)
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}]
    await caller.sdk().chat.completions.create(
        model=MODEL,
        messages=QUESTION,
        tools=tools,  # type: ignore[arg-type]
        response_format={"type": "json_object"},
        temperature=0.2,
        seed=7,
        max_tokens=50,
    )
    sent = fake_llm.calls[-1].body
    assert sent["tools"] == tools and sent["response_format"] == {"type": "json_object"}
    assert (sent["temperature"], sent["seed"], sent["max_tokens"]) == (0.2, 7, 50)


async def _collect(stream: Any) -> tuple[str, list[Any]]:
    chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    return text, chunks


async def test_streaming_relays_chunks_and_usage_only_when_asked(
    service: Service, fake_github: Any, fake_llm: Any
) -> None:
    caller = await api_caller(service, fake_github)
    sdk = caller.sdk()
    fake_llm.script("one two three four five six", times=1)
    text, chunks = await _collect(await sdk.chat.completions.create(model=MODEL, messages=QUESTION, stream=True))
    assert text == "one two three four five six" and all(c.usage is None for c in chunks)
    assert fake_llm.calls[-1].body["stream_options"] == {"include_usage": True}  # what billing charges
    fake_llm.script("seven eight")
    text, chunks = await _collect(
        await sdk.chat.completions.create(
            model=MODEL, messages=QUESTION, stream=True, stream_options={"include_usage": True}
        )
    )
    assert text == "seven eight" and chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    second = (await caller.results())[-1]
    assert second.completion_tokens == chunks[-1].usage.completion_tokens and second.cost_micros > 0
    await caller.assert_reconciles()


async def test_a_stored_stream_names_its_result(service: Service, fake_github: Any, fake_llm: Any) -> None:
    caller = await api_caller(service, fake_github)
    fake_llm.script("Streamed and kept.")
    stream = await caller.sdk().chat.completions.with_raw_response.create(
        model=MODEL, messages=QUESTION, stream=True, store=True
    )
    url = stream.headers["x-result-url"]
    text, chunks = await _collect(stream.parse())
    result_id = url.rsplit("/", 1)[1]
    assert text == "Streamed and kept." and {c.id for c in chunks} == {result_id}
    assert chunks[-1].choices == [] and chunks[-1].model_extra["result_url"] == url
    page = await service.client.get(f"/r/{result_id}.json")
    assert page.status_code == 200 and page.json()["text"] == "Streamed and kept."
    await caller.assert_reconciles()


async def test_cached_answers_only_when_asked_and_free(service: Service, fake_github: Any, fake_llm: Any) -> None:
    caller = await api_caller(service, fake_github)
    sdk = caller.sdk()
    fake_llm.script("First answer.", times=1)
    fake_llm.script("Second answer.")
    first = await sdk.chat.completions.create(model=MODEL, messages=QUESTION, store=True)
    calls, ledger = fake_llm.call_count, len(await caller.ledger())
    raw = await sdk.chat.completions.with_raw_response.create(
        model=MODEL, messages=QUESTION, extra_headers={"X-Cache": "use"}
    )
    hit = raw.parse()
    assert raw.headers["x-cache"] == "hit" and hit.choices[0].message.content == "First answer."
    assert hit.id == first.id and fake_llm.call_count == calls and len(await caller.ledger()) == ledger
    streamed, chunks = await _collect(
        await sdk.chat.completions.create(model=MODEL, messages=QUESTION, stream=True, extra_headers={"X-Cache": "use"})
    )
    assert streamed == "First answer." and fake_llm.call_count == calls
    fresh = await sdk.chat.completions.create(model=MODEL, messages=QUESTION)  # not asked: a new answer, paid
    assert fresh.choices[0].message.content == "Second answer." and fake_llm.call_count == calls + 1
    other = await sdk.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "else"}], extra_headers={"X-Cache": "use"}
    )
    assert other.choices[0].message.content == "Second answer." and fake_llm.call_count == calls + 2
    await caller.assert_reconciles()


async def test_the_same_routes_answer_without_v1(service: Service, fake_github: Any, fake_llm: Any) -> None:
    caller = await api_caller(service, fake_github)
    fake_llm.script("No prefix.")
    completion = await caller.sdk(base="http://contextjson.test").chat.completions.create(
        model=MODEL, messages=QUESTION
    )
    assert completion.choices[0].message.content == "No prefix."


async def _raw_post(caller: Caller, body: dict[str, Any]) -> Any:
    return await caller.service.client.post(
        "/v1/chat/completions", content=json.dumps(body), headers={"Authorization": f"Bearer {caller.key}"}
    )
