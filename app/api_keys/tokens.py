"""The text of an API key: `cj_` + an 8-character lookup prefix + a 32-character secret, all base62.

The secret has ~190 bits of entropy, so a fast keyed hash (HMAC-SHA256 under a key derived from SECRET_KEY)
is the right way to store it: nobody can guess keys against it, and checking one costs microseconds on
every request. Consequence: rotating SECRET_KEY ends every API key, as it ends every session.
"""

from __future__ import annotations

import hmac
import secrets
import string

from app.auth import crypto

KEY_PREFIX = "cj_"
_ALPHABET = string.ascii_letters + string.digits
_LOOKUP_CHARS = 8
_SECRET_CHARS = 32
KEY_LENGTH = len(KEY_PREFIX) + _LOOKUP_CHARS + _SECRET_CHARS
_PURPOSE = "api-key"


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_key() -> str:
    return KEY_PREFIX + _random(_LOOKUP_CHARS) + _random(_SECRET_CHARS)


def lookup_prefix(key: str) -> str | None:
    """The stored, shown part of a key (`cj_Ab12Cd34`), or None for text that cannot be one of our keys."""
    if len(key) != KEY_LENGTH or not key.startswith(KEY_PREFIX):
        return None
    if not all(char in _ALPHABET for char in key[len(KEY_PREFIX) :]):
        return None
    return key[: len(KEY_PREFIX) + _LOOKUP_CHARS]


def key_hash(secret_key: str, key: str) -> str:
    return crypto.mac(secret_key, _PURPOSE, key)


def matches(secret_key: str, key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(key_hash(secret_key, key), stored_hash)
