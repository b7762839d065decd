"""The results router: /r/{id} (HTML, .md, .json, .txt, SSE) and /r/{id}/stream. Open to anyone; each
request checks that the answer's repository is still served (app.accounts.visibility), and a private
repository's answers are shown only to signed-in visitors GitHub says may read it (app.private_repos)."""

from __future__ import annotations

from litestar import Router

from app.guards import ANONYMOUS
from app.results.controller import result_stream, result_view

router = Router(path="/r", route_handlers=[result_view, result_stream], guards=ANONYMOUS, tags=["results"])
