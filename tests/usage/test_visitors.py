"""Who clicks, without keeping who they are: referrer hosts and daily visitor hashes."""

from __future__ import annotations

from datetime import date

import pytest

from app.links.clients import client_key
from app.usage.visitors import VisitorHasher, referrer_host

SECRET = "usage-test-secret-key"


@pytest.mark.parametrize(
    ("raw", "host"),
    [
        ("https://github.com/acme/widgets", "github.com"),
        ("https://github.com/", "github.com"),
        ("http://WWW.Example.COM:8443/path?q=1#frag", "www.example.com"),
        ("https://user:secret@docs.example.org/page", "docs.example.org"),
        ("https://example.com./", "example.com"),
        ("https://xn--bcher-kva.example/", "xn--bcher-kva.example"),
        ("https://203.0.113.9/page", "203.0.113.9"),
        ("https://[2001:db8::1]:8080/x", "2001:db8::1"),
        ("  https://github.com/acme  ", "github.com"),
    ],
)
def test_the_referrer_is_its_host_only(raw: str, host: str) -> None:
    assert referrer_host(raw) == host


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "not a url",
        "github.com/acme/widgets",  # no scheme
        "javascript:alert(1)",
        "ftp://files.example.com/x",
        "android-app://com.example.app/",
        "http://",
        "https://exa mple.com/",
        "https://-bad-.example/",
        "https://under_score.example/",
        "https://bücher.example/",  # browsers send punycode; raw Unicode is not a host they send
        "https://[::1/",
        "https://" + "a" * 64 + ".example/",
        "https://example.com/" + "x" * 3000,
        "https://%00.example/",
    ],
)
def test_garbage_referers_are_ignored(raw: str) -> None:
    assert referrer_host(raw) is None


def test_a_visitor_hash_is_neither_the_address_nor_the_rate_limit_key() -> None:
    hasher = VisitorHasher(SECRET)
    day = date(2026, 3, 1)
    visitor = hasher.visitor("203.0.113.7", day)
    assert "203.0.113.7" not in visitor and visitor != client_key("203.0.113.7", SECRET)
    assert len(visitor) == 32 and hasher.visitor("203.0.113.7", day) == visitor  # stable within the day
    assert hasher.visitor("203.0.113.8", day) != visitor


def test_a_visitor_hash_changes_every_day_and_with_the_secret() -> None:
    hasher = VisitorHasher(SECRET)
    days = [date(2026, 3, 1), date(2026, 3, 2), date(2027, 3, 1)]
    assert len({hasher.visitor("203.0.113.7", day) for day in days}) == 3
    assert VisitorHasher("another-secret").visitor("203.0.113.7", days[0]) != hasher.visitor("203.0.113.7", days[0])


def test_a_visitor_is_counted_per_network_like_the_rate_limiter() -> None:
    """IPv6 addresses of one /64 are one visitor, as they are one client for the link rate limiter."""
    hasher = VisitorHasher(SECRET)
    day = date(2026, 3, 1)
    assert hasher.visitor("2001:db8:1:2::1", day) == hasher.visitor("2001:db8:1:2::ffff", day)
    assert hasher.visitor("2001:db8:1:3::1", day) != hasher.visitor("2001:db8:1:2::1", day)
    assert hasher.visitor("::ffff:203.0.113.7", day) == hasher.visitor("203.0.113.7", day)
