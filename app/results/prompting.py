"""From a context entry to the exact messages sent upstream, and the cache key that names them."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from app.contexts.validation import ContextEntry, render_prompt
from app.fetch import FetchPolicy, FetchRefused, extract_urls, fetch_public_text
from app.models_catalog import ModelPrice
from app.repo_context import BuiltContext, PathSelector, build_context, estimate_text_tokens

log = logging.getLogger("contextjson.generate")

MAX_FETCHED_URLS = 3
MESSAGE_OVERHEAD_TOKENS = 16  # role markers and framing per request, rounded up


@dataclass(frozen=True)
class Plan:
    """Everything the upstream call needs, decided before any money is reserved."""

    messages: list[dict[str, str]]
    max_tokens: int
    prompt_tokens: int  # estimate, used for the reservation
    cache_key: str
    truncated: bool


def cache_key(model: str, messages: list[dict[str, str]], max_tokens: int, temperature: float | None) -> str:
    """Hash of model + final messages + generation parameters: equal requests share one answer."""
    canonical = json.dumps(
        {"model": model, "messages": messages, "max_tokens": max_tokens, "temperature": temperature},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def fetched_sections(prompt: str, policy: FetchPolicy) -> str:
    """Text of the public URLs named in the prompt, each under a heading; refusals are stated, not fatal."""
    sections = []
    for url in extract_urls(prompt, limit=MAX_FETCHED_URLS):
        try:
            page = await fetch_public_text(url, policy)
        except FetchRefused as exc:
            log.info("generate.url_refused url=%s reason=%s", url, exc)
            sections.append(f"\n\n--- {url} (not fetched: {exc}) ---")
            continue
        cut = " (truncated)" if page.truncated else ""
        sections.append(f"\n\n--- Content of {url}{cut} ---\n{page.text}")
    return "".join(sections)


async def plan_generation(
    *,
    entry: ContextEntry,
    price: ModelPrice,
    owner: str,
    repo: str,
    branch: str,
    archive: Path,
    fetch_policy: FetchPolicy,
) -> Plan:
    """Render the prompt, fetch its URLs, build the repo context to fit the model's window."""
    max_tokens = min(entry.max_tokens or price.max_output_tokens, price.max_output_tokens)
    prompt = render_prompt(entry.prompt or entry.summary, owner=owner, repo=repo, branch=branch)
    user = prompt + await fetched_sections(prompt, fetch_policy)
    intro = (
        f"You answer questions about the GitHub repository {owner}/{repo} (branch {branch}). "
        "Its files follow: first the file tree, then each file's path, a separator line and its content.\n\n"
    )
    room = price.context_window - max_tokens - estimate_text_tokens(intro + user) - MESSAGE_OVERHEAD_TOKENS
    selector = PathSelector(entry.base_path, entry.path_patterns, entry.exclude_path_patterns, entry.max_file_size)
    built = await asyncio.to_thread(_build, archive, selector, max(room, 0))
    system = intro + built.text
    messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    return Plan(
        messages=messages,
        max_tokens=max_tokens,
        prompt_tokens=estimate_text_tokens(system) + estimate_text_tokens(user) + MESSAGE_OVERHEAD_TOKENS,
        cache_key=cache_key(price.name, messages, max_tokens, None),
        truncated=built.truncated,
    )


def _build(archive: Path, selector: PathSelector, max_tokens: int) -> BuiltContext:
    with open(archive, "rb") as source:
        return build_context(source, selector, max_tokens=max_tokens)
