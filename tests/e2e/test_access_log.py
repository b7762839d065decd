"""`contextjson serve` writes no line per request unless asked to (`--access-log` or ACCESS_LOG=1)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.process import serve_process

REQUEST_LINE = '"GET /livez HTTP/1.1" 200'


def served_log(tmp_path: Path, extra_env: dict[str, str], extra_args: tuple[str, ...]) -> str:
    """Start serve as a user would (its default log level), make three requests, stop it; its log."""
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'service.db'}",
        "REDIS_URL": "",
        "PUBLIC_URL": "http://127.0.0.1:8000",
        "SNAPSHOT_CACHE_DIR": str(tmp_path / "snapshots"),
        **extra_env,
    }
    log_path = tmp_path / "serve.log"
    with serve_process(env, log_path=log_path, log_level=None, extra_args=extra_args) as base:
        for _ in range(3):
            assert httpx.get(f"{base}/livez", timeout=10).status_code == 200
    return log_path.read_text()


def test_by_default_requests_are_not_logged_one_by_one(tmp_path: Path) -> None:
    log = served_log(tmp_path, {}, ())
    assert "Uvicorn running on" in log  # the default log level still tells the operator where it listens
    assert REQUEST_LINE not in log


@pytest.mark.parametrize(
    ("extra_env", "extra_args"), [({}, ("--access-log",)), ({"ACCESS_LOG": "1"}, ())], ids=["flag", "env"]
)
def test_the_access_log_can_be_turned_on(
    tmp_path: Path, extra_env: dict[str, str], extra_args: tuple[str, ...]
) -> None:
    assert served_log(tmp_path, extra_env, extra_args).count(REQUEST_LINE) >= 3
