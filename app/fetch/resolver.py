"""Hostname resolution behind a small protocol, so tests can answer DNS themselves."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Protocol

from app.fetch.policy import FetchPolicy, FetchRefused, IPAddress


class Resolver(Protocol):
    """Turns a hostname into the addresses a connection may go to."""

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """All addresses for `host`, in preference order (may raise OSError)."""
        ...


class SystemResolver:
    """The operating system's resolver, through the event loop's `getaddrinfo`."""

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """All TCP addresses for `host`, deduplicated, in the order getaddrinfo gives them."""
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses: list[IPAddress] = []
        for _family, _type, _proto, _canonname, sockaddr in infos:
            ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            if ip not in addresses:
                addresses.append(ip)
        return addresses


async def resolve_checked(resolver: Resolver, host: str, port: int, policy: FetchPolicy) -> list[IPAddress]:
    """Resolve `host` once and require every answer to be allowed; one bad answer refuses the host."""
    try:
        addresses = await resolver.resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise FetchRefused(f"could not resolve host {host!r}: {exc}") from None
    if not addresses:
        raise FetchRefused(f"host {host!r} has no addresses")
    # Checking all answers (not just the one we use) keeps a mixed public/private answer from being
    # a coin toss, and means a retry on the next address can never land somewhere unchecked.
    for ip in addresses:
        if not policy.allows_address(ip):
            raise policy.address_refusal(ip)
    return addresses
