"""Schemathesis over our own OpenAPI document, against `contextjson serve` over real HTTP.

Every documented operation is called with generated requests (the document's examples, boundary values,
then random valid and invalid input), signed in as the owner of an installed repository: an API key
(`Authorization: Bearer`) for the API, the dashboard session (cookie and CSRF token) for what only a
session may do. No answer may be a server error, and every answer must be one the document lists, with
its content type and schema. The run is deterministic (a fixed seed, derandomized, bounded examples).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.browser.server import serve_installed
from tests.fakes.fixtures import fake_stripe  # noqa: F401  (the fixture)
from tests.fakes.github import FakeGitHub
from tests.fakes.llm import FakeLLM
from tests.fakes.stripe_fake import FakeStripe
from tests.operations.cli import run_cli

SECRET_KEY = "schemathesis-secret-key-for-the-api-run"
OWNER = "acme"
FILES = {
    "README.md": "# widgets\n\nA small library of widgets.\n",
    "context.json": '{"context": {"explain": {"summary": "Explain", "pathPatterns": ["README.md"]}}}',
}
SEED = 20261128  # deterministic mode derives the cases from the document; the seed pins anything left
# Bounded and derandomized: the same requests every run, about a minute per database on two cores.
MAX_EXAMPLES = 100
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,"
    "response_headers_conformance"
)
# What needs the dashboard's session rather than an API key: a leaked key must not mint or revoke keys
# (app.api.keys), and the operator view is for a signed-in operator (OPERATOR_LOGINS).
SESSION_PATHS = r"^/api/(keys|operator/)"
KEY_PATHS = r"^/(?!api/(keys|operator/))"
KEY_NAMES = ("schemathesis", "spare")


@dataclass
class Served:
    """The running service, an API key of its owner, and the owner's signed-in dashboard session."""

    base: str
    key: str
    session: dict[str, str]  # the request headers that carry the session (cookie, CSRF token)
    spare_key_id: int  # the key DELETE /api/keys/{key_id} revokes (not the one the run uses)


@pytest.fixture
def served(
    fake_github: FakeGitHub,
    fake_llm: FakeLLM,
    fake_stripe: FakeStripe,  # noqa: F811  (the fixture)
    database_url: str,
    tmp_path: Path,
) -> Iterator[Served]:
    """On each database the service supports (conftest's `database_url`): PostgreSQL refuses what SQLite keeps."""
    env = {
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url,
        "GITHUB_CLIENT_ID": fake_github.oauth.client_id,
        "GITHUB_CLIENT_SECRET": fake_github.oauth.client_secret,
        "STRIPE_API_BASE": fake_stripe.url,
        "STRIPE_SECRET_KEY": fake_stripe.api_key,
        "STRIPE_WEBHOOK_SECRET": fake_stripe.webhook_secret,
        "OPERATOR_LOGINS": OWNER,
    }
    with serve_installed(fake_github, fake_llm, tmp_path, FILES, env=env) as base:
        keys = [run_cli(["apikey", "create", "--account", OWNER, "--name", name], env) for name in KEY_NAMES]
        assert all(made.returncode == 0 for made in keys), [made.stderr for made in keys]
        session = _signed_in(base, fake_github)
        listed = httpx.get(f"{base}/api/keys", headers=session).json()
        spare = next(key["id"] for key in listed if key["name"] == KEY_NAMES[1])
        yield Served(base, keys[0].stdout.split()[-1], session, spare)


def _signed_in(base: str, github: FakeGitHub) -> dict[str, str]:
    """A browser's session after logging in with the fake GitHub, as headers (with the CSRF token)."""
    github.oauth.sign_in_as(OWNER)
    with httpx.Client(base_url=base) as browser:
        start = browser.get("/login")
        assert start.status_code == 302, start.text
        authorize = httpx.get(start.headers["location"])
        assert authorize.status_code == 302, authorize.text
        back = urlsplit(authorize.headers["location"])
        assert browser.get(f"{back.path}?{back.query}").status_code == 303
        page = browser.get("/dashboard")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, page.text
        cookies = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
    return {"Cookie": cookies, "X-CSRF-Token": token.group(1)}


def _config(served: Served) -> str:
    """schemathesis.toml: which credentials each operation gets.

    Schemathesis reuses one HTTP session for the run, whose headers are those of the first operation it
    called: an empty Authorization makes sure the session operations are not judged by the key.
    """
    headers = {**served.session, "Authorization": ""}
    session = ", ".join(f'"{name}" = "{value}"' for name, value in headers.items())
    return f"""
[generation]
deterministic = true
database = "none"

[[operations]]
include-path-regex = '{SESSION_PATHS}'
headers = {{ {session} }}

[[operations]]
include-path = "/api/keys/{{key_id}}"
include-method = "DELETE"
parameters = {{ "key_id" = {served.spare_key_id} }}

[[operations]]
include-path-regex = '{KEY_PATHS}'
headers = {{ "Authorization" = "Bearer {served.key}" }}
"""


def test_every_operation_answers_as_documented(served: Served, tmp_path: Path) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(served))
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(config),
        "run",
        f"{served.base}/schema/openapi.json",
        f"--checks={CHECKS}",
        f"--max-examples={MAX_EXAMPLES}",
        f"--seed={SEED}",
        "--workers=1",
        # Not `stateful`: the document declares no links between operations, so it would only fuzz again.
        "--phases=examples,coverage,fuzzing",
        "--no-color",
        "--output-sanitize=false",
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    print(run.stdout)  # the run's summary (phases, warnings), shown with `pytest -rP`
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
