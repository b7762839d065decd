"""Who clicks, without keeping who they are: referring hosts, and visitor hashes salted per day."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from datetime import date
from urllib.parse import urlsplit

from app.links.clients import client_key

MAX_REFERER_CHARS = 2048
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def referrer_host(raw: str) -> str | None:
    """The host of a `Referer` value (lower case, no port, no path), or None when it is not an http(s) URL."""
    if not raw or len(raw) > MAX_REFERER_CHARS:
        return None
    try:
        parts = urlsplit(raw.strip())
        host = parts.hostname  # lower-cased, without port or credentials
    except ValueError:  # e.g. an unbalanced "[" in the netloc
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    host = host.rstrip(".")
    if _is_address(host):
        return host
    if len(host) > 253 or not all(_LABEL.match(label) for label in host.split(".")):
        return None  # not a DNS name (browsers send IDNs as punycode)
    return host


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class VisitorHasher:
    """A visitor's daily hash: the rate limiter's client key, hashed again with a salt that changes every UTC day.

    The salt derives from SECRET_KEY and the date, so hashes of one day cannot be matched with another day's
    and the stored value is neither the address nor the key the rate limiter uses.
    """

    def __init__(self, secret_key: str):
        self._secret = secret_key
        self._salts: dict[date, bytes] = {}

    def salt(self, day: date) -> bytes:
        """The salt of one UTC day."""
        salt = self._salts.get(day)
        if salt is None:
            if len(self._salts) > 8:  # only today's and yesterday's are asked for in practice
                self._salts.clear()
            message = f"usage.visitor:{day.isoformat()}".encode()
            salt = self._salts[day] = hmac.new(self._secret.encode(), message, hashlib.sha256).digest()
        return salt

    def visitor(self, client_host: str | None, day: date) -> str:
        """The stored visitor id of a client address on a day."""
        key = client_key(client_host, self._secret)  # the same network grouping as the link rate limiter
        return hmac.new(self.salt(day), key.encode(), hashlib.sha256).hexdigest()[:32]
