"""Fetching URLs named in a prompt, from public hosts only (SSRF-safe), as bounded text."""

from app.fetch.fetcher import FetchedPage, fetch_public_text
from app.fetch.policy import FetchPolicy, FetchRefused, IPAddress, is_public_address
from app.fetch.resolver import Resolver, SystemResolver
from app.fetch.urls import extract_urls

__all__ = [
    "FetchPolicy",
    "FetchRefused",
    "FetchedPage",
    "IPAddress",
    "Resolver",
    "SystemResolver",
    "extract_urls",
    "fetch_public_text",
    "is_public_address",
]
