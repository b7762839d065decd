"""The address rule, strict URL parsing and URL extraction: pure functions, no network."""

from __future__ import annotations

import ipaddress

import pytest

from app.fetch import FetchPolicy, FetchRefused, extract_urls, is_public_address
from app.fetch.policy import describe_address
from app.fetch.urls import parse_url

ANY_PORT = FetchPolicy(allowed_ports=None)

BLOCKED_ADDRESSES = [
    # IPv4
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("10.0.0.1", "private"),
    ("10.255.255.255", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("100.64.0.1", "shared (CGNAT)"),
    ("100.127.255.254", "shared (CGNAT)"),
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("169.254.169.254", "link-local"),  # cloud metadata
    ("169.254.0.1", "link-local"),
    ("192.0.0.170", "reserved"),
    ("198.18.0.1", "reserved"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),  # broadcast
    ("192.0.2.1", "documentation"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    # IPv6
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("fe80::1", "link-local"),
    ("febf:ffff::1", "link-local"),
    ("fec0::1", "site-local"),
    ("fc00::1", "unique-local"),
    ("fd12:3456:789a::1", "unique-local"),
    ("fd00:ec2::254", "metadata"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),
    ("2001:db8::1", "documentation"),
    ("100::1", "reserved"),
    ("64:ff9b:1::1", "reserved"),
    # IPv6 spellings of IPv4 addresses are judged as the IPv4 address.
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:7f00:1", "loopback"),
    ("::ffff:169.254.169.254", "link-local"),
    ("::ffff:10.0.0.1", "private"),
    ("::ffff:0.0.0.0", "unspecified"),
    ("::127.0.0.1", "loopback"),  # IPv4-compatible (deprecated)
    ("::169.254.169.254", "link-local"),
    ("64:ff9b::127.0.0.1", "loopback"),  # NAT64
    ("64:ff9b::a9fe:a9fe", "link-local"),
    # Tunnels that embed a non-public IPv4 address.
    ("2002:7f00:1::1", "tunnel to non-public IPv4 127.0.0.1"),  # 6to4
    ("2002:a9fe:a9fe::1", "tunnel to non-public IPv4 169.254.169.254"),
    ("2002:c0a8:101::1", "tunnel to non-public IPv4 192.168.1.1"),
    ("2001:0:a00:1::80ff:fffe", "tunnel to non-public IPv4 10.0.0.1"),  # Teredo, server 10.0.0.1
    ("2001:0:5db8:d822::80ff:fffe", "tunnel to non-public IPv4 127.0.0.1"),  # Teredo, client 127.0.0.1
]

PUBLIC_ADDRESSES = [
    "93.184.216.34",
    "8.8.8.8",
    "1.1.1.1",
    "11.0.0.1",
    "172.15.255.255",  # just outside 172.16/12
    "172.32.0.1",
    "100.63.255.255",  # just outside 100.64/10
    "100.128.0.1",
    "169.253.255.255",
    "223.255.255.254",
    "2606:4700:4700::1111",
    "2a00:1450:4001:81c::200e",
    "::ffff:93.184.216.34",
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
    "2002:5db8:d822::1",  # 6to4 of 93.184.216.34
]


@pytest.mark.parametrize(("address", "label"), BLOCKED_ADDRESSES)
def test_blocked_addresses_are_not_public(address: str, label: str) -> None:
    ip = ipaddress.ip_address(address)
    assert not is_public_address(ip)
    assert label in describe_address(ip)


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_public_addresses_are_public(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


def test_policy_address_rule_default_private_switch_and_predicate() -> None:
    loopback, other_loopback, public = (ipaddress.ip_address(a) for a in ("127.0.0.1", "127.0.0.2", "8.8.8.8"))
    assert not FetchPolicy().allows_address(loopback)
    assert FetchPolicy().allows_address(public)
    assert FetchPolicy(allow_private=True).allows_address(loopback)
    only_one = FetchPolicy(address_allowed=lambda ip: ip == loopback)
    assert only_one.allows_address(loopback)
    assert not only_one.allows_address(other_loopback)
    assert not only_one.allows_address(public)
    assert FetchPolicy().address_refusal(loopback).reason == "address 127.0.0.1 is loopback"


REFUSED_URLS = [
    ("file:///etc/passwd", "scheme 'file' is not allowed"),
    ("ftp://example.com/x", "scheme 'ftp' is not allowed"),
    ("gopher://example.com/", "scheme 'gopher' is not allowed"),
    ("javascript:alert(1)", "scheme 'javascript' is not allowed"),
    ("//example.com/", "scheme '' is not allowed"),
    ("http://user:pass@example.com/", "credentials"),
    ("http://user@example.com/", "credentials"),
    ("http://example.com@127.0.0.1/", "credentials"),
    ("http:///path", "no host"),
    ("http://:80/", "no host"),
    ("http://2130706433/", "non-canonical IP"),
    ("http://017700000001/", "non-canonical IP"),
    ("http://0x7f000001/", "non-canonical IP"),
    ("http://0x7f.1/", "non-canonical IP"),
    ("http://0x7f.0x0.0x0.0x1/", "non-canonical IP"),
    ("http://127.1/", "non-canonical IP"),
    ("http://127.0.1/", "non-canonical IP"),
    ("http://0177.0.0.1/", "non-canonical IP"),
    ("http://127.0.0.01/", "non-canonical IP"),
    ("http://256.0.0.1/", "non-canonical IP"),
    ("http://1.2.3.4.5/", "non-canonical IP"),
    ("http://foo.0x10/", "non-canonical IP"),
    ("http://%31%32%37.0.0.1/", "non-canonical IP"),
    ("http://%6cocalhost/", "not a valid hostname"),
    ("http://exa_mple..com/", "not a valid hostname"),
    ("http://-dash.example/", "not a valid hostname"),
    ("http://[::1%25eth0]/", "zone identifiers"),
    ("http://[v1.x]/", "not a valid IPv6"),
    ("http://exa mple.com/", "whitespace"),
    ("http://example.com\\@127.0.0.1/", "backslash"),
    ("http://example.com\t/", "whitespace"),
    ("http://example.com:8080/", "port 8080 is not allowed"),
    ("http://example.com:99999/", "malformed"),
    ("http://ex\u00e4mple\u2029.com/", "not a valid internationalised name"),
    ("http://a\u2100b.test/", "URL is malformed"),  # U+2100 normalises to "a/c"
]


@pytest.mark.parametrize(("url", "reason"), REFUSED_URLS)
def test_parse_url_refuses(url: str, reason: str) -> None:
    with pytest.raises(FetchRefused) as refused:
        parse_url(url, FetchPolicy())
    assert reason in refused.value.reason


ACCEPTED_URLS = [
    # url, host, port, ip, canonical url
    ("https://example.com/a?b=1#frag", "example.com", 443, None, "https://example.com/a?b=1"),
    ("HTTP://Example.COM", "example.com", 80, None, "http://example.com/"),
    ("http://example.com./x", "example.com", 80, None, "http://example.com/x"),
    ("http://example.com:80/", "example.com", 80, None, "http://example.com/"),
    ("https://b\u00fccher.example/", "xn--bcher-kva.example", 443, None, "https://xn--bcher-kva.example/"),
    ("http://127.0.0.1/", "127.0.0.1", 80, "127.0.0.1", "http://127.0.0.1/"),
    ("http://[::1]/", "::1", 80, "::1", "http://[::1]/"),
    ("http://[::ffff:127.0.0.1]/", "::ffff:7f00:1", 80, "::ffff:7f00:1", "http://[::ffff:7f00:1]/"),
    # Full-width digits and ideographic dots fold to an IP literal, which the address rule then judges.
    (
        "http://\uff11\uff12\uff17\u3002\uff10\u3002\uff10\u3002\uff11/",
        "127.0.0.1",
        80,
        "127.0.0.1",
        "http://127.0.0.1/",
    ),
]


@pytest.mark.parametrize(("url", "host", "port", "ip", "canonical"), ACCEPTED_URLS)
def test_parse_url_accepts(url: str, host: str, port: int, ip: str | None, canonical: str) -> None:
    target = parse_url(url, FetchPolicy())
    assert (target.host, target.port, target.url) == (host, port, canonical)
    assert target.ip == (ipaddress.ip_address(ip) if ip else None)


def test_parse_url_keeps_non_default_port_in_host_header() -> None:
    target = parse_url("http://example.com:8080/p", ANY_PORT)
    assert target.host_header == "example.com:8080"
    assert parse_url("http://[2606:4700::1]:8443/", ANY_PORT).host_header == "[2606:4700::1]:8443"


def test_parse_url_honours_policy_schemes() -> None:
    with pytest.raises(FetchRefused, match="scheme 'http' is not allowed"):
        parse_url("http://example.com/", FetchPolicy(allowed_schemes=("https",)))


EXTRACT_CASES = [
    ("see https://example.com/a.", ["https://example.com/a"]),
    ("(https://example.com/a)", ["https://example.com/a"]),
    ("https://en.wikipedia.org/wiki/Foo_(bar)", ["https://en.wikipedia.org/wiki/Foo_(bar)"]),
    ("(see https://en.wikipedia.org/wiki/Foo_(bar)).", ["https://en.wikipedia.org/wiki/Foo_(bar)"]),
    ("[docs](https://x.test/p?q=1&r=2)", ["https://x.test/p?q=1&r=2"]),
    ("\"https://x.test/a\" and 'https://x.test/b',", ["https://x.test/a", "https://x.test/b"]),
    ("<https://x.test/c>", ["https://x.test/c"]),
    ("Fetch https://a.test/x?!;:", ["https://a.test/x"]),
    ("HTTPS://EXAMPLE.COM/Path", ["HTTPS://EXAMPLE.COM/Path"]),
    ("https://a.test https://b.test https://a.test", ["https://a.test", "https://b.test"]),
    ("https://a.test/. https://a.test/", ["https://a.test/"]),
    ("ftp://x.test file:///etc/passwd mailto:a@b.test xhttps://no.test http://", []),
    ("no urls here", []),
]


@pytest.mark.parametrize(("text", "urls"), EXTRACT_CASES)
def test_extract_urls(text: str, urls: list[str]) -> None:
    assert extract_urls(text) == urls


def test_extract_urls_keeps_order_and_limit() -> None:
    text = " ".join(f"https://site{i}.test/page" for i in range(8))
    assert extract_urls(text) == [f"https://site{i}.test/page" for i in range(5)]
    assert extract_urls(text, limit=2) == ["https://site0.test/page", "https://site1.test/page"]
