"""The real webhook examples load, sign and verify like GitHub's deliveries."""

from __future__ import annotations

import json

import githubkit.webhooks
import pytest

from tests.support import webhook_examples
from tests.support.webhook_examples import load_example, sign_payload, webhook_request

EXAMPLES = [
    ("installation", "created"),
    ("installation", "deleted"),
    ("installation", "suspend"),
    ("installation", "unsuspend"),
    ("installation", "new_permissions_accepted"),
    ("installation_repositories", "added"),
    ("installation_repositories", "removed"),
    ("push", None),
    ("ping", None),
]


@pytest.mark.parametrize(("event", "action"), EXAMPLES)
def test_example_signs_and_verifies(event: str, action: str | None) -> None:
    payload = load_example(event, action)
    if action is not None:
        assert payload["action"] == action
    body = json.dumps(payload).encode()

    signature = sign_payload("s3cret", body)
    assert signature.startswith("sha256=") and len(signature) == len("sha256=") + 64
    assert githubkit.webhooks.verify("s3cret", body, signature)
    assert not githubkit.webhooks.verify("wrong", body, signature)


def test_load_example_returns_independent_copies() -> None:
    first = load_example("installation", "created")
    first["installation"]["id"] = -1
    assert load_example("installation", "created")["installation"]["id"] != -1
    assert load_example("push", index=1) != load_example("push", index=0)


def test_unknown_event_or_action_is_explained() -> None:
    with pytest.raises(KeyError, match="available actions"):
        load_example("installation", "exploded")
    with pytest.raises(IndexError, match="only"):
        load_example("installation", "deleted", index=50)


def test_webhook_request_headers() -> None:
    body, headers = webhook_request("ping", load_example("ping"), "s3cret", delivery_id="d-1", app_id=7)
    assert headers["X-GitHub-Event"] == "ping" and headers["X-GitHub-Delivery"] == "d-1"
    assert githubkit.webhooks.verify("s3cret", body, headers["X-Hub-Signature-256"])
    assert headers["X-GitHub-Hook-Installation-Target-ID"] == "7"


def test_missing_node_modules_says_run_npm_ci(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setattr(webhook_examples, "EXAMPLES_FILE", tmp_path / "missing.json")
    webhook_examples._examples_by_event.cache_clear()
    try:
        with pytest.raises(webhook_examples.WebhookExamplesMissing, match="npm ci"):
            load_example("ping")
    finally:
        webhook_examples._examples_by_event.cache_clear()
