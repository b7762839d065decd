"""The floor for a visitor link: a bare Litestar app whose only route answers 303, served like ours.

    python bench/bare_redirect.py --port 8001 [--location /r/xyz] [--log-level warning]

Same route shape as the visitor link (`/{owner}/{repo}/context/{context_id}`, path parameters parsed) and the
same `uvicorn.run(...)` options as `contextjson serve` (app/cli.py): one worker process, uvicorn's default
loop and HTTP implementation ("auto": uvloop and httptools when installed, as in this venv),
`proxy_headers=True`, `forwarded_allow_ips="127.0.0.1"`. No middleware, no dependencies, no database.
"""

from __future__ import annotations

import argparse

import uvicorn
from litestar import Litestar, get
from litestar.response import Redirect


def create_bare_app(location: str) -> Litestar:
    """A Litestar app with one visitor-link-shaped route redirecting to `location`."""

    @get("/{owner:str}/{repo:str}/context/{context_id:str}", cache=False)
    async def link(owner: str, repo: str, context_id: str) -> Redirect:
        return Redirect(location, status_code=303)

    return Litestar(route_handlers=[link], openapi_config=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--location", default="/r/bare", help="the redirect target (use ours, for equal bytes)")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args()
    uvicorn.run(
        create_bare_app(args.location),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
    )


if __name__ == "__main__":
    main()
