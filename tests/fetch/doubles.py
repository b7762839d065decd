"""Test doubles: scripted DNS answers and transports that never reach beyond loopback."""

from __future__ import annotations

import asyncio
import ipaddress

import httpx

from app.fetch import IPAddress


class ScriptedResolver:
    """Answers each lookup with the next scripted list of addresses (the last one repeats)."""

    def __init__(self, *answers: list[str], delay: float = 0.0) -> None:
        self.answers = [[ipaddress.ip_address(a) for a in answer] for answer in answers]
        self.delay = delay
        self.calls: list[tuple[str, int]] = []

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        self.calls.append((host, port))
        await asyncio.sleep(self.delay)
        return self.answers[min(len(self.calls), len(self.answers)) - 1]


class ConnectSpy(httpx.AsyncBaseTransport):
    """Records each request (its URL host is the address a real transport would connect to) and fails it."""

    def __init__(self, responses: list[httpx.Response] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.responses = list(responses or [])  # canned answers, used before failing

    @property
    def connected_to(self) -> list[str]:
        """The hosts connections were attempted to, in order."""
        return [request.url.host for request in self.requests]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.responses:
            return self.responses.pop(0)
        raise httpx.ConnectError("connect spy: tests never open non-loopback connections", request=request)


class LoopbackOnly(httpx.AsyncBaseTransport):
    """A real transport that refuses (with AssertionError, which the fetcher does not swallow) any non-loopback host."""

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.inner = inner or httpx.AsyncHTTPTransport(trust_env=False)
        self.requests: list[httpx.Request] = []

    @property
    def connected_to(self) -> list[str]:
        """The hosts connections were made to, in order."""
        return [request.url.host for request in self.requests]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not ipaddress.ip_address(request.url.host).is_loopback:
            raise AssertionError(f"test tried to connect to non-loopback {request.url.host}")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
