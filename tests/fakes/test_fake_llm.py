"""FakeLLM driven through the real openai SDK (sync and async), and raw httpx where the SDK hides the wire."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import httpx
import openai
import pytest

from tests.fakes import fixtures
from tests.fakes.llm import FakeLLM, default_reply, estimate_completion_tokens, estimate_prompt_tokens, split_chunks

fake_llm = fixtures.fake_llm  # make the shared fixture visible to this module

KEY = "test-llm-key"
MESSAGES = [
    {"role": "system", "content": "You explain repositories."},
    {"role": "user", "content": "What does octo/hello do?"},
]


@pytest.fixture(scope="module")
def shared_llm() -> Iterator[FakeLLM]:
    with FakeLLM() as llm:
        yield llm


@pytest.fixture
def fake(shared_llm: FakeLLM) -> FakeLLM:
    """One server for the module, reset per test: each uvicorn shutdown costs ~0.15 s (its 0.1 s ticks)."""
    shared_llm.reset()
    shared_llm.first_token_delay = shared_llm.token_delay = 0.0
    return shared_llm


def client(fake: FakeLLM, **kwargs) -> openai.OpenAI:
    kwargs.setdefault("max_retries", 0)
    return openai.OpenAI(api_key=kwargs.pop("api_key", KEY), base_url=fake.url, **kwargs)


def async_client(fake: FakeLLM, **kwargs) -> openai.AsyncOpenAI:
    kwargs.setdefault("max_retries", 0)
    return openai.AsyncOpenAI(api_key=kwargs.pop("api_key", KEY), base_url=fake.url, **kwargs)


def test_fixture_serves_a_fresh_fake(fake_llm: FakeLLM) -> None:
    assert fake_llm.url.endswith("/v1") and fake_llm.api_key == KEY and fake_llm.call_count == 0
    with client(fake_llm) as llm:
        assert llm.chat.completions.create(model="gpt-4.1", messages=MESSAGES).choices[0].finish_reason == "stop"
    assert fake_llm.call_count == 1


def test_text_helpers_are_deterministic() -> None:
    reply = default_reply(MESSAGES, reply_words=12)
    assert reply.startswith("Answer to: What does octo/hello do? lorem ipsum")
    assert len(reply.split()) == 12 == estimate_completion_tokens(reply)
    assert default_reply([{"role": "system", "content": "only  system\nprompt"}], 3) == "Answer to: only system prompt"
    assert split_chunks("a  b\nc ") == ["a", "  b", "\nc", " "]
    # ceil((25 + 24) / 4) + 4 per message
    assert estimate_prompt_tokens(MESSAGES) == 13 + 8


def test_sync_completion_matches_the_estimators(fake: FakeLLM) -> None:
    with client(fake) as llm:
        completion = llm.chat.completions.create(model="gpt-4.1-mini", messages=MESSAGES, temperature=0.2)

    expected = default_reply(MESSAGES)
    assert completion.object == "chat.completion" and completion.id.startswith("chatcmpl-")
    assert completion.model == "gpt-4.1-mini" and completion.created > 0
    choice = completion.choices[0]
    assert (choice.message.role, choice.message.content, choice.finish_reason) == ("assistant", expected, "stop")
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == estimate_prompt_tokens(MESSAGES)
    assert completion.usage.completion_tokens == estimate_completion_tokens(expected) == 40
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens
    [call] = fake.calls
    assert call.body == {"model": "gpt-4.1-mini", "messages": MESSAGES, "temperature": 0.2}
    assert call.headers["authorization"] == f"Bearer {KEY}" and call.status == 200
    assert fake.call_count == 1


async def test_async_stream_with_usage(fake: FakeLLM) -> None:
    async with async_client(fake) as llm:
        stream = await llm.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        chunks = [chunk async for chunk in stream]

    expected = default_reply(MESSAGES)
    first, *content, finish, last = chunks
    assert first.choices[0].delta.role == "assistant" and first.choices[0].delta.content == ""
    assert "".join(c.choices[0].delta.content for c in content) == expected
    assert [c.choices[0].delta.content for c in content] == split_chunks(expected)
    assert all(c.object == "chat.completion.chunk" and c.id == first.id and c.usage is None for c in chunks[:-1])
    assert finish.choices[0].finish_reason == "stop" and finish.choices[0].delta.content is None
    assert last.choices == [] and last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens) == (estimate_prompt_tokens(MESSAGES), 40)
    assert last.usage.total_tokens == estimate_prompt_tokens(MESSAGES) + 40


def test_sync_stream_without_usage_and_scripts(fake: FakeLLM) -> None:
    fake.script("First scripted.", times=1)
    fake.script("Then this one.")
    fake.script_for("octo/hello", "About octo/hello.", times=1)
    fake.script_for(lambda body: body["model"] == "gpt-4.1", "Predicate matched.")

    def ask(model: str = "gpt-4.1-mini", content: str = "hi") -> str:
        with client(fake) as llm:
            stream = llm.chat.completions.create(
                model=model, messages=[{"role": "user", "content": content}], stream=True
            )
            chunks = list(stream)
        assert all(c.usage is None for c in chunks) and chunks[-1].choices[0].finish_reason == "stop"
        return "".join(c.choices[0].delta.content or "" for c in chunks)

    assert ask(content="tell me about octo/hello") == "About octo/hello."
    assert ask(content="tell me about octo/hello") == "First scripted."  # the substring rule ran out
    assert ask(model="gpt-4.1") == "Predicate matched."
    assert ask() == ask() == "Then this one."
    fake.reset()
    assert fake.call_count == 0
    assert ask() == default_reply([{"role": "user", "content": "hi"}])


def test_wrong_or_missing_key_is_401(fake: FakeLLM) -> None:
    with client(fake, api_key="sk-wrong-key-123456") as llm, pytest.raises(openai.AuthenticationError) as info:
        llm.chat.completions.create(model="gpt-4.1", messages=MESSAGES)
    assert info.value.status_code == 401 and info.value.code == "invalid_api_key"
    assert "sk-***3456" in info.value.message

    response = httpx.post(f"{fake.url}/chat/completions", json={"model": "gpt-4.1", "messages": MESSAGES})
    assert response.status_code == 401
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_unknown_model_is_404_model_not_found(fake: FakeLLM) -> None:
    with client(fake) as llm, pytest.raises(openai.NotFoundError) as info:
        llm.chat.completions.create(model="gpt-9", messages=MESSAGES)
    assert info.value.code == "model_not_found" and "`gpt-9`" in info.value.message


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "gpt-4.1"}, "messages"),
        ({"model": "gpt-4.1", "messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
        ({"model": "gpt-4.1", "messages": MESSAGES, "max_tokens": 0}, "max_tokens"),
        ({"model": "gpt-4.1", "messages": MESSAGES, "temperature": 3}, "temperature"),
        ({"model": "gpt-4.1", "messages": MESSAGES, "stream_options": {"include_usage": True}}, "stream_options"),
    ],
)
def test_invalid_bodies_are_400(fake: FakeLLM, body: dict, param: str) -> None:
    response = httpx.post(f"{fake.url}/chat/completions", json=body, headers={"authorization": f"Bearer {KEY}"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param
    assert fake.calls[0].status == 400


def test_fail_next_then_recovers(fake: FakeLLM) -> None:
    fake.fail_next(status=500, message="boom")
    with client(fake) as llm:
        with pytest.raises(openai.InternalServerError) as info:
            llm.chat.completions.create(model="gpt-4.1", messages=MESSAGES)
        assert info.value.status_code == 500 and "boom" in info.value.message
        assert info.value.body == {"message": "boom", "type": "server_error", "param": None, "code": None}
        assert llm.chat.completions.create(model="gpt-4.1", messages=MESSAGES).choices[0].finish_reason == "stop"
    assert [(c.status, c.fault) for c in fake.calls] == [(500, "fail"), (200, None)]


def test_rate_limit_carries_retry_after_and_the_sdk_retries(fake: FakeLLM) -> None:
    fake.rate_limit_next(retry_after=0.01)
    with client(fake) as llm, pytest.raises(openai.RateLimitError) as info:
        llm.chat.completions.create(model="gpt-4.1", messages=MESSAGES)
    assert info.value.response.headers["retry-after"] == "0.01" and info.value.code == "rate_limit_exceeded"

    fake.rate_limit_next(times=2, retry_after=0.01)
    with client(fake, max_retries=2) as llm:
        assert llm.chat.completions.create(model="gpt-4.1", messages=MESSAGES).choices[0].finish_reason == "stop"
    assert [c.status for c in fake.calls] == [429, 429, 429, 200]
    assert [c.headers["x-stainless-retry-count"] for c in fake.calls[1:]] == ["0", "1", "2"]


def test_cut_stream_raises_connection_error_mid_stream(fake: FakeLLM) -> None:
    fake.cut_stream_next(after_chunks=3)
    received = []
    with client(fake) as llm:
        stream = llm.chat.completions.create(model="gpt-4.1", messages=MESSAGES, stream=True)
        # What the SDK actually does: the chunks before the cut arrive, then the incomplete chunked body
        # surfaces as APIConnectionError (never a clean end without finish_reason).
        with pytest.raises(openai.APIConnectionError) as info:
            for chunk in stream:
                received.append(chunk)
        assert "incomplete chunked read" in repr(info.value.__cause__)
        assert [c.choices[0].delta.content for c in received] == ["", "Answer", " to:"]
        # The next stream is whole again.
        tail = list(llm.chat.completions.create(model="gpt-4.1", messages=MESSAGES, stream=True))
    assert tail[-1].choices[0].finish_reason == "stop"
    assert [c.fault for c in fake.calls] == ["cut", None]


def test_stall_times_out_the_client_and_ends_when_it_leaves(fake: FakeLLM) -> None:
    fake.stall_next(30)
    with client(fake, timeout=0.2) as llm:
        started = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            llm.chat.completions.create(model="gpt-4.1", messages=MESSAGES)
        assert 0.2 <= time.monotonic() - started < 1
        assert llm.chat.completions.create(model="gpt-4.1", messages=MESSAGES).choices[0].finish_reason == "stop"
    assert [c.fault for c in fake.calls] == ["stall", None]


def test_short_stall_then_answers(fake: FakeLLM) -> None:
    fake.stall_next(0.15)
    started = time.monotonic()
    with client(fake) as llm:
        completion = llm.chat.completions.create(model="gpt-4.1", messages=MESSAGES)
    assert time.monotonic() - started >= 0.15 and completion.choices[0].message.content == default_reply(MESSAGES)


async def test_max_tokens_cuts_with_finish_reason_length(fake: FakeLLM) -> None:
    expected = "".join(split_chunks(default_reply(MESSAGES))[:5])
    async with async_client(fake) as llm:
        completion = await llm.chat.completions.create(model="gpt-4.1", messages=MESSAGES, max_tokens=5)
        stream = await llm.chat.completions.create(
            model="gpt-4.1",
            messages=MESSAGES,
            max_completion_tokens=5,
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
    assert completion.choices[0].finish_reason == "length" and completion.choices[0].message.content == expected
    assert completion.usage is not None and completion.usage.completion_tokens == 5
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == expected
    assert chunks[-2].choices[0].finish_reason == "length"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 5


async def test_first_token_delay_is_honoured(fake: FakeLLM) -> None:
    fake.first_token_delay, fake.token_delay = 0.3, 0.002
    async with async_client(fake) as llm:
        started = time.monotonic()
        stream = await llm.chat.completions.create(model="gpt-4.1", messages=MESSAGES, stream=True)
        headers_at = time.monotonic()
        first_content_at = None
        async for chunk in stream:
            if first_content_at is None and chunk.choices and chunk.choices[0].delta.content:
                first_content_at = time.monotonic()
        finished = time.monotonic()
    assert first_content_at is not None
    assert headers_at - started < 0.25  # headers and the role chunk come before the delay
    assert first_content_at - started >= 0.3
    [server_first_token] = fake.first_token_times
    assert started + 0.3 <= server_first_token <= first_content_at
    assert finished - first_content_at >= 39 * 0.002  # token_delay between the 40 content chunks


async def test_concurrent_requests_are_all_recorded(fake: FakeLLM) -> None:
    async with async_client(fake) as llm:
        replies = await asyncio.gather(
            *(
                llm.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": f"q{i}"}])
                for i in range(20)
            )
        )
    assert [r.choices[0].message.content.split()[2] for r in replies] == [f"q{i}" for i in range(20)]
    assert fake.call_count == 20


def test_models_list(fake: FakeLLM) -> None:
    with client(fake) as llm:
        models = list(llm.models.list())
    assert [m.id for m in models] == ["gpt-4.1", "gpt-4.1-mini", "gpt-4o-mini"]
    assert all(m.object == "model" and m.owned_by == "openai" for m in models)
    assert httpx.get(f"{fake.url}/models").status_code == 401
    assert httpx.get(f"{fake.url}/nope", headers={"authorization": f"Bearer {KEY}"}).status_code == 404


def test_raw_sse_framing(fake: FakeLLM) -> None:
    fake.script("one two three")
    body = {"model": "gpt-4.1", "messages": MESSAGES, "stream": True, "stream_options": {"include_usage": True}}
    headers = {"authorization": f"Bearer {KEY}"}
    with httpx.stream("POST", f"{fake.url}/chat/completions", json=body, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert "content-length" not in response.headers  # streamed with chunked encoding
        raw = response.read().decode()

    assert raw.endswith("data: [DONE]\n\n")
    events = raw.split("\n\n")
    assert events[-1] == "" and events[-2] == "data: [DONE]"
    assert all(e.startswith("data: ") and "\n" not in e for e in events[:-1])
    data = [json.loads(e.removeprefix("data: ")) for e in events[:-2]]
    assert [d["choices"][0]["delta"] for d in data[:-1]] == [
        {"role": "assistant", "content": ""},
        {"content": "one"},
        {"content": " two"},
        {"content": " three"},
        {},
    ]
    assert [d["choices"][0]["finish_reason"] for d in data[:-1]] == [None, None, None, None, "stop"]
    assert all(d["usage"] is None for d in data[:-1])
    assert data[-1]["choices"] == [] and data[-1]["usage"] == {
        "prompt_tokens": estimate_prompt_tokens(MESSAGES),
        "completion_tokens": 3,
        "total_tokens": estimate_prompt_tokens(MESSAGES) + 3,
    }
