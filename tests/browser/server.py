"""`contextjson serve` with the GitHub App installed on one repository of the fake GitHub, for browser tests."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.operations.cli import run_cli
from tests.support.payloads import installation_payload
from tests.support.process import free_port, serve_process
from tests.support.webhook_examples import sign_payload

SECRET = "browser-secret"
INSTALLATION_ID = 77


@contextmanager
def serve_installed(
    fake_github: Any,
    fake_llm: Any,
    tmp_path: Path,
    files: dict[str, str],
    env: dict[str, str] | None = None,
    port: int | None = None,
) -> Iterator[str]:
    """`contextjson serve` with the App installed on acme/widgets holding `files` (its check run done)."""
    repo = fake_github.add_repo("acme", "widgets", files=files)
    fake_github.add_installation(INSTALLATION_ID, repo.owner.login, [repo.id])
    port = port or free_port()
    full_env = {
        "PUBLIC_URL": f"http://127.0.0.1:{port}",  # where GitHub and Stripe send the browser back to
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "REDIS_URL": "",
        "GITHUB_API_URL": fake_github.url,
        "GITHUB_APP_ID": str(fake_github.app_id),
        "GITHUB_APP_PRIVATE_KEY": fake_github.private_key_pem,
        "GITHUB_WEBHOOK_SECRET": SECRET,
        "LLM_BASE_URL": fake_llm.url,
        "LLM_API_KEY": fake_llm.api_key,
        "SNAPSHOT_CACHE_DIR": str(tmp_path / "snapshots"),
        **(env or {}),
    }
    with serve_process(full_env, log_path=tmp_path / "serve.log", port=port) as base:
        account = fake_github.account(repo.owner.login)
        body = json.dumps(installation_payload("created", INSTALLATION_ID, account, [repo])).encode()
        headers = {
            "X-GitHub-Event": "installation",
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-Hub-Signature-256": sign_payload(SECRET, body),
        }
        assert httpx.post(f"{base}/webhooks/github", content=body, headers=headers).status_code == 202
        deadline = time.monotonic() + 15
        while not fake_github.check_runs:
            assert time.monotonic() < deadline, "installation was not processed"
            time.sleep(0.05)
        yield base


@contextmanager
def serve_with_api_key(
    fake_github: Any, fake_llm: Any, tmp_path: Path, files: dict[str, str], key_name: str
) -> Iterator[tuple[str, str]]:
    """`contextjson serve` with acme's repository installed, and an API key of acme made with the CLI, as an
    operator would: (the service's base URL, the key)."""
    env = {"SECRET_KEY": "running-service-secret-key", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    with serve_installed(fake_github, fake_llm, tmp_path, files, env=env) as base:
        made = run_cli(["apikey", "create", "--account", "acme", "--name", key_name], env)
        assert made.returncode == 0, made.stderr
        yield base, made.stdout.split()[-1]
