"""Webhook signature verification (X-Hub-Signature-256)."""

from __future__ import annotations

import hashlib
import hmac


def verify_signature(secret: str, body: bytes, signature_header: str | None) -> bool:
    """True when `X-Hub-Signature-256` is the HMAC-SHA256 of the raw body under the webhook secret."""
    if not secret or not signature_header or not signature_header.startswith("sha256="):
        return False
    return hmac.compare_digest(sign(secret, body), signature_header)


def sign(secret: str, body: bytes) -> str:
    """The `X-Hub-Signature-256` value GitHub would send for this body (for tests and tooling)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
