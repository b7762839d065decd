"""GitHub's real webhook example payloads (from @octokit/webhooks-examples) and signing helpers."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import uuid
from functools import cache
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_FILE = REPO_ROOT / "node_modules/@octokit/webhooks-examples/api.github.com/index.json"


class WebhookExamplesMissing(RuntimeError):
    """Raised when the npm package with the example payloads is not installed."""


@cache
def _examples_by_event() -> dict[str, list[dict[str, Any]]]:
    if not EXAMPLES_FILE.is_file():
        raise WebhookExamplesMissing(
            f"{EXAMPLES_FILE} not found: run `npm ci` in {REPO_ROOT} to install the "
            "@octokit/webhooks-examples test fixtures (see package.json)"
        )
    events = json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))
    return {event["name"]: event["examples"] for event in events}


def load_example(event: str, action: str | None = None, *, index: int = 0) -> dict[str, Any]:
    """Return a deep copy of GitHub's `index`-th example payload for `event` (and `action`)."""
    examples = _examples_by_event()
    if event not in examples:
        raise KeyError(f"no webhook examples for event {event!r}; known: {sorted(examples)}")
    matching = [e for e in examples[event] if action is None or e.get("action") == action]
    if not matching:
        actions = sorted({str(e.get("action")) for e in examples[event]})
        raise KeyError(f"no {event!r} example with action {action!r}; available actions: {actions}")
    if not -len(matching) <= index < len(matching):
        raise IndexError(f"{event}/{action}: only {len(matching)} example(s), asked for index {index}")
    return copy.deepcopy(matching[index])


def sign_payload(secret: str, body: bytes) -> str:
    """Return the `X-Hub-Signature-256` header value GitHub would send for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_request(
    event: str,
    payload: dict[str, Any],
    secret: str,
    *,
    delivery_id: str | None = None,
    app_id: int | None = None,
) -> tuple[bytes, dict[str, str]]:
    """Return (body, headers) of a webhook delivery as GitHub's hookshot sends it."""
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/fake",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
        "X-Hub-Signature": "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest(),
        "X-Hub-Signature-256": sign_payload(secret, body),
    }
    if app_id is not None:
        # GitHub App deliveries name the app (not the installation) as the hook target.
        headers["X-GitHub-Hook-Installation-Target-Type"] = "integration"
        headers["X-GitHub-Hook-Installation-Target-ID"] = str(app_id)
    return body, headers
