"""Copy-ready "Use as API" snippets (curl, Python with `openai`, an MCP client's config) for a context's base URL,
or for the plain OpenAI-compatible API (`{PUBLIC_URL}/v1`).

Every part that comes from GitHub (owner, repository, branch, context id) is percent-encoded into the URL, so it
holds no quote, space or `$`: the texts are safe to paste into a shell or a Python file as they are, and Jinja
escapes them for the page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote

EXAMPLE_QUESTION = "What does this repository do?"
KEY_VARIABLE = "CONTEXTJSON_API_KEY"


def context_url(public_base: str, owner: str, repo: str, branch: str | None, context_id: str) -> str:
    """The public address of a context (the visitor link); its base URLs and MCP server hang below it."""
    tree = f"/tree/{quote(branch, safe='/')}" if branch is not None else ""
    return f"{public_base}/{quote(owner, safe='')}/{quote(repo, safe='')}{tree}/context/{quote(context_id, safe='')}"


@dataclass(frozen=True)
class ApiSnippets:
    base_url: str  # what the OpenAI SDK takes as `base_url`
    curl: str
    python: str
    mcp_config: str | None  # contexts only: the plain API has no MCP server


def context_snippets(
    public_base: str, owner: str, repo: str, branch: str | None, context_id: str, model: str
) -> ApiSnippets:
    """A context's base URL (branch None: the default branch's short form) and its MCP server."""
    url = context_url(public_base, owner, repo, branch, context_id)
    server = {"type": "http", "url": f"{url}/mcp", "headers": {"Authorization": f"Bearer ${{{KEY_VARIABLE}}}"}}
    # The shape Claude Code, Cursor and VS Code-style clients read (`mcpServers`, a Streamable HTTP `url`).
    config = json.dumps({"mcpServers": {f"{repo}-{context_id}": server}}, indent=2)
    return _snippets(f"{url}/v1", model, mcp_config=config)


def plain_api_snippets(public_base: str, model: str) -> ApiSnippets:
    """`/v1/chat/completions` without a context: the caller's messages only."""
    return _snippets(f"{public_base}/v1", model, mcp_config=None)


def _snippets(base_url: str, model: str, *, mcp_config: str | None) -> ApiSnippets:
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": EXAMPLE_QUESTION}]})
    curl = (
        f"curl {base_url}/chat/completions \\\n"
        f'  -H "Authorization: Bearer ${KEY_VARIABLE}" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        f"  -d '{_shell_single_quoted(body)}'"
    )
    python = (
        "import os\n\n"
        "from openai import OpenAI\n\n"
        f'client = OpenAI(base_url={json.dumps(base_url)}, api_key=os.environ["{KEY_VARIABLE}"])\n'
        "answer = client.chat.completions.create(\n"
        f"    model={json.dumps(model)},\n"
        f'    messages=[{{"role": "user", "content": {json.dumps(EXAMPLE_QUESTION)}}}],\n'
        ")\n"
        "print(answer.choices[0].message.content)"
    )
    return ApiSnippets(base_url, curl, python, mcp_config)


def _shell_single_quoted(text: str) -> str:
    """The inside of a '…' shell word: a quote closes, is escaped, and reopens."""
    return text.replace("'", "'\\''")
