"""Secrets at rest (App private key, OAuth and webhook secrets, user tokens): sealed with a key derived from SECRET_KEY.

Each purpose derives its own key (HKDF), so a value sealed for one use cannot be unsealed as another. Rotating
SECRET_KEY makes sealed values unreadable: they must be stored again (for the App, by registering it again or
setting its environment variables, which win over stored values).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["InvalidToken", "seal", "unseal"]


def _fernet(secret_key: str, purpose: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"contextjson", info=purpose.encode()).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(secret_key: str, purpose: str, plaintext: str) -> str:
    """The encrypted, authenticated form of `plaintext` (text, safe to store)."""
    return _fernet(secret_key, purpose).encrypt(plaintext.encode()).decode()


def unseal(secret_key: str, purpose: str, sealed: str) -> str:
    """The plaintext of `seal`'s output; InvalidToken when it was sealed with another key or purpose, or altered."""
    return _fernet(secret_key, purpose).decrypt(sealed.encode()).decode()
