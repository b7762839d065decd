"""Serve any ASGI app over real HTTP on a loopback port in a background thread."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

_STARTUP_TIMEOUT = 10.0


@contextmanager
def run_asgi_in_thread(app: Any, *, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve `app` with uvicorn on a free port and yield its base URL (no trailing slash)."""
    # Binding the socket here (not in uvicorn) means the port is known up front and cannot be
    # taken by another test between "find a free port" and "listen".
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        lifespan="on",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=_run, args=(server, sock), name=f"asgi-{port}", daemon=True)
    thread.start()
    try:
        _wait_until_serving(server, thread, host, port)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=_STARTUP_TIMEOUT)
        sock.close()


def _run(server: uvicorn.Server, sock: socket.socket) -> None:
    # uvicorn calls sys.exit() when lifespan startup fails; in a thread that would only surface as
    # an "unhandled thread exception" warning, so end quietly and let the waiter report it.
    with contextlib.suppress(SystemExit):
        server.run(sockets=[sock])


def _wait_until_serving(server: uvicorn.Server, thread: threading.Thread, host: str, port: int) -> None:
    """Block until the server accepts TCP connections, or raise if it died or timed out."""
    deadline = time.monotonic() + _STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError(f"ASGI server on port {port} exited during startup (lifespan failure?)")
        if server.started:
            try:
                with socket.create_connection((host, port), timeout=0.5):
                    return
            except OSError:
                pass
        time.sleep(0.01)
    server.should_exit = True
    raise TimeoutError(f"ASGI server on port {port} did not start within {_STARTUP_TIMEOUT}s")


async def answer_lifespan(receive: Any, send: Any) -> None:
    """Answer an ASGI lifespan scope (startup, shutdown) for hand-written test apps."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
