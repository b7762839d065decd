"""Public result ids: short, unguessable, URL-safe."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def new_result_id() -> str:
    """16 base62 characters (~95 bits of randomness)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(16))


def is_result_id(value: str) -> bool:
    return 8 <= len(value) <= 32 and all(ch in _ALPHABET for ch in value)
