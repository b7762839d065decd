"""Webhook acknowledgement time: N signed push deliveries against a running `contextjson serve`.

Usage:
    python bench/webhook_ack.py                         # embedded defaults: SQLite file, jobs in-process
    python bench/webhook_ack.py --postgres --redis      # PostgreSQL + Redis (arq queue), like production

Prints p50/p90/p99/max latency (ms) of POST /webhooks/github as seen by a keep-alive client, and the
throughput. Every delivery is distinct, signed, and stored; in-process runs also process each one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.payloads import push_payload  # noqa: E402
from tests.support.process import serve_process  # noqa: E402
from tests.support.webhook_examples import sign_payload  # noqa: E402

SECRET = "bench-secret"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


class _Repo:
    """The few repository fields a push payload needs."""

    id, name, full_name, private, default_branch = 4711, "bench", "bench-org/bench", False, "main"

    class owner:  # noqa: N801
        login, id = "bench-org", 4712


def _deliveries(count: int) -> list[tuple[bytes, dict[str, str]]]:
    out = []
    for i in range(count):
        payload = push_payload(
            _Repo, 99, branch="main", before=f"{i:040x}", after=f"{i + 1:040x}", modified=[f"src/file{i}.py"]
        )
        body = json.dumps(payload).encode()
        headers = {
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-Hub-Signature-256": sign_payload(SECRET, body),
            "Content-Type": "application/json",
        }
        out.append((body, headers))
    return out


async def _fresh_postgres() -> str:
    name = f"cj_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(PG_ADMIN)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


async def _send_all(base: str, deliveries: list[tuple[bytes, dict[str, str]]], concurrency: int) -> list[float]:
    latencies: list[float] = []
    queue: asyncio.Queue[tuple[bytes, dict[str, str]]] = asyncio.Queue()
    for item in deliveries:
        queue.put_nowait(item)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            body, headers = queue.get_nowait()
            start = time.perf_counter()
            resp = await client.post("/webhooks/github", content=body, headers=headers)
            latencies.append((time.perf_counter() - start) * 1000)
            if resp.status_code != 202:
                raise SystemExit(f"unexpected {resp.status_code}: {resp.text}")

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        await client.post("/webhooks/github", content=b"{}")  # warm up the connection and the app (401)
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return latencies


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--postgres", action="store_true", help="use a fresh PostgreSQL database")
    parser.add_argument("--redis", action="store_true", help="REDIS_URL set: deliveries are queued for arq")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db_url = asyncio.run(_fresh_postgres()) if args.postgres else f"sqlite:///{tmp}/bench.db"
        env = {
            "DATABASE_URL": db_url,
            "REDIS_URL": "redis://127.0.0.1:6379/14" if args.redis else "",
            "GITHUB_WEBHOOK_SECRET": SECRET,
            "GITHUB_API_URL": "http://127.0.0.1:9",
        }
        if args.postgres:
            from app.db.migrate import upgrade

            upgrade(db_url)
        deliveries = _deliveries(args.count)
        with serve_process(env, log_path=Path(tmp) / "serve.log") as base:
            start = time.perf_counter()
            latencies = asyncio.run(_send_all(base, deliveries, args.concurrency))
            elapsed = time.perf_counter() - start
    setup = f"{'postgresql' if args.postgres else 'sqlite'} + {'redis/arq' if args.redis else 'in-process jobs'}"
    print(f"webhook ack ({setup}), {args.count} signed push deliveries, concurrency {args.concurrency}")
    print(
        f"  p50 {_pct(latencies, 50):.2f} ms   p90 {_pct(latencies, 90):.2f} ms   "
        f"p99 {_pct(latencies, 99):.2f} ms   max {max(latencies):.2f} ms"
    )
    print(f"  throughput {args.count / elapsed:.0f} deliveries/s")


if __name__ == "__main__":
    main()
