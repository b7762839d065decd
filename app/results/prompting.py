"""From a context entry to the exact messages sent upstream, and the cache key that names them.

The repo context is built in a worker thread, patterns compiled there too: compiling and matching cost
CPU the event loop must not spend. A build that fails for its input (unusable patterns, over its time
budget) raises `ContextBuildFailed` with a message for the repo owner; retrying would fail the same way.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from app.context_files.validation import ContextEntry, render_prompt
from app.fetch import FetchPolicy, FetchRefused, extract_urls, fetch_public_text
from app.models_catalog import ModelPrice
from app.repo_context import BuiltContext, PathSelector, UnusablePatterns, build_context, estimate_text_tokens

log = logging.getLogger("contextjson.generate")

MAX_FETCHED_URLS = 3
MESSAGE_OVERHEAD_TOKENS = 16  # role markers and framing per request, rounded up
# Django's 45 MB tree builds in under a second; the archive caps (1 GB, 100k files) in well under this.
CONTEXT_BUILD_SECONDS = 120.0


@dataclass(frozen=True)
class Plan:
    """Everything the upstream call needs, decided before any money is reserved."""

    messages: list[dict[str, str]]
    max_tokens: int
    prompt_tokens: int  # estimate, used for the reservation
    cache_key: str
    truncated: bool
    files: list[str]  # paths whose content is in the context (the last one partly when truncated)


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
    build_seconds: float = CONTEXT_BUILD_SECONDS,
) -> Plan:
    """Render the prompt, fetch its URLs, build the repo context to fit the model's window.

    `ContextBuildFailed` when the context cannot be built from this entry and snapshot.
    """
    max_tokens = min(entry.max_tokens or price.max_output_tokens, price.max_output_tokens)
    user = await entry_prompt(entry, owner=owner, repo=repo, branch=branch, fetch_policy=fetch_policy)
    intro = repo_intro(owner, repo, branch)
    room = price.context_window - max_tokens - estimate_text_tokens(intro + user) - MESSAGE_OVERHEAD_TOKENS
    built = await build_entry_context(archive, entry, room, build_seconds)
    system = intro + built.text
    messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    return Plan(
        messages=messages,
        max_tokens=max_tokens,
        prompt_tokens=estimate_text_tokens(system) + estimate_text_tokens(user) + MESSAGE_OVERHEAD_TOKENS,
        cache_key=cache_key(price.name, messages, max_tokens, None),
        truncated=built.truncated,
        files=built.files,
    )


def repo_intro(owner: str, repo: str, branch: str) -> str:
    """What the system message says before the repository's files."""
    return (
        f"You answer questions about the GitHub repository {owner}/{repo} (branch {branch}). "
        "Its files follow: first the file tree, then each file's path, a separator line and its content.\n\n"
    )


async def entry_prompt(entry: ContextEntry, *, owner: str, repo: str, branch: str, fetch_policy: FetchPolicy) -> str:
    """The entry's prompt (its summary when it has none) rendered, with the public URLs it names appended."""
    prompt = render_prompt(entry.prompt or entry.summary, owner=owner, repo=repo, branch=branch)
    return prompt + await fetched_sections(prompt, fetch_policy)


async def build_entry_context(
    archive: Path, entry: ContextEntry, room_tokens: int, build_seconds: float = CONTEXT_BUILD_SECONDS
) -> BuiltContext:
    """The entry's repo context of the snapshot, cut to `room_tokens`, built in a worker thread."""
    return await asyncio.to_thread(_build, archive, entry, max(room_tokens, 0), build_seconds)


def _build(archive: Path, entry: ContextEntry, max_tokens: int, seconds: float) -> BuiltContext:
    """The entry's context of the snapshot (runs in a worker thread); errors name the entry."""
    try:
        selector = PathSelector(entry.base_path, entry.path_patterns, entry.exclude_path_patterns, entry.max_file_size)
        with open(archive, "rb") as source:
            return build_context(source, selector, max_tokens=max_tokens, time_budget=seconds)
    except UnusablePatterns as exc:
        raise UnusablePatterns(f"context.{entry.id}.{exc}") from None
