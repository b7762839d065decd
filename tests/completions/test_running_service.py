"""The official OpenAI SDK against `contextjson serve` over real HTTP: a key made with `contextjson apikey`,
streaming as it happens, and a caller who hangs up mid-stream paying only for what was produced."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import openai
import pytest

from tests.browser.server import serve_with_api_key

FILES = {
    "README.md": "# widgets\n",
    "context.json": json.dumps({"context": {"explain": {"summary": "Explain", "pathPatterns": ["README.md"]}}}),
}


@pytest.fixture
def served(fake_github: Any, fake_llm: Any, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The service's base URL and an API key of acme, made on the server with the CLI."""
    with serve_with_api_key(fake_github, fake_llm, tmp_path, FILES, "sdk") as served:
        yield served


def test_the_sdk_streams_and_stores_against_the_running_service(served: tuple[str, str], fake_llm: Any) -> None:
    base, key = served
    sdk = openai.OpenAI(api_key=key, base_url=f"{base}/v1", max_retries=0)
    fake_llm.script("Answered over real HTTP.")
    raw = sdk.chat.completions.with_raw_response.create(
        model="gpt-4.1-mini",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        store=True,
        stream_options={"include_usage": True},
    )
    chunks = list(raw.parse())
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    usage = [c.usage for c in chunks if c.usage]
    assert text == "Answered over real HTTP." and len(usage) == 1
    page = httpx.get(_here(base, raw.headers["x-result-url"]) + ".json")
    assert page.status_code == 200 and page.json()["text"] == text
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(api_key="cj_" + "y" * 40, base_url=f"{base}/v1", max_retries=0).models.list()


def test_a_caller_who_hangs_up_mid_stream_pays_for_what_was_produced(served: tuple[str, str], fake_llm: Any) -> None:
    base, key = served
    fake_llm.token_delay = 0.05  # 300 words would take 15 s: the caller leaves long before
    fake_llm.script(" ".join(f"word{i}" for i in range(300)))
    sdk = openai.OpenAI(api_key=key, base_url=f"{base}/v1", max_retries=0)
    started = time.monotonic()
    raw = sdk.chat.completions.with_raw_response.create(
        model="gpt-4.1-mini", messages=[{"role": "user", "content": "long"}], stream=True, store=True
    )
    url = _here(base, raw.headers["x-result-url"])
    stream = raw.parse()
    for index, _chunk in enumerate(stream):
        if index == 5:
            break
    stream.close()
    account = _settled_account(base, key)
    assert time.monotonic() - started < 10  # the upstream call ended with the caller, not after all 300 words
    kept = httpx.get(url + ".json").json()
    assert 0 < len(kept["text"].split()) < 300
    ledger = httpx.get(f"{base}/api/account/ledger", headers={"Authorization": f"Bearer {key}"}).json()
    debit = next(item for item in ledger if item["kind"] == "debit")
    assert debit["result_id"] == url.rsplit("/", 1)[1] and float(debit["amount_usd"]) < 0
    assert account["reserved_usd"] == "0.000000"


def _here(base: str, url: str) -> str:
    """The result's address on this server (PUBLIC_URL is not the test server's own address)."""
    return base + urlsplit(url).path


def _settled_account(base: str, key: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        account: dict[str, Any] = httpx.get(f"{base}/api/account", headers={"Authorization": f"Bearer {key}"}).json()
        if account["reserved_usd"] == "0.000000" or time.monotonic() > deadline:
            return account
        time.sleep(0.1)
