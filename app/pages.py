"""A plain, dependency-free HTML frame for the service's own pages (errors, results)."""

from __future__ import annotations

from html import escape

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;
line-height:1.55;color:#1f2328;background:#fff}
a{color:#0969da}header.meta{color:#59636e;font-size:.9rem;margin-bottom:1rem}
.notice{border:1px solid #d1d9e0;border-radius:6px;padding:.75rem 1rem;margin:1rem 0;background:#f6f8fa}
.error{border-color:#cf222e;background:#ffebe9;color:#82071e}
.older{border-color:#9a6700;background:#fff8c5}
pre{background:#f6f8fa;padding:.75rem;border-radius:6px;overflow:auto;white-space:pre-wrap}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em}
table{border-collapse:collapse}td,th{border:1px solid #d1d9e0;padding:.3rem .6rem}
.align-center{text-align:center}.align-right{text-align:right}.align-left{text-align:left}
button{font:inherit;padding:.3rem .8rem;border:1px solid #d1d9e0;border-radius:6px;background:#f6f8fa;cursor:pointer}
"""


def html_page(title: str, body_html: str, *, head_extra: str = "") -> str:
    """A complete HTML document; `body_html` must already be safe HTML."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · contextjson</title><style>{STYLE}</style>{head_extra}</head>"
        f"<body>{body_html}</body></html>"
    )


def message_page(title: str, message: str, *, links: list[tuple[str, str]] = ()) -> str:  # type: ignore[assignment]
    """A page that explains something in words (message is plain text, escaped here)."""
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in message.splitlines() if line.strip())
    link_html = "".join(f'<p><a href="{escape(href)}">{escape(text)}</a></p>' for text, href in links)
    return html_page(title, f"<h1>{escape(title)}</h1>{paragraphs}{link_html}")
