"""`contextjson` command: serve, worker, migrate."""

from __future__ import annotations

import argparse
import logging
import sys

from app.db.engine import is_sqlite
from app.settings import get_settings


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from app.app import create_app
    from app.db.migrate import upgrade

    settings = get_settings()
    if is_sqlite(settings.database_url):
        # The one-command default: a fresh SQLite file is created and kept up to date automatically.
        upgrade(settings.database_url)
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        proxy_headers=False,  # the app applies TRUSTED_PROXIES itself (app.app)
    )


def _worker(_: argparse.Namespace) -> None:
    from jobs.worker import run_worker

    run_worker()


def _migrate(_: argparse.Namespace) -> None:
    from app.db.migrate import upgrade

    upgrade(get_settings().database_url)
    print("database is up to date")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="contextjson", description="contextjson GitHub App service")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the web service (and, without REDIS_URL, the jobs)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(handler=_serve)
    sub.add_parser("worker", help="run an arq worker (needs REDIS_URL)").set_defaults(handler=_worker)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(handler=_migrate)
    return parser


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `contextjson` console script."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    args = build_parser().parse_args(argv)
    args.handler(args)


if __name__ == "__main__":
    main(sys.argv[1:])
