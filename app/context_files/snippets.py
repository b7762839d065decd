"""Visitor and badge URLs of a branch's contexts, and the README snippets (Markdown, HTML) that use them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

BADGE_FILE = "badge.svg"
# Characters with a meaning inside a Markdown line (GitHub's flavour: tables, strikethrough, math, HTML).
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>|!~&$])")


def _repo_url(public_base: str, owner: str, repo: str, branch: str | None, *rest: str) -> str:
    """owner/repo, then `tree/{branch}` unless branch is None (the default branch's short form), then `rest`."""
    parts = (owner, repo, *(("tree", branch) if branch is not None else ()), *rest)
    return public_base + "/" + "/".join(quote(part, safe="") for part in parts)


def visitor_link(public_base: str, owner: str, repo: str, branch: str | None, context_id: str) -> str:
    """The visitor URL of one context entry on a branch (None: whichever branch is the default)."""
    return _repo_url(public_base, owner, repo, branch, "context", context_id)


def context_badge_url(public_base: str, owner: str, repo: str, branch: str | None, context_id: str) -> str:
    """The README badge of one context entry on a branch (None: the default branch)."""
    return f"{visitor_link(public_base, owner, repo, branch, context_id)}/{BADGE_FILE}"


def repository_badge_url(public_base: str, owner: str, repo: str, branch: str | None) -> str:
    """The repository's badge ("N contexts") for a branch (None: the default branch)."""
    return _repo_url(public_base, owner, repo, branch, BADGE_FILE)


def markdown_text(text: str) -> str:
    """User text shown literally on one Markdown line: whitespace collapsed, inline characters escaped."""
    return _INLINE_SPECIAL.sub(r"\\\1", " ".join(text.split()))


@dataclass(frozen=True)
class Snippet:
    """A linked badge, ready to paste into a README."""

    markdown: str
    html: str


def badge_snippet(alt: str, image_url: str, link_url: str) -> Snippet:
    """`[![alt](image)](link)` and `<a href=link><img src=image alt=alt></a>`, alt as one literal line."""
    alt = " ".join(alt.split())
    markdown = f"[![{markdown_text(alt)}]({image_url})]({link_url})"
    html = f'<a href="{escape(link_url)}"><img src="{escape(image_url)}" alt="{escape(alt)}"></a>'
    return Snippet(markdown=markdown, html=html)


def context_snippet(
    public_base: str, owner: str, repo: str, branch: str | None, context_id: str, summary: str
) -> Snippet:
    """The README badge of one context: its summary as alt text, linking to its visitor link."""
    return badge_snippet(
        summary,
        context_badge_url(public_base, owner, repo, branch, context_id),
        visitor_link(public_base, owner, repo, branch, context_id),
    )
