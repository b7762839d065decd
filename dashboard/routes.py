"""Dashboard routes. For now the landing page; owner pages arrive with login and billing."""

from __future__ import annotations

from html import escape

from litestar import get
from litestar.di import NamedDependency
from litestar.response import Response

from app.runtime import Runtime


@get("/", include_in_schema=False, media_type="text/html")
async def landing(runtime: NamedDependency[Runtime]) -> Response[str]:
    """What this service is and how to use it (never a blank page)."""
    base = escape(runtime.settings.public_base)
    body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>contextjson</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 42rem; margin: 3rem auto; line-height: 1.5">
<h1>contextjson</h1>
<p>LLM answers about a repository, paid for by its owner. Install the GitHub App, push a
<code>context.json</code>, and put a badge in your README:</p>
<pre>[![Explain this repo]({base}/OWNER/REPO/context/explain/badge.svg)]({base}/OWNER/REPO/context/explain)</pre>
<p>Health: <a href="/healthz">/healthz</a> · API schema: <a href="/schema">/schema</a></p>
</body></html>"""
    return Response(body, media_type="text/html")


ROUTES = [landing]
