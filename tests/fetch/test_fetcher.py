"""fetch_public_text against real loopback servers, and SSRF refusals checked with connect spies."""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from app.fetch import FetchPolicy, FetchRefused, IPAddress, Resolver, SystemResolver, fetch_public_text
from app.fetch.content import decode_text, parse_content_type
from app.fetch.resolver import resolve_checked
from tests.support.servers import run_asgi_in_thread

from .doubles import ConnectSpy, LoopbackOnly, ScriptedResolver
from .pages import pages_app
from .tls import serve_tls

LOOPBACK = FetchPolicy(allow_private=True, allowed_ports=None)
ANY_PORT = FetchPolicy(allowed_ports=None)  # the default address rule, with test-server ports allowed
PUBLIC_IP = "93.184.216.34"


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with run_asgi_in_thread(pages_app) as url:
        yield url


@pytest.fixture
def guard() -> LoopbackOnly:
    return LoopbackOnly()


async def fetch_ok(url: str, policy: FetchPolicy = LOOPBACK) -> str:
    """The text of `url`, fetched through the loopback-only guard."""
    return (await fetch_public_text(url, policy, transport=LoopbackOnly())).text


async def refusal(
    url: str,
    policy: FetchPolicy = LOOPBACK,
    *,
    resolver: Resolver | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> str:
    """The reason `url` is refused (the test fails if it is fetched)."""
    with pytest.raises(FetchRefused) as refused:
        await fetch_public_text(url, policy, resolver=resolver, transport=transport or LoopbackOnly())
    return refused.value.reason


# --- happy path on loopback (policy allows it explicitly) ---------------------------------------------


async def test_text_page_with_the_default_transport(base: str) -> None:
    page = await fetch_public_text(f"{base}/text", LOOPBACK)
    assert page.url == f"{base}/text"
    assert (page.status, page.content_type, page.truncated) == (200, "text/plain", False)
    assert page.text == "hello, world \u2713"


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/json", '{"answer": 42}'),
        ("/problem", '{"title": "x"}'),
        ("/latin1", "caf\u00e9"),
        ("/unknown-charset", "caf\u00e9"),  # unknown charset falls back to utf-8
        ("/untyped-text", "plain words"),  # no content type, no NUL bytes: sniffed as text
    ],
)
async def test_text_like_pages(base: str, path: str, text: str) -> None:
    assert await fetch_ok(f"{base}{path}") == text


async def test_body_is_cut_at_max_bytes(base: str) -> None:
    policy = FetchPolicy(allow_private=True, allowed_ports=None, max_bytes=1000)
    page = await fetch_public_text(f"{base}/sized?n=1000000", policy, transport=LoopbackOnly())
    assert (len(page.text), page.truncated) == (1000, True)
    exact = await fetch_public_text(f"{base}/sized?n=1000", policy, transport=LoopbackOnly())
    assert (len(exact.text), exact.truncated) == (1000, False)


async def test_truncation_drops_a_split_multibyte_character(base: str) -> None:
    policy = FetchPolicy(allow_private=True, allowed_ports=None, max_bytes=1001)
    page = await fetch_public_text(f"{base}/sized?n=2000&char=%C3%A9", policy, transport=LoopbackOnly())
    assert page.truncated and page.text == "\u00e9" * 500


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/binary", "content type application/octet-stream is not text"),
        ("/image", "content type image/png is not text"),
        ("/untyped-binary", "looks binary"),
        ("/gzip", "content encoding gzip is not supported"),
        ("/status/404", "HTTP status 404"),
        ("/status/500", "HTTP status 500"),
        ("/not-modified", "HTTP status 304"),
        ("/no-location", "redirect has no Location header"),
    ],
)
async def test_refused_responses(base: str, path: str, reason: str) -> None:
    assert reason in await refusal(f"{base}{path}")


async def test_redirect_chain_is_followed(base: str, guard: LoopbackOnly) -> None:
    page = await fetch_public_text(f"{base}/redirect/3", LOOPBACK, transport=guard)
    assert page.url == f"{base}/text" and page.text.startswith("hello")
    assert len(guard.requests) == 4


async def test_too_many_redirects(base: str) -> None:
    assert await refusal(f"{base}/redirect/4") == "too many redirects"
    no_redirects = FetchPolicy(allow_private=True, allowed_ports=None, max_redirects=0)
    assert await refusal(f"{base}/redirect/1", no_redirects) == "too many redirects"


