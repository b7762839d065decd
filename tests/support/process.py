"""Real subprocesses for end-to-end tests and benchmarks: `contextjson serve` on a free port, a private redis-server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_process(
    env: dict[str, str],
    *,
    log_path: Path,
    timeout: float = 30.0,
    log_level: str | None = "warning",
    extra_args: Sequence[str] = (),
    port: int | None = None,
) -> Iterator[str]:
    """Start `contextjson serve`, wait for /healthz to answer 200, yield the base URL, stop it.

    `log_level=None` leaves the command's own default, as a user who types `contextjson serve` gets it.
    `port`: a port chosen beforehand (e.g. one PUBLIC_URL names, for the login's callback); default: a free one.
    """
    port = port or free_port()
    full_env = {**os.environ, **env}
    cmd = [sys.executable, "-m", "app.cli", "serve", "--port", str(port), *extra_args]
    if log_level is not None:
        cmd += ["--log-level", log_level]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, env=full_env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(proc, base, timeout, log_path)
            yield base
        finally:
            stop_process(proc)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (a graceful stop), then SIGKILL if it lingers."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _wait_healthy(proc: subprocess.Popen[bytes], base: str, timeout: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"contextjson serve exited with {proc.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"contextjson serve did not become healthy:\n{log_path.read_text()}")


@contextmanager
def worker_process(env: dict[str, str], *, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start `contextjson worker` (its output goes to log_path), yield the process, stop it."""
    cmd = [sys.executable, "-m", "app.cli", "worker"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            stop_process(proc)


@dataclass
class RedisServer:
    """A private redis-server on one port, to be killed or shut down and started again on that port.

    It never saves on its own; `shutdown_saving` writes its data to its own directory, and the next `start`
    loads it back (a Redis with persistence restarting), while after `kill` the data is gone.
    """

    port: int = field(default_factory=free_port)
    directory: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="redis-"))
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        """Start it and wait until it answers PING."""
        cmd = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        cmd += ["--dir", self.directory, "--dbfilename", "dump.rdb"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while _command(self.port, b"PING") != b"+PONG":
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {self.port} did not start")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL, losing the data: what a crash or a lost node looks like to clients."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def shutdown_saving(self) -> None:
        """SHUTDOWN SAVE: the data comes back with the next `start`, as with a Redis that persists it."""
        if self.proc is not None:
            _command(self.port, b"SHUTDOWN SAVE")
            self.proc.wait(timeout=10)
            self.proc = None


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    """A private redis-server on a free port, killed at the end."""
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.kill()
        shutil.rmtree(server.directory, ignore_errors=True)


def _command(port: int, command: bytes) -> bytes:
    """Send one inline command and return the first line of the answer (b"" when nobody answers)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(command + b"\r\n")
            return sock.recv(64).split(b"\r\n")[0]
    except OSError:
        return b""
