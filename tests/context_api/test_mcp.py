"""The MCP server of a context, through the official MCP SDK client: tools, progress, resources, money."""

from __future__ import annotations

import json
from typing import Any

import mcp_types as types
import pytest
from sqlalchemy import update

from app.api_keys.service import create_key
from app.db.models import Account
from tests.conftest import Service
from tests.context_api.helpers import CONTEXT, context_setup, owner_caller, system_message
from tests.context_api.mcp_client import MCP_PATH, Seen, mcp_session

QUESTION = "Where is the widget defined?"


def text_of(result: types.CallToolResult) -> str:
    return "".join(block.text for block in result.content if isinstance(block, types.TextContent))


@pytest.mark.parametrize("path", [MCP_PATH, "/acme/widgets/tree/main/context/explain/mcp"])
async def test_ask_streams_progress_and_bills_the_caller(
    service: Service, fake_github: Any, fake_llm: Any, path: str
) -> None:
    setup = await context_setup(service, fake_github)
    fake_llm.token_delay = 0.12  # slower than the progress coalescing, so each word is its own notification
    fake_llm.script("It is in src/widgets.py, in the widget function.")
    owner_before = await setup.owner_balance()
    progress: list[tuple[float, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, message))

    seen = Seen()
    async with mcp_session(service, setup.caller.key, path, seen=seen) as session:
        tools = (await session.list_tools()).tools
        assert [tool.name for tool in tools] == ["ask"]
        assert tools[0].input_schema["required"] == ["prompt"] and "acme/widgets" in (tools[0].description or "")
        result = await session.call_tool("ask", {"prompt": QUESTION}, progress_callback=on_progress)
    assert not result.is_error and text_of(result) == "It is in src/widgets.py, in the widget function."
    assert any("text/event-stream" in kind for kind in seen.content_types)
    assert len(progress) >= 3 and [value for value, _ in progress] == sorted({value for value, _ in progress})
    assert "".join(message or "" for _, message in progress) == text_of(result)
    call = fake_llm.calls[-1]
    assert "def widget():" in system_message(call) and call.body["messages"][1:] == [
        {"role": "user", "content": QUESTION}
    ]
    assert call.body["stream"] is True
    assert await setup.owner_balance() == owner_before  # the repository's owner pays nothing
    (charged,) = await setup.caller.results()
    assert charged.cost_micros > 0 and charged.api_key_id == setup.caller.key_id
    await setup.caller.assert_reconciles()


async def test_a_chosen_model_and_an_unknown_one(service: Service, fake_github: Any, fake_llm: Any) -> None:
    setup = await context_setup(service, fake_github)
    fake_llm.script("Chosen.")
    async with mcp_session(service, setup.caller.key) as session:
        result = await session.call_tool("ask", {"prompt": QUESTION, "model": "gpt-4.1-mini"})
        assert text_of(result) == "Chosen." and fake_llm.calls[-1].body["model"] == "gpt-4.1-mini"
        unknown = await session.call_tool("ask", {"prompt": QUESTION, "model": "gpt-0"})
    assert unknown.is_error
    await setup.caller.assert_reconciles()


async def test_json_responses_for_a_client_without_sse(service: Service, fake_github: Any, fake_llm: Any) -> None:
    setup = await context_setup(service, fake_github)
    fake_llm.script("Answered in one JSON response.")
    seen = Seen()
    async with mcp_session(service, setup.caller.key, json_only=True, seen=seen) as session:
        assert [tool.name for tool in (await session.list_tools()).tools] == ["ask"]
        progress: list[float] = []

        async def on_progress(value: float, total: float | None, message: str | None) -> None:
            progress.append(value)

        # Asked for, but a JSON answer has nowhere to put notifications: the answer comes all the same.
        result = await session.call_tool("ask", {"prompt": QUESTION}, progress_callback=on_progress)
        resources = (await session.list_resources()).resources
    assert progress == []
    assert text_of(result) == "Answered in one JSON response." and len(resources) == 1
    assert seen.content_types and not any("event-stream" in kind for kind in seen.content_types)
    await setup.caller.assert_reconciles()


async def test_the_context_text_is_a_resource(service: Service, fake_github: Any, fake_llm: Any) -> None:
    setup = await context_setup(service, fake_github)
    await setup.installed.push({"src/widgets.py": "def feature_widget():\n    return 7\n"}, branch="feature/x")
    for path, uri in (
        (MCP_PATH, "contextjson://acme/widgets/main/context/explain"),
        ("/acme/widgets/tree/feature/x/context/explain/mcp", "contextjson://acme/widgets/feature/x/context/explain"),
    ):
        async with mcp_session(service, setup.caller.key, path) as session:
            (resource,) = (await session.list_resources()).resources
            assert str(resource.uri) == uri and resource.mime_type == "text/plain"
            read = await session.read_resource(uri)
            (contents,) = read.contents
            assert isinstance(contents, types.TextResourceContents) and "src/widgets.py" in contents.text
            with pytest.raises(Exception, match="Unknown resource"):
                await session.read_resource("contextjson://acme/widgets/other/context/explain")
    assert "def feature_widget():" in contents.text
    assert fake_llm.call_count == 0 and await setup.caller.results() == []  # reading costs nothing


