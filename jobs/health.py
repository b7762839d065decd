"""Worker liveness: each arq worker refreshes a key named after its host; `contextjson worker --check` reads it.

arq's default key is shared by every worker of a queue, so one live worker would vouch for a hung one.
The probe runs in the worker's own container, where the host name is the same as the worker's.
"""

from __future__ import annotations

import socket

# How often a worker refreshes its key (arq lets it expire one second after the next refresh is due).
HEALTH_CHECK_INTERVAL_SECONDS = 30


def worker_health_key(host: str | None = None) -> str:
    """The Redis key a worker on `host` (default: this host) keeps fresh while its event loop runs."""
    return f"contextjson:worker-health:{host or socket.gethostname()}"


def check_worker_health(redis_url: str | None) -> tuple[int, str]:
    """(exit code, message): 0 while this host's worker key exists, 1 when it has expired or never existed.

    An unreachable Redis answers 0: the worker cannot be judged then, and restarting it would not bring
    Redis back (it reconnects by itself).
    """
    from redis import Redis
    from redis.exceptions import ConnectionError, TimeoutError

    if not redis_url:
        return 1, "REDIS_URL is not set: there is no worker to check"
    key = worker_health_key()
    client = Redis.from_url(redis_url, socket_timeout=3, socket_connect_timeout=3)
    try:
        value = client.get(key)
    except (ConnectionError, TimeoutError) as exc:
        return 0, f"Redis is unreachable ({exc}); not judging the worker"
    finally:
        client.close()
    if value is None:
        return 1, f"no live worker on this host: {key} is missing or expired"
    return 0, f"worker alive: {value.decode(errors='replace') if isinstance(value, bytes) else value}"