async def test_slow_body_hits_the_overall_deadline(base: str) -> None:
    policy = FetchPolicy(allow_private=True, allowed_ports=None, timeout_seconds=1.0)
    started = time.monotonic()
    assert await refusal(f"{base}/slow", policy) == "timed out after 1.0 s"
    assert time.monotonic() - started < 1.5


async def test_slow_dns_hits_the_overall_deadline() -> None:
    policy = FetchPolicy(timeout_seconds=0.5)
    started = time.monotonic()
    assert await refusal("https://slow.test/", policy, resolver=ScriptedResolver([PUBLIC_IP], delay=10)) == (
        "timed out after 0.5 s"
    )
    assert time.monotonic() - started < 1.0


async def test_connection_refused_is_a_refusal() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        assert "could not connect" in await refusal(f"http://127.0.0.1:{port}/")


# --- pinning: the hostname is resolved once, by us, and the checked IP is what we connect to ------------


async def test_hostname_is_pinned_to_the_resolved_address(base: str, guard: LoopbackOnly) -> None:
    port = base.rsplit(":", 1)[1]
    resolver = ScriptedResolver(["127.0.0.1"])  # "pinned.test" exists nowhere but here
    page = await fetch_public_text(f"http://pinned.test:{port}/host", LOOPBACK, resolver=resolver, transport=guard)
    assert page.text == f"pinned.test:{port}"  # the original Host header reached the server
    assert page.url == f"http://pinned.test:{port}/host"
    assert guard.connected_to == ["127.0.0.1"] and resolver.calls == [("pinned.test", int(port))]


async def test_tls_uses_the_hostname_for_sni_and_certificate_checks() -> None:
    async with serve_tls("pinned.test") as server:
        transport = httpx.AsyncHTTPTransport(verify=server.client_context, trust_env=False)
        page = await fetch_public_text(
            f"https://pinned.test:{server.port}/",
            LOOPBACK,
            resolver=ScriptedResolver(["127.0.0.1"]),
            transport=LoopbackOnly(transport),
        )
    assert page.text == f"pinned.test:{server.port}"
    assert server.server_names == ["pinned.test"]


async def test_tls_certificate_for_another_name_is_refused() -> None:
    async with serve_tls("other.test") as server:
        transport = httpx.AsyncHTTPTransport(verify=server.client_context, trust_env=False)
        reason = await refusal(
            f"https://pinned.test:{server.port}/",
            resolver=ScriptedResolver(["127.0.0.1"]),
            transport=LoopbackOnly(transport),
        )
    assert "could not connect" in reason and "certificate" in reason.lower()


async def test_public_hostname_connects_to_the_pinned_ip_with_host_and_sni() -> None:
    spy = ConnectSpy()
    resolver = ScriptedResolver([PUBLIC_IP])
    reason = await refusal("https://example.test/page?q=1", FetchPolicy(), resolver=resolver, transport=spy)
    assert "could not connect" in reason
    (request,) = spy.requests
    assert str(request.url) == f"https://{PUBLIC_IP}/page?q=1"  # httpx drops the default port
    assert request.headers["host"] == "example.test"
    assert request.extensions["sni_hostname"] == "example.test"


async def test_every_checked_address_is_tried_in_order() -> None:
    spy = ConnectSpy()
    resolver = ScriptedResolver([PUBLIC_IP, "2606:2800:220:1:248:1893:25c8:1946"])
    await refusal("http://example.test/", FetchPolicy(), resolver=resolver, transport=spy)
    assert spy.connected_to == [PUBLIC_IP, "2606:2800:220:1:248:1893:25c8:1946"]


async def test_dns_rebinding_cannot_redirect_the_connection() -> None:
    spy = ConnectSpy()
    resolver = ScriptedResolver([PUBLIC_IP], ["127.0.0.1"])  # public for the check, loopback afterwards
    await refusal("http://rebind.test/", FetchPolicy(), resolver=resolver, transport=spy)
    assert spy.connected_to == [PUBLIC_IP] and len(resolver.calls) == 1


async def test_dns_rebinding_on_a_later_hop_is_checked_again() -> None:
    spy = ConnectSpy([httpx.Response(302, headers={"location": "http://rebind.test/again"})])
    resolver = ScriptedResolver([PUBLIC_IP], ["127.0.0.1"])
    reason = await refusal("http://rebind.test/", FetchPolicy(), resolver=resolver, transport=spy)
    assert reason == "address 127.0.0.1 is loopback"
    assert spy.connected_to == [PUBLIC_IP] and len(resolver.calls) == 2


