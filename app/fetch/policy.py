"""What the fetcher may reach: the refusal type, the limits, and the public-address test."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchRefused(Exception):
    """A URL was not fetched (policy, network or HTTP problem); `reason` says why in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FetchPolicy:
    """Limits and reachability rules for one fetch, redirects included."""

    max_bytes: int = 256 * 1024
    timeout_seconds: float = 5.0  # one deadline for the whole fetch: DNS, connects, redirects and body
    max_redirects: int = 3
    allowed_schemes: tuple[str, ...] = ("https", "http")
    allow_private: bool = False  # tests only: lets loopback test servers through
    allowed_ports: frozenset[int] | None = frozenset({80, 443})  # None = any port
    # Overrides the address rule when set (tests use it to allow exactly one loopback address).
    address_allowed: Callable[[IPAddress], bool] | None = None

    def allows_address(self, ip: IPAddress) -> bool:
        """Whether a connection to `ip` is permitted."""
        if self.address_allowed is not None:
            return self.address_allowed(ip)
        return self.allow_private or is_public_address(ip)

    def address_refusal(self, ip: IPAddress) -> FetchRefused:
        """The refusal for an address this policy does not allow, naming the range it falls in."""
        return FetchRefused(f"address {ip} is {describe_address(ip)}")


def _nets(*cidrs: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr) for cidr in cidrs)


# Spelled out rather than trusting only `ip.is_global`: its tables changed between Python patch releases
# (and it calls multicast "global"), and this list is the reviewable statement of the policy.
_BLOCKED_V4 = {
    "unspecified": _nets("0.0.0.0/8"),
    "private": _nets("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"),
    "shared (CGNAT)": _nets("100.64.0.0/10"),
    "loopback": _nets("127.0.0.0/8"),
    "link-local": _nets("169.254.0.0/16"),  # includes the cloud metadata address 169.254.169.254
    "reserved": _nets("192.0.0.0/24", "192.88.99.0/24", "198.18.0.0/15", "240.0.0.0/4"),
    "documentation": _nets("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"),
    "multicast": _nets("224.0.0.0/4"),
}
_BLOCKED_V6 = {
    "metadata": _nets("fd00:ec2::254/128"),  # AWS IMDS over IPv6 (also inside fc00::/7)
    "unspecified": _nets("::/128"),
    "loopback": _nets("::1/128"),
    "unique-local": _nets("fc00::/7"),
    "link-local": _nets("fe80::/10"),
    "site-local": _nets("fec0::/10"),
    "multicast": _nets("ff00::/8"),
    "documentation": _nets("2001:db8::/32", "3fff::/20"),
    "reserved": _nets("::/8", "100::/64", "2001::/23", "64:ff9b:1::/48"),
}
# Prefixes that are just another spelling of an IPv4 destination: judge them as that IPv4 address.
_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_COMPAT = ipaddress.IPv6Network("::/96")


def _translated_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, IPv4-compatible or NAT64 address stands for."""
    if ip in _MAPPED or ip in _NAT64 or (ip in _COMPAT and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _tunnelled_v4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses embedded by 6to4 or Teredo, which a relay may route to."""
    found = [ip.sixtofour] if ip.sixtofour is not None else []
    if ip.teredo is not None:
        found.extend(ip.teredo)
    return found


def describe_address(ip: IPAddress) -> str:
    """The blocked range `ip` falls in ("loopback", "private", ...), or "public"."""
    if isinstance(ip, ipaddress.IPv6Address):
        v4 = _translated_v4(ip)
        if v4 is not None:
            inner = describe_address(v4)
            return inner if inner == "public" else f"{inner} (embedded IPv4 {v4})"
        for tunnelled in _tunnelled_v4(ip):
            if describe_address(tunnelled) != "public":
                return f"a tunnel to non-public IPv4 {tunnelled}"
    table = _BLOCKED_V6 if isinstance(ip, ipaddress.IPv6Address) else _BLOCKED_V4
    for label, networks in table.items():
        if any(ip in network for network in networks):
            return label
    # Belt and braces for anything the tables above miss (IANA special-purpose registry).
    if not ip.is_global or ip.is_multicast or ip.is_reserved:
        return "not globally routable"
    return "public"


def is_public_address(ip: IPAddress) -> bool:
    """Whether `ip` is a globally routable unicast address that is safe to connect to."""
    return describe_address(ip) == "public"
