"""Process logging: one format for every command, and HTTP client logs that never print credentials.

httpx logs every request at INFO with its full URL. GitHub's archive download redirects to a URL that
carries a short-lived `?token=`, so query strings are cut from those records before any handler sees
them (logger filters run before propagation to the root handlers).
"""

from __future__ import annotations

import logging
import re

# Loggers of the HTTP clients the service uses (githubkit runs on httpx).
HTTP_CLIENT_LOGGERS = ("httpx", "githubkit")
REDACTED_QUERY = "?[redacted]"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# Alembic announces each of its plugins at INFO when imported: noise before every command's own output.
# httpx logs one INFO line per outgoing request: one per API call relayed to the model provider, which cost
# more CPU than the relay itself (bench/api_latency.py); failures are logged by the code that calls out.
QUIET_LOGGERS = ("alembic.runtime.plugins", "httpx")

# scheme://anything-but-query, then the query up to whitespace, a quote or a fragment.
_URL_WITH_QUERY = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>?#]*)\?[^\s\"'<>#]*")


def redact_url_queries(text: str) -> str:
    """Replace the query string of every URL in `text` (its path stays, for debugging)."""
    return _URL_WITH_QUERY.sub(lambda match: match.group(1) + REDACTED_QUERY, text)


class RedactQueryStrings(logging.Filter):
    """Rewrites a record's message when it holds a URL with a query string; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_url_queries(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def install_log_redaction() -> None:
    """Attach the filter to the HTTP client loggers (idempotent: create_app and the CLI both call it)."""
    for name in HTTP_CLIENT_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactQueryStrings) for existing in logger.filters):
            logger.addFilter(RedactQueryStrings())


def configure_logging(level: int = logging.INFO) -> None:
    """The CLI's logging: one line per record on stderr, credentials kept out."""
    logging.basicConfig(level=level, format=LOG_FORMAT)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    install_log_redaction()
