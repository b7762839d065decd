"""Fetch a URL from a prompt as text, refusing anything that is not a public web host.

IP pinning (the DNS-rebinding defence): each hop's hostname is resolved once, by us, through the
`Resolver`; every answer must pass the policy; then the request is sent to a URL whose host is the
checked IP itself, so httpx/httpcore have no name to look up and cannot be steered elsewhere by a
second, different DNS answer. What the hostname is still needed for is carried separately:
- the `Host` header is set explicitly (httpx only fills it in from the URL when it is absent);
- for https, the `sni_hostname` request extension makes httpcore use the hostname as
  `server_hostname`, which drives both SNI and certificate hostname verification.
This was chosen over a custom httpcore network backend that maps hostname -> IP inside `connect_tcp`:
httpx 0.28's `AsyncHTTPTransport` takes no `network_backend`, so that route means replacing its
private `_pool`, while the IP-in-URL route uses only documented httpx/httpcore API and keeps the
connect target visible on `request.url` (which is what tests assert on). Keep-alive is switched off
so a TLS connection verified for one hostname is never reused for another hostname on the same IP.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from app.fetch.content import check_text, decode_text, parse_content_type
from app.fetch.policy import FetchPolicy, FetchRefused, IPAddress
from app.fetch.resolver import Resolver, SystemResolver, resolve_checked
from app.fetch.urls import Target, parse_url

DEFAULT_POLICY = FetchPolicy()  # frozen, so one shared default is safe
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_HEADERS = {
    "User-Agent": "contextjson-fetch/1.0",
    "Accept": "text/*, application/json, application/xml, */*;q=0.1",
    # Compressed bodies would be inflated by httpx before max_bytes could cap them (zip bombs), so ask
    # for identity and refuse anything else.
    "Accept-Encoding": "identity",
}


@dataclass(frozen=True)
class FetchedPage:
    """A fetched text page; `url` is the final URL after redirects."""

    url: str
    status: int
    content_type: str  # media type without parameters, "" when the server sent none
    text: str
    truncated: bool  # the body was cut at the policy's max_bytes


async def fetch_public_text(
    url: str,
    policy: FetchPolicy = DEFAULT_POLICY,
    *,
    resolver: Resolver | None = None,  # None = the system resolver; tests script DNS answers
    transport: httpx.AsyncBaseTransport | None = None,  # None = a fresh keep-alive-free transport; tests spy
) -> FetchedPage:
    """GET `url` as text under `policy`; raises only FetchRefused for policy, network and HTTP problems."""
    try:
        # One deadline for the whole fetch: a server that trickles bytes cannot stretch it read by read.
        async with asyncio.timeout(policy.timeout_seconds):
            return await _fetch(url, policy, resolver or SystemResolver(), transport)
    except (TimeoutError, httpx.TimeoutException):
        raise FetchRefused(f"timed out after {policy.timeout_seconds} s") from None
    except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
        raise FetchRefused(f"request failed: {type(exc).__name__}: {exc}") from None


def _client(policy: FetchPolicy, transport: httpx.AsyncBaseTransport | None) -> httpx.AsyncClient:
    """A client that follows nothing and trusts no environment (proxies, netrc)."""
    if transport is None:
        limits = httpx.Limits(max_keepalive_connections=0)
        transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False, retries=0)
    return httpx.AsyncClient(
        transport=transport, trust_env=False, follow_redirects=False, timeout=policy.timeout_seconds
    )


async def _fetch(
    url: str, policy: FetchPolicy, resolver: Resolver, transport: httpx.AsyncBaseTransport | None
) -> FetchedPage:
    """Follow redirects by hand, validating every hop's URL and addresses before connecting."""
    async with _client(policy, transport) as client:
        for _hop in range(policy.max_redirects + 1):
            target = parse_url(url, policy)
            addresses = await _addresses(target, policy, resolver)
            response = await _send_pinned(client, target, addresses)
            try:
                outcome = await _read_response(response, target, policy)
            finally:
                await response.aclose()
            if isinstance(outcome, FetchedPage):
                return outcome
            url = urljoin(target.url, outcome)
    raise FetchRefused("too many redirects")


async def _addresses(target: Target, policy: FetchPolicy, resolver: Resolver) -> list[IPAddress]:
    """The checked addresses a hop may connect to: the literal IP, or every DNS answer."""
    if target.ip is None:
        return await resolve_checked(resolver, target.host, target.port, policy)
    if not policy.allows_address(target.ip):
        raise policy.address_refusal(target.ip)
    return [target.ip]


async def _send_pinned(client: httpx.AsyncClient, target: Target, addresses: list[IPAddress]) -> httpx.Response:
    """Send the GET to the first checked address that accepts a connection (see the module docstring)."""
    headers = {**_HEADERS, "Host": target.host_header}
    extensions = {"sni_hostname": target.host} if target.scheme == "https" and target.ip is None else {}
    failure: httpx.ConnectError | None = None
    for ip in addresses:
        host = f"[{ip.compressed}]" if ip.version == 6 else ip.compressed
        pinned = f"{target.scheme}://{host}:{target.port}{target.target}"
        request = client.build_request("GET", pinned, headers=headers, extensions=extensions)
        try:
            return await client.send(request, stream=True)
        except httpx.ConnectError as exc:
            failure = exc
    raise FetchRefused(f"could not connect to {target.host_header}: {failure}")


async def _read_response(response: httpx.Response, target: Target, policy: FetchPolicy) -> FetchedPage | str:
    """The page for a 2xx response, the Location of a redirect, or a refusal."""
    status = response.status_code
    if status in _REDIRECT_STATUSES:
        location = response.headers.get("location")
        if not location:
            raise FetchRefused(f"HTTP status {status} redirect has no Location header")
        return location
    if not 200 <= status < 300:
        raise FetchRefused(f"HTTP status {status}")
    media_type, charset = parse_content_type(response.headers.get("content-type"))
    check_text(media_type, b"")  # refuse a declared binary type before reading any of it
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise FetchRefused(f"content encoding {encoding} is not supported")
    body, truncated = await _read_capped(response, policy.max_bytes)
    check_text(media_type, body)
    text = decode_text(body, charset, truncated=truncated)
    return FetchedPage(url=target.url, status=status, content_type=media_type, text=text, truncated=truncated)


async def _read_capped(response: httpx.Response, max_bytes: int) -> tuple[bytes, bool]:
    """Read at most `max_bytes` of the body; the flag says whether more was there."""
    body = bytearray()
    async for chunk in response.aiter_raw():
        room = max_bytes - len(body)
        if len(chunk) > room:
            body += chunk[:room]
            return bytes(body), True
        body += chunk
    return bytes(body), False
