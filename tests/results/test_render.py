"""Markdown for the result page: hostile input stays inert, ordinary Markdown renders, prefixes stay balanced."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.results.render import render_markdown, render_plain

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
VOID_TAGS = {"br", "hr"}
ALLOWED_ATTRS = {"a": {"href", "title", "rel"}, "code": {"class"}, "th": {"class"}, "td": {"class"}, "ol": {"start"}}
REL = "nofollow noopener noreferrer"
FORBIDDEN_MARKUP = ("<script", "<iframe", "<object", "<embed", "<svg", "<math", "<style", "<form", "<input", "<img")
# Every `<` in the output opens a tag of exactly this shape (text has its `<` escaped), so no on…= or style
# attribute can hide anywhere, also not where html.parser and a browser might disagree.
TAG_SHAPE = re.compile(r'</?[a-z][a-z0-9]*(?: (?:href|title|rel|class|start)="[^"<>]*")*>')


class _Inspector(HTMLParser):
    """Records tags, attributes and text, and whether every element is closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag not in VOID_TAGS:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> with open {self.stack}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.errors.append(f"comment {data!r}")

    def handle_decl(self, decl: str) -> None:
        self.errors.append(f"declaration {decl!r}")

    def handle_pi(self, data: str) -> None:
        self.errors.append(f"processing instruction {data!r}")

    def unknown_decl(self, data: str) -> None:
        self.errors.append(f"unknown declaration {data!r}")


def inspect(out: str) -> _Inspector:
    """Parses rendered HTML and asserts it is balanced and within the allowed tags, attributes and URL schemes."""
    parser = _Inspector()
    parser.feed(out)
    parser.close()
    assert not parser.errors, (parser.errors, out)
    assert not parser.stack, (f"unclosed {parser.stack}", out)
    for tag, attrs in parser.elements:
        assert tag in ALLOWED_TAGS, (tag, out)
        assert set(attrs) <= ALLOWED_ATTRS.get(tag, set()), (tag, attrs, out)
        if tag == "a":
            assert attrs.get("rel") == REL, (attrs, out)
            href = attrs.get("href")
            assert href is None or re.match(r"(?:https?|mailto):", href, re.IGNORECASE), (href, out)
        if tag == "code" and "class" in attrs:
            assert re.fullmatch(r"language-[a-z0-9+#-]{1,32}", attrs["class"] or ""), (attrs, out)
    lowered = out.lower()
    for marker in FORBIDDEN_MARKUP:
        assert marker not in lowered, (marker, out)
    for tag_text in re.findall(r"<[^>]*>?", out):
        assert TAG_SHAPE.fullmatch(tag_text), (tag_text, out)
    return parser


def visible_text(out: str) -> str:
    """What a reader sees, entity references decoded."""
    return "".join(inspect(out).text)


def hrefs(out: str) -> list[str | None]:
    """Every link target in rendered HTML."""
    return [attrs.get("href") for tag, attrs in inspect(out).elements if tag == "a"]


HOSTILE = [
    # (markdown, text a reader must still see)
    ("<script>alert(1)</script>", "<script>alert(1)</script>"),
    ("<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>"),
    ('<a href="javascript:alert(1)">x</a>', '<a href="javascript:alert(1)">x</a>'),
    ("<svg/onload=alert(1)>", "<svg/onload=alert(1)>"),
    ('<iframe src="https://evil.example/"></iframe>', "<iframe src="),
    ("<object data=x></object><embed src=x>", "<object data=x></object><embed src=x>"),
    ("<math><mtext><style><img src=x onerror=alert(1)>", "<math><mtext><style><img src=x"),
    ("<style>body{display:none}</style>", "<style>body{display:none}</style>"),
    ('<form action="https://evil.example/"><input name=p></form>', "<input name=p>"),
    ("<!-- hidden --> after", "<!-- hidden --> after"),
    ("<![CDATA[x]]> <?php echo 1 ?> <!DOCTYPE html>", "<![CDATA[x]]>"),
    ('<div style="position:fixed" onclick="alert(1)">x</div>', 'onclick="alert(1)"'),
    ("[x](javascript:alert(1))", "x"),
    ("[x](JaVaScRiPt:alert(1))", "x"),
    ("[x](&#106;avascript:alert(1))", "x"),
    ("[x](&#x6A;avascript&#58;alert(1))", "x"),
    ("[x](java&#9;script:alert(1))", "x"),
    ("[x](java\tscript:alert(1))", "[x]("),
    ("[x](<javascript:alert(1)>)", "x"),
    ("[x](%20javascript:alert(1))", "x"),
    ("[x](\\javascript:alert(1))", "x"),
    ("[x](vbscript:msgbox(1))", "x"),
    ("[x](file:///etc/passwd)", "x"),
    ("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", "x"),
    ("[x][r]\n\n[r]: javascript:alert(1)", "x"),
    ("<javascript:alert(1)>", "javascript:alert(1)"),
    ("<data:text/html,<script>alert(1)</script>>", "<script>"),
    ("![x](https://evil.example/track.png)", "x"),
    ("![x](javascript:alert(1))", "x"),
    ("![x](data:image/png;base64,iVBORw0KGgo=)", "x"),
    ('![x" onerror="alert(1)](https://evil.example/t.png)', 'x" onerror="alert(1)'),
    ('[x](https://ok.example/ "a\\" onmouseover=\\"alert(1)")', "x"),
    ('[x](https://ok.example/" onmouseover="alert(1))', "x"),
    ('[x](https://ok.example/ "<script>alert(1)</script>")', "x"),
    ('```"><script>alert(1)</script>\ncode\n```', "code"),
    ("```js onload=alert(1) style=x\ncode\n```", "code"),
    ("~~~<img/src/onerror=alert(1)>\ncode\n~~~", "code"),
    ("`<script>alert(1)</script>`", "<script>alert(1)</script>"),
    ("| a | <script>alert(1)</script> |\n|---|---|\n| <img src=x> | 2 |", "<img src=x>"),
    ("> <iframe src=//evil>\n> - <svg>", "<iframe src=//evil>"),
    ("&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert(1)</script>"),
    ("\\<script>alert(1)\\</script>", "<script>alert(1)</script>"),
    ("\x00<script>alert(1)</script>", "alert(1)"),
]