# --- the default policy: refused before any connection ---------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/", "address 127.0.0.1 is loopback"),
        ("http://[::1]/", "address ::1 is loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "address 169.254.169.254 is link-local"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "metadata"),
        ("http://10.0.0.1/", "private"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://2130706433/", "non-canonical IP"),
        ("http://127.1/", "non-canonical IP"),
        ("http://0x7f.1/", "non-canonical IP"),
        ("file:///etc/passwd", "scheme 'file' is not allowed"),
        ("http://user:pass@example.test/", "credentials"),
        ("http://example.test:22/", "port 22 is not allowed"),
    ],
)
async def test_default_policy_refuses_before_connecting(url: str, reason: str) -> None:
    spy, resolver = ConnectSpy(), ScriptedResolver([PUBLIC_IP])
    assert reason in await refusal(url, FetchPolicy(), resolver=resolver, transport=spy)
    assert spy.requests == [] and resolver.calls == []


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (["127.0.0.1"], "address 127.0.0.1 is loopback"),
        (["169.254.169.254"], "address 169.254.169.254 is link-local"),
        ([PUBLIC_IP, "10.0.0.5"], "address 10.0.0.5 is private"),  # one bad answer spoils the host
        (["::ffff:169.254.169.254"], "link-local"),
    ],
)
async def test_hostname_resolving_to_a_blocked_address_is_refused(answer: list[str], reason: str) -> None:
    spy, resolver = ConnectSpy(), ScriptedResolver(answer)
    assert reason in await refusal("https://sneaky.test/", FetchPolicy(), resolver=resolver, transport=spy)
    assert spy.requests == []


async def test_loopback_port_of_a_real_server_is_refused_by_default(base: str, guard: LoopbackOnly) -> None:
    assert await refusal(f"{base}/text", ANY_PORT, transport=guard) == "address 127.0.0.1 is loopback"
    assert guard.requests == []


# --- redirects out of an allowed server into forbidden places ------------------------------------------

ONLY_THIS_SERVER = FetchPolicy(allowed_ports=None, address_allowed=lambda ip: ip == ipaddress.ip_address("127.0.0.1"))


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "address 169.254.169.254 is link-local"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "metadata"),
        ("http://metadata.google.internal/computeMetadata/v1/", "address 169.254.169.254 is link-local"),
        ("http://127.0.0.2/", "address 127.0.0.2 is loopback"),
        ("http://0x7f.1/", "non-canonical IP"),
        ("file:///etc/passwd", "scheme 'file' is not allowed"),
        ("gopher://127.0.0.1:6379/_INFO", "scheme 'gopher' is not allowed"),
    ],
)
async def test_redirect_to_a_forbidden_place_is_refused(base: str, location: str, reason: str) -> None:
    guard, resolver = LoopbackOnly(), ScriptedResolver(["169.254.169.254"])
    url = str(httpx.URL(f"{base}/redirect-to", params={"url": location, "status": "307"}))
    assert reason in await refusal(url, ONLY_THIS_SERVER, resolver=resolver, transport=guard)
    assert guard.connected_to == ["127.0.0.1"]  # only the first hop connected


# --- resolver and content helpers ------------------------------------------------------------------------


async def test_system_resolver_and_resolution_failures() -> None:
    assert any(ip.is_loopback for ip in await SystemResolver().resolve("localhost", 80))

    class Failing:
        async def resolve(self, host: str, port: int) -> list[IPAddress]:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(FetchRefused, match="could not resolve host 'nowhere.test'"):
        await resolve_checked(Failing(), "nowhere.test", 80, FetchPolicy())
    with pytest.raises(FetchRefused, match="has no addresses"):
        await resolve_checked(ScriptedResolver([]), "empty.test", 80, FetchPolicy())


async def test_localhost_through_the_system_resolver(base: str) -> None:
    port = base.rsplit(":", 1)[1]
    assert "loopback" in await refusal(f"http://localhost:{port}/text", ANY_PORT)
    assert (await fetch_ok(f"http://localhost:{port}/host")) == f"localhost:{port}"


def test_content_type_and_decoding_helpers() -> None:
    assert parse_content_type('Text/HTML; Charset="ISO-8859-1"') == ("text/html", "ISO-8859-1")
    assert parse_content_type(None) == ("", None)
    assert decode_text(b"\xff ok", None, truncated=False) == "\ufffd ok"
    assert decode_text("\u00e9".encode()[:1], "utf-8", truncated=True) == ""
