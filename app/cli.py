"""`contextjson` command: serve, worker, migrate, apikey."""

from __future__ import annotations

import argparse
import sys

from app.api_keys.cli import add_commands as add_apikey_commands
from app.logs import configure_logging
from app.settings import get_settings


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from app.app import create_app

    settings = get_settings()
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        # One log line per request costs more than a cached visitor link itself: off unless asked for.
        access_log=args.access_log or settings.access_log,
        proxy_headers=False,  # the app applies TRUSTED_PROXIES itself (app.app)
    )


def _worker(_: argparse.Namespace) -> None:
    from jobs.worker import run_worker

    run_worker()


def _check_worker(_: argparse.Namespace) -> None:
    """Exit 0 while this host's worker keeps its health key fresh (a container liveness probe)."""
    from jobs.health import check_worker_health

    code, message = check_worker_health(get_settings().redis_url)
    print(message)
    raise SystemExit(code)


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
    serve.add_argument(
        "--access-log", action="store_true", help="log one line per request (also ACCESS_LOG=1; off by default)"
    )
    serve.set_defaults(handler=_serve)
    worker = sub.add_parser("worker", help="run an arq worker (needs REDIS_URL)")
    worker.add_argument("--check", action="store_true", help="exit 0 if this host's worker is alive (probe)")
    worker.set_defaults(handler=_worker)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(handler=_migrate)
    add_apikey_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `contextjson` console script."""
    configure_logging()
    args = build_parser().parse_args(argv)
    if getattr(args, "check", False):
        _check_worker(args)  # a probe, run often: no startup checks, no heavy imports
    from app.startup import StartupError, prepare

    try:
        if args.command in ("serve", "worker"):
            prepare(get_settings(), args.command)
        args.handler(args)
    except StartupError as exc:  # a configuration problem: one line, no traceback
        print(f"contextjson {args.command}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main(sys.argv[1:])
