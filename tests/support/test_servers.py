"""run_asgi_in_thread serves real HTTP, runs lifespan, and releases the port."""

from __future__ import annotations

import socket

import httpx
import pytest

from tests.support.servers import run_asgi_in_thread


def make_app(events: list[str], *, fail_startup: bool = False):
    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    events.append("startup")
                    kind = "lifespan.startup.failed" if fail_startup else "lifespan.startup.complete"
                    await send({"type": kind})
                elif message["type"] == "lifespan.shutdown":
                    events.append("shutdown")
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": scope["path"].encode()})

    return app


def test_serves_and_shuts_down() -> None:
    events: list[str] = []
    with run_asgi_in_thread(make_app(events)) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{base_url}/hello").text == "/hello"
        port = int(base_url.rsplit(":", 1)[1])
    assert events == ["startup", "shutdown"]
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_two_servers_get_distinct_ports() -> None:
    with run_asgi_in_thread(make_app([])) as a, run_asgi_in_thread(make_app([])) as b:
        assert a != b


def test_lifespan_failure_raises() -> None:
    with (
        pytest.raises(RuntimeError, match="exited during startup"),
        run_asgi_in_thread(make_app([], fail_startup=True)),
    ):
        pass
