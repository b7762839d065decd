"""Keys derived from SECRET_KEY, one per purpose: signed cookies, the CSRF token, GitHub tokens at rest.

Rotating SECRET_KEY therefore ends every session (their cookies no longer verify and their stored tokens
no longer decrypt), which is the expected effect of rotating it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


@lru_cache(maxsize=16)
def derive_key(secret_key: str, purpose: str) -> bytes:
    """32 bytes for one purpose; never the secret itself, and unrelated across purposes."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"contextjson", info=purpose.encode())
    return hkdf.derive(secret_key.encode())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mac(secret_key: str, purpose: str, value: str) -> str:
    """An HMAC-SHA256 of `value` under the purpose's key (URL-safe text)."""
    return _b64(hmac.new(derive_key(secret_key, purpose), value.encode(), hashlib.sha256).digest())


def sign(secret_key: str, purpose: str, value: str) -> str:
    """`value.mac`; `value` must not contain a dot (ids and base64url text do not)."""
    return f"{value}.{mac(secret_key, purpose, value)}"


def unsign(secret_key: str, purpose: str, signed: str | None) -> str | None:
    """The value of a `sign`ed string, or None when it is missing or was not signed with this key."""
    value, dot, tag = (signed or "").partition(".")
    if not dot or not value or not hmac.compare_digest(tag, mac(secret_key, purpose, value)):
        return None
    return value


def sign_json(secret_key: str, purpose: str, data: dict[str, Any]) -> str:
    return sign(secret_key, purpose, _b64(json.dumps(data, separators=(",", ":")).encode()))


def unsign_json(secret_key: str, purpose: str, signed: str | None) -> dict[str, Any] | None:
    value = unsign(secret_key, purpose, signed)
    if value is None:
        return None
    try:
        data = json.loads(_unb64(value))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def new_session_id() -> str:
    """A random session id (256 bits); only the cookie ever holds it."""
    return secrets.token_urlsafe(32)


def hash_session_id(session_id: str) -> str:
    """What the database keeps instead of the id, so a leaked table cannot be used as cookies."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def _fernet(secret_key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(derive_key(secret_key, "github-token-at-rest")))


def encrypt_json(secret_key: str, data: dict[str, Any]) -> str:
    """Encrypt and authenticate a small JSON object (a user's GitHub token) for storage."""
    return _fernet(secret_key).encrypt(json.dumps(data).encode()).decode()


def decrypt_json(secret_key: str, token: str) -> dict[str, Any] | None:
    """The stored object, or None when it was encrypted under another SECRET_KEY or altered."""
    try:
        data = json.loads(_fernet(secret_key).decrypt(token.encode()))
    except (InvalidToken, ValueError):
        return None
    return data if isinstance(data, dict) else None
