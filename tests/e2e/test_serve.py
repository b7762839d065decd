"""End to end: signed webhooks sent over HTTP to a running `contextjson serve` (embedded defaults:
SQLite file, jobs in-process) produce check runs on the fake GitHub."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.payloads import installation_payload, push_payload
from tests.support.process import serve_process
from tests.support.webhook_examples import sign_payload
from tests.webhooks.helpers import INVALID_CONTEXT, VALID_CONTEXT

SECRET = "e2e-secret"
INSTALLATION_ID = 31337


@pytest.fixture
def server(fake_github: Any, tmp_path: Path) -> Iterator[str]:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'service.db'}",
        "REDIS_URL": "",
        "PUBLIC_URL": "https://cj.example",
        "SECRET_KEY": "e2e-secret-key-not-the-development-default",
        "GITHUB_API_URL": fake_github.url,
        "GITHUB_APP_ID": str(fake_github.app_id),
        "GITHUB_APP_PRIVATE_KEY": fake_github.private_key_pem,
        "GITHUB_WEBHOOK_SECRET": SECRET,
    }
    with serve_process(env, log_path=tmp_path / "serve.log") as base:
        yield base


def send(
    base: str, event: str, payload: dict[str, Any], *, delivery: str | None = None, secret: str = SECRET
) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": sign_payload(secret, body),
        "Content-Type": "application/json",
    }
    return httpx.post(f"{base}/webhooks/github", content=body, headers=headers, timeout=10)


def wait_for(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def test_install_then_push_valid_and_invalid_context_json(server: str, fake_github: Any) -> None:
    repo = fake_github.add_repo("acme", "widgets", files={"README.md": "# widgets"})
    fake_github.add_installation(INSTALLATION_ID, "acme", [repo.id])
    owner = fake_github.account("acme")
    assert (
        send(server, "installation", installation_payload("created", INSTALLATION_ID, owner, [repo])).status_code == 202
    )
    wait_for(lambda: bool(fake_github.find_requests("GET", r"/contents/context\.json")))

    before, good = repo.branches["main"], repo.commit("main", {"context.json": VALID_CONTEXT})
    push = push_payload(repo, INSTALLATION_ID, branch="main", before=before, after=good, added=["context.json"])
    assert send(server, "push", push, delivery="push-good").status_code == 202
    wait_for(lambda: len(fake_github.check_runs) == 1)
    run = fake_github.check_runs[0]
    assert (run["name"], run["head_sha"], run["conclusion"]) == ("contextjson", good, "success")
    assert "https://cj.example/acme/widgets/tree/main/context/explain" in run["output"]["summary"]

    # The same delivery again is acknowledged and not processed a second time.
    assert send(server, "push", push, delivery="push-good").status_code == 200
    bad = repo.commit("main", {"context.json": INVALID_CONTEXT})
    push = push_payload(repo, INSTALLATION_ID, branch="main", before=good, after=bad, modified=["context.json"])
    assert send(server, "push", push).status_code == 202
    wait_for(lambda: len(fake_github.check_runs) == 2)
    time.sleep(0.3)  # give a wrongly repeated delivery time to show up
    assert len(fake_github.check_runs) == 2
    failed = fake_github.check_runs[1]
    assert (failed["head_sha"], failed["conclusion"]) == (bad, "failure")
    assert "`context.explain.summary`: longer than 70 characters" in failed["output"]["summary"]


def test_bad_signature_is_rejected_and_changes_nothing(server: str, fake_github: Any) -> None:
    repo = fake_github.add_repo("acme", "secret", files={"context.json": VALID_CONTEXT})
    fake_github.add_installation(INSTALLATION_ID, "acme", [repo.id])
    payload = installation_payload("created", INSTALLATION_ID, fake_github.account("acme"), [repo])
    resp = send(server, "installation", payload, secret="wrong")
    assert resp.status_code == 401
    time.sleep(0.5)
    assert fake_github.requests == [] and fake_github.check_runs == []
    assert httpx.get(f"{server}/healthz").json()["database"] == "ok"
