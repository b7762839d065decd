"""Untrusted Markdown (model output, complete or still streaming) to safe HTML fragments for the result page."""

from __future__ import annotations

import html
import re

import anyio
import nh3
from linkify_it import LinkifyIt
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

__all__ = ["render_answer", "render_markdown", "render_plain"]

# Same string on every link so search engines give model output no weight and the target page gets no opener/referrer.
LINK_REL = "nofollow noopener noreferrer"

# An allowlist, checked on the exact href that is emitted: anything else (javascript:, data:, vbscript:, file:,
# relative paths that would resolve against our own site, scheme-less //host) loses its link and keeps its text.
_ALLOWED_HREF = re.compile(r"(?:https?|mailto):", re.IGNORECASE)

_LANG_CHARS = re.compile(r"[^a-z0-9+#-]")
_LANG_MAX = 32
_CODE_CLASS = re.compile(rf"language-[a-z0-9+#-]{{1,{_LANG_MAX}}}")

# Alignment arrives as inline style from the table rule; style attributes are never allowed, so it becomes a class.
_ALIGN_CLASSES = {f"text-align:{side}": f"align-{side}" for side in ("left", "center", "right")}

_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


def _safe_href(url: str) -> bool:
    """True when the URL is an absolute http, https or mailto address."""
    return _ALLOWED_HREF.match(url) is not None


def _lang_class(info: str) -> str:
    """The first word of a fence info string, reduced to characters that are safe and sane in a class name."""
    words = info.split(maxsplit=1)
    return _LANG_CHARS.sub("", words[0].lower())[:_LANG_MAX] if words else ""


def _plain_text(tokens: list[Token]) -> str:
    """Visible text of inline tokens, as an image's alt text is computed."""
    parts: list[str] = []
    for token in tokens:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.children:
            parts.append(_plain_text(token.children))
    return "".join(parts)


def _link_attrs(href: str, title: str | int | float | None) -> dict[str, str | int | float]:
    """The only attributes a link carries: its checked href, our rel, and its title if it has one."""
    attrs: dict[str, str | int | float] = {"href": href, "rel": LINK_REL}
    if title:
        attrs["title"] = title
    return attrs


def _image_as_link(image: Token, inside_link: bool) -> list[Token]:
    """Tokens replacing an image: a link to it, or its text when no link is possible, so nothing loads by itself."""
    src = str(image.attrGet("src") or "")
    label = _plain_text(image.children or []) or src
    text = Token("text", "", 0, content=label)
    # A badge inside a link (`[![alt](img)](url)`) keeps the outer link; <a> inside <a> would be invalid HTML.
    if inside_link or not _safe_href(src):
        return [text]
    link_open = Token("link_open", "a", 1, attrs=_link_attrs(src, image.attrGet("title")))
    return [link_open, text, Token("link_close", "a", -1)]


def _secure_inline(children: list[Token]) -> list[Token]:
    """Drops unsafe links (keeping their text), marks safe ones, and turns images into links."""
    result: list[Token] = []
    kept: list[bool] = []  # one entry per open link: whether its <a> is emitted, so the close matches
    for token in children:
        if token.type == "link_open":
            href = str(token.attrGet("href") or "")
            keep = _safe_href(href)
            kept.append(keep)
            if keep:
                token.attrs = _link_attrs(href, token.attrGet("title"))
                result.append(token)
        elif token.type == "link_close":
            if kept.pop() if kept else False:
                result.append(token)
        elif token.type == "image":
            result.extend(_image_as_link(token, inside_link=bool(kept)))
        else:
            result.append(token)
    return result


def _secure_tokens(state: StateCore) -> None:
    """Core rule run last: enforces the link, image, code-class and no-style policy on the token stream."""
    for token in state.tokens:
        if token.type == "inline" and token.children:
            token.children = _secure_inline(token.children)
        elif token.type == "fence":
            # The fence renderer turns the first word of info into the class; info is otherwise unused.
            token.info = _lang_class(token.info)
        elif token.type in ("th_open", "td_open"):
            style = token.attrGet("style")
            token.attrs = {"class": _ALIGN_CLASSES[str(style)]} if style in _ALIGN_CLASSES else {}


class _ExplicitLinkify(LinkifyIt):
    """Auto-links only URLs written with http://, https:// or mailto:."""

    def __init__(self) -> None:
        super().__init__()
        # Fuzzy linking would turn file names the model mentions (README.md, setup.py, main.rs) into links to
        # unrelated domains, and `git@github.com` into a mailto link; ftp and //host links would be dropped anyway.
        self.set({"fuzzy_link": False, "fuzzy_email": False, "fuzzy_ip": False})
        self.add("ftp:", None)
        self.add("//", None)

    def pretest(self, text: str) -> bool:
        """Cheap filter before the real match; the stock one ignores the fuzzy options and costs a third of a render."""
        return "://" in text or "mailto:" in text.lower()


class _Markdown(MarkdownIt):
    """CommonMark plus tables and strikethrough, raw HTML escaped, only explicit URLs auto-linked."""

    def __init__(self) -> None:
        super().__init__("gfm-like", {"html": False, "linkify": True, "typographer": False})
        self.linkify = _ExplicitLinkify()
        self.core.ruler.push("secure_tokens", _secure_tokens)

    def validateLink(self, url: str) -> bool:
        """Accepts every destination so a rejected link still shows its label; _secure_tokens decides."""
        return True


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    """Second line of defence for the only attributes whose values are free-form."""
    if attr == "href":
        return value if _safe_href(value) else None
    if attr == "class":
        if tag == "code":
            return value if _CODE_CLASS.fullmatch(value) else None
        return value if value in _ALIGN_CLASSES.values() else None
    return value


_MD = _Markdown()

# Whatever the Markdown layer lets through, only these tags and attributes reach the page.
_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags={"script", "style"},
    attributes={"a": {"href", "title"}, "code": {"class"}, "th": {"class"}, "td": {"class"}, "ol": {"start"}},
    attribute_filter=_attribute_filter,
    strip_comments=True,
    link_rel=LINK_REL,
    url_schemes={"http", "https", "mailto"},
    url_relative="deny",
)


def render_markdown(text: str) -> str:
    """Safe HTML fragment for Markdown text; any prefix of a document (mid-stream) also renders balanced."""
    return _CLEANER.clean(_MD.render(text))


async def render_answer(text: str) -> str:
    """render_markdown on a worker thread: a long or hostile answer takes tenths of a second to render."""
    # Done once per answer (the HTML is stored), so the thread hop costs nothing that matters.
    return await anyio.to_thread.run_sync(render_markdown, text)


def render_plain(text: str) -> str:
    """Text escaped inside <pre>, for the fallback without Markdown rendering."""
    # Parsers drop one newline right after <pre>; an extra one keeps a leading blank line of the text.
    lead = "\n" if text.startswith(("\n", "\r")) else ""
    return f"<pre>{lead}{html.escape(text)}</pre>"
