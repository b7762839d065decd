"""What a GET on a context's base URL answers: a short plain-text explanation with working examples.

Base URLs are for programs (POST …/chat/completions); a person who opens one in a browser, or pastes it into
curl, learns how to use it instead of seeing a 405.
"""

from __future__ import annotations

from urllib.parse import quote

from app.links.resolve import Target

EXAMPLE_QUESTION = "What does this repository do?"


def context_url(public_base: str, owner: str, repo: str, branch: str | None, context_id: str) -> str:
    """The public address of a context (the visitor link); its base URLs and MCP server hang below it."""
    tree = f"/tree/{quote(branch, safe='/')}" if branch is not None else ""
    return f"{public_base}/{quote(owner, safe='')}/{quote(repo, safe='')}{tree}/context/{quote(context_id, safe='')}"


def explanation(public_base: str, target: Target, branch: str | None, context_id: str) -> str:
    """The text: what the base URL does, a curl and a Python example, and the MCP address."""
    repo = target.repo
    url = context_url(public_base, repo.owner, repo.name, branch, context_id)
    base = f"{url}/v1"
    where = f"{repo.full_name}, branch {target.branch}"
    return f"""\
{url}/v1 is an OpenAI-compatible API base URL.

Every chat completion sent to it is answered with the context "{context_id}" of {where}: that repository's
files and the context's prompt go first, as the system message, then your messages. Calls are billed to your
own API key (create one on {public_base}/dashboard). `model` may be left out; this context uses {target.model}.

curl:

  curl {base}/chat/completions \\
    -H "Authorization: Bearer $CONTEXTJSON_API_KEY" \\
    -H "Content-Type: application/json" \\
    -d '{{"messages": [{{"role": "user", "content": "{EXAMPLE_QUESTION}"}}]}}'

Python (pip install openai):

  import os
  from openai import OpenAI

  client = OpenAI(base_url="{base}", api_key=os.environ["CONTEXTJSON_API_KEY"])
  answer = client.chat.completions.create(
      model="{target.model}",
      messages=[{{"role": "user", "content": "{EXAMPLE_QUESTION}"}}],
  )
  print(answer.choices[0].message.content)

MCP (Streamable HTTP, same key as a Bearer token): {url}/mcp

Models: GET {base}/models. The answer page for people: {url}
"""
