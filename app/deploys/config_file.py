"""Find the wrangler config among a project's files, in wrangler's own order."""

from __future__ import annotations

# wrangler looks for wrangler.json, then wrangler.jsonc, then wrangler.toml.
CONFIG_FILE_ORDER = ("wrangler.json", "wrangler.jsonc", "wrangler.toml")


def find_config_file(paths: list[str] | set[str]) -> str | None:
    present = set(paths)
    return next((name for name in CONFIG_FILE_ORDER if name in present), None)
