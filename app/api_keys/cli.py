"""`contextjson apikey create|list|revoke`: an operator's way to manage any account's keys on the server.

Only the argument parser lives here (the `contextjson` command builds it on every start, even for a health
probe); the work is imported when the command runs (app.api_keys.commands).
"""

from __future__ import annotations

import argparse


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    apikey = sub.add_parser("apikey", help="create, list or revoke an account's API keys")
    actions = apikey.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a key and print it (shown once, last on its line)")
    create.add_argument("--account", required=True, help="the account's GitHub login")
    create.add_argument("--name", required=True, help="where the key is used, e.g. CI")
    create.add_argument("--monthly-cap-usd", default=None, help="optional spend cap per calendar month")
    listing = actions.add_parser("list", help="list an account's live keys")
    listing.add_argument("--account", required=True)
    revoke = actions.add_parser("revoke", help="revoke a key at once")
    revoke.add_argument("--account", required=True)
    revoke.add_argument("key_id", type=int)
    apikey.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from app.api_keys.commands import run_command

    run_command(args)