@pytest.mark.parametrize(("markdown", "visible"), HOSTILE, ids=[case[0][:40] for case in HOSTILE])
def test_hostile_input_is_inert_and_its_text_survives(markdown: str, visible: str) -> None:
    out = render_markdown(markdown)
    for href in hrefs(out):  # inspect() already checked tags, attributes and schemes
        assert href is not None and "javascript" not in href.lower()
    assert visible in visible_text(out)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "&#106;avascript:alert(1)",
        "java&#x09;script:alert(1)",
        "java&#10;script:alert(1)",
        "&#x20;javascript:alert(1)",
        "data:text/html,x",
        "vbscript:x",
        "file:///etc/passwd",
        "//evil.example/",
        "/relative/path",
        "README.md",
        "#fragment",
        "ftp://ftp.example/file",
    ],
)
def test_links_outside_http_https_mailto_lose_their_target_but_keep_their_label(url: str) -> None:
    out = render_markdown(f"see [the label]({url}) and ![the picture]({url})")
    assert hrefs(out) == []
    assert visible_text(out).strip() == "see the label and the picture"


def test_allowed_links_get_rel_and_no_target() -> None:
    out = render_markdown(
        '[site](https://example.com/a?b=1&c=2 "It\'s") [mail](mailto:me@example.com) [up](HTTP://X.ORG)'
    )
    assert hrefs(out) == ["https://example.com/a?b=1&c=2", "mailto:me@example.com", "HTTP://X.ORG"]
    assert out.count(f'rel="{REL}"') == 3
    assert "target=" not in out
    assert 'title="It\'s"' in out or 'title="It&#39;s"' in out


def test_images_become_links_and_never_load() -> None:
    out = render_markdown('![Build status](https://ci.example/badge.svg "CI")')
    assert "<img" not in out
    assert hrefs(out) == ["https://ci.example/badge.svg"]
    assert visible_text(out).strip() == "Build status"


def test_image_without_alt_text_shows_its_url() -> None:
    assert visible_text(render_markdown("![](https://ci.example/badge.svg)")).strip() == "https://ci.example/badge.svg"


def test_badge_inside_a_link_keeps_only_the_outer_link() -> None:
    out = render_markdown("[![Explain this repo](https://x.example/badge.svg)](https://x.example/context/explain)")
    assert hrefs(out) == ["https://x.example/context/explain"]
    assert visible_text(out).strip() == "Explain this repo"


def test_only_explicit_urls_are_autolinked() -> None:
    out = render_markdown("Open https://example.com/docs, read README.md and setup.py, then git@github.com:o/r.git")
    assert hrefs(out) == ["https://example.com/docs"]
    assert "README.md and setup.py, then git@github.com:o/r.git" in visible_text(out)


def test_markdown_autolink() -> None:
    assert hrefs(render_markdown("<https://example.com/x>")) == ["https://example.com/x"]


def test_headings_lists_emphasis_and_blockquotes() -> None:
    out = render_markdown(
        "# Title\n\n## Sub\n\nSome *em*, **strong**, ~~gone~~ and `code`.\n\n"
        "- one\n- two\n\n3. three\n4. four\n\n> quoted"
    )
    assert "<h1>Title</h1>" in out
    assert "<h2>Sub</h2>" in out
    assert "<em>em</em>" in out
    assert "<strong>strong</strong>" in out
    assert "<s>gone</s>" in out
    assert "<code>code</code>" in out
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in out
    assert '<ol start="3">' in out
    assert "<blockquote>\n<p>quoted</p>\n</blockquote>" in out
    inspect(out)


def test_code_block_keeps_language_class_and_escapes_content() -> None:
    out = render_markdown('```Python title="x.py"\nif a < b and c > d: print("<b>")\n```')
    assert out.startswith(
        '<pre><code class="language-python">if a &lt; b and c &gt; d: print("&lt;b&gt;")\n</code></pre>'
    )
    inspect(out)