async def test_insufficient_balance_is_a_tool_error(service: Service, fake_github: Any, fake_llm: Any) -> None:
    setup = await context_setup(service, fake_github)
    async with service.clients.sessions() as session:
        await session.execute(update(Account).where(Account.id == setup.caller.account_id).values(balance_micros=1))
        await session.commit()
    async with mcp_session(service, setup.caller.key) as session:
        result = await session.call_tool("ask", {"prompt": QUESTION})
    assert result.is_error and "balance" in text_of(result) and "top up" in text_of(result)
    assert fake_llm.call_count == 0 and await setup.caller.results() == []
    account = await setup.caller.account()
    assert account.balance_micros == 1 and account.reserved_micros == 0


async def test_a_key_over_its_monthly_cap_is_a_tool_error(service: Service, fake_github: Any, fake_llm: Any) -> None:
    setup = await context_setup(service, fake_github)
    async with service.clients.sessions() as session:
        capped = await create_key(
            session,
            service.clients.settings.secret_key,
            account_id=setup.caller.account_id,
            name="capped",
            monthly_cap_usd="0.000001",
            created_by="alice",
        )
        await session.commit()
    async with mcp_session(service, capped.key) as session:
        result = await session.call_tool("ask", {"prompt": QUESTION})
    assert result.is_error and "monthly spending cap" in text_of(result)
    assert fake_llm.call_count == 0
    await setup.caller.assert_reconciles()


async def test_without_a_key_is_401_before_any_mcp(service: Service, fake_github: Any) -> None:
    await context_setup(service, fake_github)
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"Accept": "application/json, text/event-stream"}
    for path in (MCP_PATH, "/acme/widgets/tree/main/context/explain/mcp"):
        resp = await service.client.post(path, json=body, headers=headers)
        assert resp.status_code == 401 and resp.headers["www-authenticate"].startswith("Bearer")
        wrong = await service.client.post(path, json=body, headers={**headers, "Authorization": "Bearer cj_nope"})
        assert wrong.status_code == 401 and 'error="invalid_token"' in wrong.headers["www-authenticate"]
    with pytest.raises(Exception):  # noqa: B017 - the SDK's own error for a 401
        async with mcp_session(service, None):
            pass


async def test_get_is_405_and_bad_json_is_a_clear_error(service: Service, fake_github: Any) -> None:
    setup = await context_setup(service, fake_github)
    auth = {"Authorization": f"Bearer {setup.caller.key}"}
    for path in (MCP_PATH, "/acme/widgets/tree/feature/x/context/explain/mcp"):
        got = await service.client.get(path, headers={**auth, "Accept": "text/event-stream"})
        assert got.status_code == 405 and got.headers["allow"] == "POST"
        assert got.json()["error"]["code"] == "method_not_allowed" and "stateless" in got.json()["error"]["message"]
    bad = await service.client.post(
        MCP_PATH,
        content=b"{not json",
        headers={**auth, "Content-Type": "application/json", "Accept": "application/json, text/event-stream"},
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_request_error"
    assert "not valid JSON" in bad.json()["error"]["message"]
    listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    for headers, status in (({"Accept": "text/html"}, 406), ({"Accept": "*/*", "Content-Type": "text/plain"}, 415)):
        refused = await service.client.post(
            MCP_PATH,
            content=json.dumps(listing).encode(),
            headers={"Content-Type": "application/json", **auth, **headers},
        )
        assert refused.status_code == status and refused.json()["error"]["message"], refused.text
    invalid = await service.client.post(
        MCP_PATH, json={"jsonrpc": "2.0", "id": 1}, headers={**auth, "Accept": "application/json"}
    )
    assert invalid.status_code == 400 and invalid.json()["jsonrpc"] == "2.0"  # the SDK judges the message itself
    unknown = await service.client.post(
        CONTEXT.replace("explain", "nope") + "/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={**auth, "Accept": "application/json"},
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "context_not_found"


async def test_the_2026_per_request_protocol_too(service: Service, fake_github: Any, fake_llm: Any) -> None:
    """Protocol 2026-07-28 (no initialize; each POST carries its version): the SDK's other path, same handlers."""
    setup = await context_setup(service, fake_github)
    fake_llm.script("Answered without a handshake.")
    version = "2026-07-28"
    meta = {
        "io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientInfo": {"name": "test", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    headers = {
        "Authorization": f"Bearer {setup.caller.key}",
        "Accept": "application/json",
        "MCP-Protocol-Version": version,
    }
    params = {"name": "ask", "arguments": {"prompt": QUESTION}, "_meta": meta}
    answer = await service.client.post(
        MCP_PATH,
        json={"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params},
        headers={**headers, "Mcp-Method": "tools/call", "Mcp-Name": "ask"},
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()["result"]
    assert result["content"] == [{"type": "text", "text": "Answered without a handshake."}] and not result["isError"]
    await setup.caller.assert_reconciles()


async def test_a_private_repository_only_for_the_owners_keys(service: Service, fake_github: Any) -> None:
    setup = await context_setup(service, fake_github, private=True)
    owner = await owner_caller(service)
    async with mcp_session(service, owner.key) as session:
        (resource,) = (await session.list_resources()).resources
        assert "def widget():" in text_of_resource(await session.read_resource(str(resource.uri)))
    listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    stranger = await service.client.post(
        MCP_PATH, json=listing, headers={"Authorization": f"Bearer {setup.caller.key}", "Accept": "application/json"}
    )
    assert stranger.status_code == 404 and stranger.json()["error"]["code"] == "repo_not_found"


def text_of_resource(read: types.ReadResourceResult) -> str:
    return "".join(item.text for item in read.contents if isinstance(item, types.TextResourceContents))
