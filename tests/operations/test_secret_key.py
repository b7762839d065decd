"""The development SECRET_KEY is refused unless PUBLIC_URL is a loopback address: by create_app and the CLI."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from app.app import create_app
from app.settings import DEV_SECRET_KEY, Settings
from app.startup import StartupError, check_secret_key, is_loopback_url
from tests.operations.cli import error_lines, run_cli
from tests.support.process import serve_process

LOOPBACK_URLS = [
    "http://127.0.0.1:8000",
    "http://127.8.9.10/",
    "http://localhost:8000",
    "http://LOCALHOST.",
    "http://app.localhost:8000",
    "http://[::1]:8000",
    "http://[::ffff:127.0.0.1]/",
]
PUBLIC_URLS = [
    "https://contextjson.example.com",
    "http://contextjson.test",
    "http://10.0.0.5:8000",
    "http://0.0.0.0:8000",
    "http://[::]:8000",
    "http://localhost.example.com",
    "http://127.0.0.1.nip.io",
    "not a url",
]
REAL_KEY = "a-real-secret-key-for-this-deployment-0123456789"


@pytest.mark.parametrize("url", LOOPBACK_URLS)
def test_loopback_urls(url: str) -> None:
    assert is_loopback_url(url)


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_public_urls(url: str) -> None:
    assert not is_loopback_url(url)


@pytest.mark.parametrize("key", [DEV_SECRET_KEY, ""])
@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_the_development_key_is_refused_for_a_public_url(url: str, key: str) -> None:
    with pytest.raises(StartupError, match=r"set SECRET_KEY to a long random value") as refused:
        check_secret_key(Settings(public_url=url, secret_key=key))
    assert "\n" not in str(refused.value) and f"PUBLIC_URL is {url}" in str(refused.value)


@pytest.mark.parametrize("url", LOOPBACK_URLS)
def test_the_development_key_is_fine_on_loopback(url: str) -> None:
    check_secret_key(Settings(public_url=url))


@pytest.mark.parametrize("url", LOOPBACK_URLS + PUBLIC_URLS)
def test_a_real_key_is_fine_everywhere(url: str) -> None:
    check_secret_key(Settings(public_url=url, secret_key=REAL_KEY))


def test_create_app_refuses_the_development_key(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", public_url="https://cj.example")
    with pytest.raises(StartupError, match="SECRET_KEY"):
        create_app(settings)
    create_app(settings.model_copy(update={"secret_key": REAL_KEY}))


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_the_commands_refuse_it_in_one_line(command: str, tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "REDIS_URL": "redis://127.0.0.1:6379/9",
        "PUBLIC_URL": "https://cj.example",
        "SNAPSHOT_CACHE_DIR": str(tmp_path / "snapshots"),
    }
    proc = run_cli([command], env, timeout=60)
    assert proc.returncode == 2
    [line] = error_lines(proc)
    assert (
        line.startswith(f"contextjson {command}: SECRET_KEY is not set") and "PUBLIC_URL is https://cj.example" in line
    )
    assert not (tmp_path / "x.db").exists(), "nothing was started or created"


def test_serve_runs_with_the_development_key_on_loopback(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "REDIS_URL": "",
        "PUBLIC_URL": "http://127.0.0.1:8000",
        "SECRET_KEY": DEV_SECRET_KEY,
        "SNAPSHOT_CACHE_DIR": str(tmp_path / "snapshots"),
    }
    with serve_process(env, log_path=tmp_path / "serve.log") as base:
        assert httpx.get(f"{base}/healthz").status_code == 200