@pytest.mark.parametrize(
    ("info", "css_class"),
    [
        ("c++", "language-c++"),
        ("C#", "language-c#"),
        ("objective-c", "language-objective-c"),
        ("{.rust}", "language-rust"),
    ],
)
def test_language_class_is_reduced_to_safe_characters(info: str, css_class: str) -> None:
    assert f'<code class="{css_class}">' in render_markdown(f"```{info}\nx\n```")


def test_code_block_without_language_has_no_class() -> None:
    assert render_markdown("```\nx\n```").startswith("<pre><code>x")
    assert render_markdown('```"<>"\nx\n```').startswith("<pre><code>x")


def test_tables_render_with_alignment_as_class() -> None:
    out = render_markdown("| name | size |\n|:-----|-----:|\n| a.py | 10 |\n| b.py | 20 |")
    assert "<table>" in out
    assert '<th class="align-left">name</th>' in out
    assert '<td class="align-right">20</td>' in out
    assert "style" not in out
    inspect(out)


def test_hard_breaks_and_rules() -> None:
    out = render_markdown("a  \nb\n\n---")
    assert "<br>" in out
    assert "<hr>" in out
    inspect(out)


DOCUMENT = """# Explaining `owner/repo`

It is a **service** that streams answers; see [the docs](https://example.com/docs "Docs").

## Start

1. Install:
   ```bash
   pip install contextjson
   ```
2. Run `contextjson serve` and open <http://localhost:8000>.

> **Note**: budgets are *per owner*.
> - cached answers are free

| route | what |
|:------|-----:|
| `/context/{id}` | result page |

```python
def answer(question: str) -> str:
    return "<b>" + question  # not HTML
```

![diagram](https://example.com/d.png) and ~~old~~ new.

    indented code
"""


def test_every_prefix_of_a_document_renders_balanced_and_safe() -> None:
    for end in range(len(DOCUMENT) + 1):
        inspect(render_markdown(DOCUMENT[:end]))


def test_open_fence_mid_stream_keeps_the_rest_inside_the_code_block() -> None:
    partial = "Intro\n\n```python\ndef f():\n    return '<script>'\n\n## not a heading\n"
    out = render_markdown(partial)
    assert out.startswith("<p>Intro</p>\n<pre><code class=\"language-python\">def f():\n    return '&lt;script&gt;'")
    assert "<h2>" not in out
    assert out.rstrip().endswith("</code></pre>")
    inspect(out)


@pytest.mark.parametrize("opening", ["```", "~~~", "```py", "> ```", "- ```", "1. ~~~js\n   x"])
def test_unclosed_fence_variants_are_balanced(opening: str) -> None:
    inspect(render_markdown(f"{opening}\n<script>alert(1)</script>\n| a | b |\n|---|---|"))


def test_one_megabyte_of_markdown() -> None:
    block = DOCUMENT + "\n[x](javascript:alert(1)) <script>alert(1)</script>\n\n"
    repeats = 1_000_000 // len(block) + 1
    out = render_markdown(block * repeats)
    parser = inspect(out)
    tags = [tag for tag, _ in parser.elements]
    assert tags.count("table") == repeats
    assert tags.count("h1") == repeats
    assert tags.count("a") == 3 * repeats  # docs, localhost, diagram-as-link; the javascript: link has none
    assert "".join(parser.text).count("<script>alert(1)</script>") == repeats


MARKDOWN_PIECES = [
    "<script>", "</script>", "<img src=x onerror=alert(1)>", "javascript:", "JaVaScRiPt:", "&#106;", "&#x3a;", "data:",
    "[", "]", "(", ")", "![", "<", ">", '"', "'", "`", "```", "~~~", "*", "_", "~~", "|", "|---|", "-", "1.", "#", ">",
    "\\", "&", ";", ":", "https://x.example/", "mailto:a@b.c", " ", "\n", "\n\n", "\t", "    ", "a", "onerror=",
    "style=", "<!--", "-->", "<svg", "<a href=", "\x00", "\u2028",
]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(MARKDOWN_PIECES), max_size=60).map("".join))
def test_fuzzed_markdown_renders_safe_and_balanced(markdown: str) -> None:
    inspect(render_markdown(markdown))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_renders_safe_and_balanced(markdown: str) -> None:
    inspect(render_markdown(markdown))


def test_render_plain_escapes_everything() -> None:
    text = "<script>alert(1)</script> & \"quotes\" 'single'\n[x](javascript:alert(1))"
    out = render_plain(text)
    assert out.startswith("<pre>") and out.endswith("</pre>")
    assert "<script" not in out
    parser = inspect(out)
    assert [tag for tag, _ in parser.elements] == ["pre"]
    assert "".join(parser.text) == text


def test_render_plain_keeps_a_leading_newline() -> None:
    out = render_plain("\nfirst")
    # The parser rule that drops one newline after <pre> leaves the text's own newline in place.
    assert out == "<pre>\n\nfirst</pre>"


def test_render_plain_matches_html_escape() -> None:
    text = "a < b > c & d"
    assert render_plain(text) == f"<pre>{html.escape(text)}</pre>"
