"""Who is clicking: a keyed hash of the client's network, for per-client limits without storing addresses.

IPv6 clients are counted per /64: one subscriber usually holds a whole /64 and can pick any address
in it, so counting single addresses would give each of them billions of allowances. IPv4 clients are
counted per address. Behind proxies, the client address comes from `X-Forwarded-For`, trusted only as
far as `TRUSTED_PROXIES` says (see app.app: uvicorn's proxy-header middleware, right-most untrusted entry).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

IPV6_PREFIX = 64


def client_network(host: str) -> str:
    """The address or network a client is counted by: IPv4 as is, IPv6 as its /64, other text unchanged."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)


def client_key(host: str | None, secret: str) -> str:
    """A keyed hash of the client's network: enough to rate-limit, useless to anyone reading it."""
    network = client_network(host or "unknown")
    return hmac.new(secret.encode(), network.encode(), hashlib.sha256).hexdigest()[:32]
