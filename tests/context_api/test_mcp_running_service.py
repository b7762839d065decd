"""The official MCP SDK client against `contextjson serve` over real HTTP: progress arrives while the answer is
still being written, and the caller's ledger reconciles with their balance."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import httpx2
import mcp_types as types
import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.browser.server import serve_with_api_key

FILES = {
    "README.md": "# widgets\n",
    "src/widgets.py": "def widget():\n    return 42\n",
    "context.json": json.dumps({"context": {"explain": {"summary": "Explain", "pathPatterns": ["**"]}}}),
}
ANSWER = " ".join(f"word{i}" for i in range(12))


@pytest.fixture
def served(fake_github: Any, fake_llm: Any, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The service's base URL and an API key made on the server with the CLI."""
    with serve_with_api_key(fake_github, fake_llm, tmp_path, FILES, "mcp") as served:
        yield served


async def test_the_sdk_client_over_real_http(served: tuple[str, str], fake_llm: Any) -> None:
    base, key = served
    url = f"{base}/acme/widgets/tree/main/context/explain/mcp"
    fake_llm.token_delay = 0.15
    fake_llm.script(ANSWER)
    progress: list[tuple[float, float]] = []  # (progress, seconds since the call started)
    started = 0.0

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, time.monotonic() - started))

    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30)
    async with (
        http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        info = await session.initialize()
        assert info.server_info.name == "contextjson"
        assert [tool.name for tool in (await session.list_tools()).tools] == ["ask"]
        (resource,) = (await session.list_resources()).resources
        read_back = await session.read_resource(str(resource.uri))
        assert isinstance(read_back.contents[0], types.TextResourceContents)
        assert "def widget():" in read_back.contents[0].text
        started = time.monotonic()
        result = await session.call_tool("ask", {"prompt": "What does widget return?"}, progress_callback=on_progress)
        took = time.monotonic() - started
    assert not result.is_error and isinstance(result.content[0], types.TextContent)
    assert result.content[0].text == ANSWER
    assert len(progress) >= 3 and progress[0][1] < took - 0.5  # the first words arrived long before the last
    _assert_ledger_reconciles(base, key)


def test_refusals_over_real_http(served: tuple[str, str]) -> None:
    base, key = served
    url = f"{base}/acme/widgets/context/explain/mcp"
    listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    anonymous = httpx.post(url, json=listing, headers={"Accept": "application/json, text/event-stream"})
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Bearer ")
    assert httpx.get(url, headers={"Authorization": f"Bearer {key}"}).status_code == 405
    plain = httpx.post(url, json=listing, headers={"Authorization": f"Bearer {key}", "Accept": "application/json"})
    assert plain.status_code == 200 and plain.headers["content-type"].startswith("application/json")
    assert plain.json()["result"]["tools"][0]["name"] == "ask"


def _assert_ledger_reconciles(base: str, key: str) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    deadline = time.monotonic() + 10
    while True:
        account = httpx.get(f"{base}/api/account", headers=headers).json()
        if account["reserved_usd"] == "0.000000" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    ledger = httpx.get(f"{base}/api/account/ledger", headers=headers).json()
    assert account["reserved_usd"] == "0.000000"
    assert sum(Decimal(item["amount_usd"]) for item in ledger) == Decimal(account["balance_usd"])
    debits = [item for item in ledger if item["kind"] == "debit"]
    assert len(debits) == 1 and Decimal(debits[0]["amount_usd"]) < 0 and debits[0]["result_id"]


def test_a_client_who_hangs_up_mid_answer_pays_for_what_was_written(served: tuple[str, str], fake_llm: Any) -> None:
    base, key = served
    fake_llm.token_delay = 0.05  # 300 words would take 15 s: the client leaves long before
    fake_llm.script(" ".join(f"word{i}" for i in range(300)))
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "ask", "arguments": {"prompt": "long"}, "_meta": {"progressToken": "p"}},
    }
    headers = {"Authorization": f"Bearer {key}", "Accept": "application/json, text/event-stream"}
    started = time.monotonic()
    with httpx.stream("POST", f"{base}/acme/widgets/context/explain/mcp", json=call, headers=headers) as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        progress = 0
        for line in answer.iter_lines():
            if line.startswith("data:") and "notifications/progress" in line:
                progress += 1
                if progress == 3:
                    break
    _assert_ledger_reconciles(base, key)
    assert time.monotonic() - started < 10  # the upstream call ended with the client, not after all 300 words
    assert len(fake_llm.calls) == 1
