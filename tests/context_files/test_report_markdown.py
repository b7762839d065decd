"""Check-run Markdown with hostile branch names, ids, summaries and messages, read back as GitHub would render it.

markdown-it-py's "gfm-like" preset parses tables, strikethrough and raw HTML like GitHub's Markdown.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from markdown_it import MarkdownIt

from app.context_files.report import render_check, visitor_link
from app.context_files.validation import ContextEntry, ValidationIssue, ValidationResult

BASE = "https://cj.example"
# Valid git ref names (check-ref-format) that mean something in Markdown.
HOSTILE_BRANCHES = [
    "main",
    "feat/`tick`",
    "``",
    "x`",
    "`x",
    "a|b",
    "fix/|pipes|",
    "<img src=x onerror=alert(1)>",
    "*bold*/_em_",
    "[link](https://evil.example)",
    "![img](https://evil.example/p.png)",
    "~~gone~~",
    "$x$",
    "&amp;",
    "`a|b`",
]
# Ids and summaries that the validator would refuse or keep: the renderer must not rely on that.
HOSTILE_TEXTS = ["plain", "a|b", "`id`", "x``y|z", "*x* <b>y</b> [l](u)", "back\\slash|", "trailing `"]


def _render(markdown: str) -> ET.Element:
    html = MarkdownIt("gfm-like").render(markdown)
    return ET.fromstring(f"<root>{html}</root>")


def _text(node: ET.Element) -> str:
    return "".join(node.itertext())


def _ok(entries: dict[str, str]) -> ValidationResult:
    return ValidationResult(
        document=None, entries={k: ContextEntry(id=k, summary=v) for k, v in entries.items()}, issues=[]
    )


def _assert_table(root: ET.Element, entries: dict[str, str], branch: str) -> None:
    rows = root.findall("./table/tbody/tr")
    assert len(rows) == len(entries)
    for row, (entry_id, summary) in zip(rows, sorted(entries.items()), strict=True):
        cells = row.findall("td")
        assert len(cells) == 3, ET.tostring(row)
        assert [_text(code) for code in cells[0].iter("code")] == [entry_id]
        assert _text(cells[1]) == " ".join(summary.split()) and not list(cells[1])
        [link] = cells[2].findall("a")
        expected = visitor_link(BASE, "octo", "app", branch, entry_id)
        assert link.get("href") == expected and _text(link) == expected


def _assert_nothing_injected(root: ET.Element, links: int) -> None:
    tags = {node.tag for node in root.iter()}
    assert not tags & {"img", "strong", "em", "del", "s", "b", "script"}, tags
    assert len(root.findall(".//a")) == links


@pytest.mark.parametrize("branch", HOSTILE_BRANCHES)
def test_branch_names_render_as_written(branch: str) -> None:
    entries = {"explain": "Explain this repo", "api": "API | usage"}
    conclusion, output = render_check(_ok(entries), public_base=BASE, owner="octo", repo="app", branch=branch)
    root = _render(output.summary)
    assert conclusion == "success"
    intro = root.find("p")
    assert intro is not None
    assert [_text(code) for code in intro.iter("code")] == ["context.json", branch]
    _assert_table(root, entries, branch)
    _assert_nothing_injected(root, links=len(entries))


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_ids_and_summaries_stay_in_their_cells(text: str) -> None:
    entries = {text: text, "plain-id": f"summary {text}"}
    _, output = render_check(_ok(entries), public_base=BASE, owner="octo", repo="app", branch="main")
    root = _render(output.summary)
    _assert_table(root, entries, "main")
    _assert_nothing_injected(root, links=2)


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_error_paths_and_messages_render_as_written(text: str) -> None:
    issues = [
        ValidationIssue(f'context["{text}"]', f"unknown model {text!r}"),
        ValidationIssue("context.json", text, line=3, column=7),
    ]
    result = ValidationResult(document=None, entries={"ok": ContextEntry(id="ok", summary="fine")}, issues=issues)
    conclusion, output = render_check(result, public_base=BASE, owner="octo", repo="app", branch="a|`b`")
    root = _render(output.summary)
    assert conclusion == "failure"
    items = root.findall("./ul/li")
    assert [_text(item.find("code")) for item in items] == [issue.path for issue in issues]  # type: ignore[arg-type]
    assert [_text(item).removeprefix(issue.path) for item, issue in zip(items, issues, strict=True)] == [
        f": unknown model {text!r}",
        f": line 3, column 7: {' '.join(text.split())}",
    ]
    _assert_table(root, {"ok": "fine"}, "a|`b`")
    _assert_nothing_injected(root, links=1)


@pytest.mark.parametrize("text", HOSTILE_TEXTS + ["a) [b](c) `d`", "quote \" and ' <img>"])
def test_badge_snippets_paste_as_one_linked_badge(text: str) -> None:
    """Each snippet, pasted into a README, is one link around one badge image whose alt text is the summary."""
    _, output = render_check(_ok({"explain": text}), public_base=BASE, owner="octo", repo="app", branch="a|`b`")
    blocks = [t for t in MarkdownIt("gfm-like").parse(output.summary) if t.type == "fence"]
    link = visitor_link(BASE, "octo", "app", "a|`b`", "explain")
    expected = {"href": link, "src": f"{link}/badge.svg", "alt": " ".join(text.split())}
    for block in blocks[:2]:
        assert block.info in ("markdown", "html")
        html = MarkdownIt("gfm-like").render(block.content) if block.info == "markdown" else block.content
        root = ET.fromstring(f"<root>{_closed(html)}</root>")
        [anchor] = root.iter("a")
        [image] = anchor.iter("img")
        assert {"href": anchor.get("href"), "src": image.get("src"), "alt": image.get("alt")} == expected
        assert len(list(root.iter("img"))) == 1


def _closed(html: str) -> str:
    """HTML's void <img ...> as XML."""
    return re.sub(r"<img([^>]*?)\s*/?>", r"<img\1/>", html)
