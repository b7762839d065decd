"""`contextjson apikey …`: an operator creates, lists and revokes keys of any account on the server."""

from __future__ import annotations

import asyncio
from typing import Any

from app.settings import Settings
from tests.api_keys.helpers import as_key
from tests.auth.helpers import install
from tests.conftest import Service
from tests.operations.cli import error_lines, run_cli
from tests.support.problems import assert_problem


async def _cli(settings: Settings, *args: str) -> Any:
    env = {"DATABASE_URL": settings.database_url, "SECRET_KEY": settings.secret_key}
    return await asyncio.to_thread(run_cli, ["apikey", *args], env)


async def test_the_operator_creates_lists_and_revokes_a_key(service: Service, fake_github: Any, settings: Any) -> None:
    await install(service, fake_github, 101, "Alice")
    created = await _cli(settings, "create", "--account", "alice", "--name", "CI", "--monthly-cap-usd", "3.5")
    assert created.returncode == 0, created.stderr
    line = created.stdout.strip().splitlines()[-1]
    key = line.split()[-1]  # the key is last on its line
    assert key.startswith("cj_") and "Alice" in line
    account = await as_key(service, "GET", "/api/account", key)
    assert account.status_code == 200 and account.json()["login"] == "Alice"
    listed = await _cli(settings, "list", "--account", "Alice")
    key_id, prefix, name, cap, _ = listed.stdout.strip().split("\t")
    assert (prefix, name, cap) == (key[:11], "CI", "cap=3.500000") and key not in listed.stdout
    revoked = await _cli(settings, "revoke", "--account", "alice", key_id)
    assert revoked.returncode == 0, revoked.stderr
    assert_problem(await as_key(service, "GET", "/api/account", key), 401, "auth.invalid_api_key")


async def test_mistakes_are_one_clear_line(service: Service, fake_github: Any, settings: Any) -> None:
    await install(service, fake_github, 101, "alice")
    unknown = await _cli(settings, "create", "--account", "nobody", "--name", "CI")
    assert unknown.returncode == 1 and error_lines(unknown) == [
        "contextjson apikey create: no account 'nobody': it appears once the GitHub App is installed on it"
    ]
    bad_cap = await _cli(settings, "create", "--account", "alice", "--name", "CI", "--monthly-cap-usd", "-2")
    assert bad_cap.returncode == 1 and "more than $0" in error_lines(bad_cap)[0]
    missing = await _cli(settings, "revoke", "--account", "alice", "99")
    assert missing.returncode == 1 and "no live API key 99" in error_lines(missing)[0]
