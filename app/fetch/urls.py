"""Strict URL parsing for fetch targets, and picking URLs out of prompt text."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import idna

from app.fetch.policy import FetchPolicy, FetchRefused, IPAddress

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Anything a lenient parser (browser, curl, urllib) might read differently: whitespace, controls, backslash.
_AMBIGUOUS = re.compile(r"[\x00-\x20\x7f\\]")
_HOST_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
# WHATWG URL parsing treats a host whose last label is a number (decimal, octal or 0x-hex) as IPv4, so
# "2130706433", "0x7f.1", "127.1" and "0177.0.0.1" all mean 127.0.0.1 to some client. Only the canonical
# dotted quad is accepted as an address; every other numeric-looking host is refused outright.
_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")
_DOTTED_QUAD = re.compile(r"^[0-9]{1,3}(?:\.[0-9]{1,3}){3}$")
_URL_IN_TEXT = re.compile(r"\bhttps?://[^\s<>\"'`\[\]{}|\\^]+", re.IGNORECASE)
_TRAILING = ").,;:!?'\""


@dataclass(frozen=True)
class Target:
    """One validated hop: where to connect and what to ask for."""

    scheme: str
    host: str  # lower-case ASCII (IDNA-encoded) hostname, or the IP address text
    port: int
    target: str  # path and query, as sent in the request line
    ip: IPAddress | None  # set when the URL names an IP address rather than a hostname

    @property
    def host_header(self) -> str:
        """The Host header value, with the port only when it is not the scheme's default."""
        host = f"[{self.host}]" if isinstance(self.ip, ipaddress.IPv6Address) else self.host
        return host if _DEFAULT_PORTS[self.scheme] == self.port else f"{host}:{self.port}"

    @property
    def url(self) -> str:
        """The canonical URL of this hop (no userinfo, no fragment)."""
        return f"{self.scheme}://{self.host_header}{self.target}"


def parse_url(url: str, policy: FetchPolicy) -> Target:
    """Validate `url` against the policy's scheme and port rules and split it into a `Target`."""
    if _AMBIGUOUS.search(url):
        raise FetchRefused("URL contains whitespace, control characters or a backslash")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchRefused(f"URL is malformed: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in policy.allowed_schemes or scheme not in _DEFAULT_PORTS:
        raise FetchRefused(f"scheme {scheme!r} is not allowed")
    if "@" in parts.netloc:
        raise FetchRefused("URL contains credentials (user@host)")
    host, ip = _parse_host(parts.netloc, parts.hostname)
    port = _DEFAULT_PORTS[scheme] if port is None else port
    if policy.allowed_ports is not None and port not in policy.allowed_ports:
        raise FetchRefused(f"port {port} is not allowed")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme=scheme, host=host, port=port, target=target, ip=ip)


def _parse_host(netloc: str, hostname: str | None) -> tuple[str, IPAddress | None]:
    """The normalised host and, for an IP literal, its address; odd numeric spellings are refused."""
    if not hostname:
        raise FetchRefused("URL has no host")
    if netloc.startswith("["):
        try:
            v6 = ipaddress.IPv6Address(hostname)
        except ValueError:
            raise FetchRefused(f"host [{hostname}] is not a valid IPv6 address") from None
        if v6.scope_id:
            raise FetchRefused("IPv6 zone identifiers are not allowed")
        return v6.compressed, v6
    host = _to_ascii(hostname).rstrip(".")
    labels = host.split(".")
    if _NUMERIC_LABEL.match(labels[-1]):
        return host, _canonical_ipv4(host, hostname)
    if len(host) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        raise FetchRefused(f"host {hostname!r} is not a valid hostname")
    return host, None


def _canonical_ipv4(host: str, original: str) -> ipaddress.IPv4Address:
    """The address of a plain dotted quad (no leading zeros, no octet > 255); any other spelling is refused."""
    if _DOTTED_QUAD.match(host):
        try:
            return ipaddress.IPv4Address(host)  # rejects leading zeros, which some parsers read as octal
        except ValueError:
            pass
    raise FetchRefused(f"host {original!r} looks like a non-canonical IP address")


def _to_ascii(hostname: str) -> str:
    """Lower-case ASCII form of a hostname, IDNA-encoding (UTS #46) internationalised names."""
    if hostname.isascii():
        return hostname.lower()
    try:
        # UTS #46 mapping also folds full-width digits and ideographic dots, so "１２７。０。０。１" comes out
        # as "127.0.0.1" and is then judged like any other IP address.
        return idna.encode(hostname, uts46=True).decode("ascii")
    except UnicodeError as exc:  # idna.IDNAError is a UnicodeError
        raise FetchRefused(f"host {hostname!r} is not a valid internationalised name: {exc}") from None


def extract_urls(text: str, limit: int = 5) -> list[str]:
    """The first `limit` distinct http(s) URLs in `text`, in order, without trailing punctuation."""
    found: list[str] = []
    for match in _URL_IN_TEXT.finditer(text):
        url = _strip_trailing(match.group(0))
        if url.partition("://")[2] and url not in found:
            found.append(url)
            if len(found) >= limit:
                break
    return found


def _strip_trailing(url: str) -> str:
    """Drop sentence punctuation after a URL, keeping a ")" that closes a "(" inside it (Wikipedia style)."""
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url
