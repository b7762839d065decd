"""What a GET on a context's base URL answers: a short plain-text explanation with working examples.

Base URLs are for programs (POST …/chat/completions); a person who opens one in a browser, or pastes it into
curl, learns how to use it instead of seeing a 405.
"""

from __future__ import annotations

from textwrap import indent

from app.context_api.snippets import context_snippets, context_url
from app.links.resolve import Target


def explanation(public_base: str, target: Target, branch: str | None, context_id: str) -> str:
    """The text: what the base URL does, a curl and a Python example, and the MCP address."""
    repo = target.repo
    url = context_url(public_base, repo.owner, repo.name, branch, context_id)
    snippets = context_snippets(public_base, repo.owner, repo.name, branch, context_id, target.model)
    where = f"{repo.full_name}, branch {target.branch}"
    return f"""\
{snippets.base_url} is an OpenAI-compatible API base URL.

Every chat completion sent to it is answered with the context "{context_id}" of {where}: that repository's
files and the context's prompt go first, as the system message, then your messages. Calls are billed to your
own API key (create one on {public_base}/dashboard/keys). `model` may be left out; this context uses {target.model}.

curl:

{indent(snippets.curl, "  ")}

Python (pip install openai):

{indent(snippets.python, "  ")}

MCP (Streamable HTTP, same key as a Bearer token): {url}/mcp

Models: GET {snippets.base_url}/models. The answer page for people: {url}
"""
