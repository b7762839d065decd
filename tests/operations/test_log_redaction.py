"""httpx logs every request URL at INFO; GitHub's archive redirect carries `?token=`: no log line may show it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.app import create_app
from app.logs import REDACTED_QUERY, RedactQueryStrings, configure_logging, redact_url_queries
from app.results.snapshots import ensure_snapshot
from app.settings import Settings
from github_app import GitHubApp, GitHubAppConfig

INSTALLATION_ID = 4242


class Collect(logging.Handler):
    """Keeps the final message of each record that reaches the httpx logger's own handlers (after its filters).

    pytest's caplog sits on the root logger, which Litestar's logging setup in create_app replaces.
    """

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def httpx_log() -> Iterator[Collect]:
    logger = logging.getLogger("httpx")
    collect, level = Collect(), logger.level
    logger.addHandler(collect)
    logger.setLevel(logging.INFO)
    yield collect
    logger.removeHandler(collect)
    logger.setLevel(level)


@pytest.fixture
def bare_http_loggers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start from loggers without our filter, so the test sees who installs it."""
    for name in ("httpx", "githubkit"):
        logger = logging.getLogger(name)
        monkeypatch.setattr(logger, "filters", [f for f in logger.filters if not isinstance(f, RedactQueryStrings)])


async def _download_private_archive(fake_github: Any, tmp_path: Path) -> str:
    """Fetch a private repository's tarball through the real client; returns the token GitHub handed out."""
    repo = fake_github.add_repo("octo", "secret", private=True, files={"README.md": "# secret"})
    fake_github.add_installation(INSTALLATION_ID, "octo", [repo.id])
    gh_app = GitHubApp(GitHubAppConfig(str(fake_github.app_id), fake_github.private_key_pem, api_url=fake_github.url))
    sha = repo.branches["main"]
    await ensure_snapshot(
        gh_app,
        cache_dir=tmp_path / "snapshots",
        installation_id=INSTALLATION_ID,
        repository_id=repo.id,
        owner="octo",
        repo="secret",
        sha=sha,
    )
    [download] = fake_github.find_requests("GET", r"/_codeload/")
    return download.query["token"]


def _assert_no_token(lines: list[str], token: str) -> None:
    codeload = [line for line in lines if "/_codeload/octo/secret/legacy.tar.gz/" in line]
    assert codeload, f"httpx did not log the archive request: {lines}"
    assert all(REDACTED_QUERY in line for line in codeload)
    assert not [line for line in lines if token in line]


@pytest.mark.usefixtures("bare_http_loggers")
async def test_create_app_keeps_archive_tokens_out_of_the_log(
    fake_github: Any, tmp_path: Path, httpx_log: Collect
) -> None:
    create_app(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", public_url="http://127.0.0.1:8000"))
    token = await _download_private_archive(fake_github, tmp_path)
    assert len(token) > 10
    _assert_no_token(httpx_log.lines, token)


@pytest.mark.usefixtures("bare_http_loggers")
async def test_the_cli_logging_keeps_archive_tokens_out_of_the_log(
    fake_github: Any, tmp_path: Path, httpx_log: Collect
) -> None:
    configure_logging()
    # The CLI keeps httpx's line per request out of the log (one per relayed API call); an operator who
    # turns it back on still never sees a token.
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    logging.getLogger("httpx").setLevel(logging.INFO)
    token = await _download_private_archive(fake_github, tmp_path)
    _assert_no_token(httpx_log.lines, token)


@pytest.mark.usefixtures("bare_http_loggers")
async def test_without_the_filter_the_token_would_be_logged(
    fake_github: Any, tmp_path: Path, httpx_log: Collect
) -> None:
    """The control: what httpx prints by itself, so the tests above cannot pass for want of a log line."""
    token = await _download_private_archive(fake_github, tmp_path)
    assert any(token in line for line in httpx_log.lines)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'HTTP Request: GET https://codeload.github.com/o/r/legacy.tar.gz/abc?token=AB12 "HTTP/1.1 200 OK"',
            'HTTP Request: GET https://codeload.github.com/o/r/legacy.tar.gz/abc?[redacted] "HTTP/1.1 200 OK"',
        ),
        ("see http://h/p?a=1&b=2#frag and http://h/q", "see http://h/p?[redacted]#frag and http://h/q"),
        ("no url ?token=x here", "no url ?token=x here"),
    ],
)
def test_redaction_keeps_the_path(text: str, expected: str) -> None:
    assert redact_url_queries(text) == expected
