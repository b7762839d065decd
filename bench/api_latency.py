"""Latency the API adds over its upstream: ours vs the LiteLLM proxy, same fake upstream, same client, same run.

    python bench/api_latency.py                 # SQLite (the embedded default)
    python bench/api_latency.py --postgres      # PostgreSQL at 127.0.0.1 (a fresh database) + Redis

Three targets answer the same `POST /v1/chat/completions`:
  direct   bench/fake_upstream.py itself (a fast OpenAI-compatible fake in its own process): the floor;
  ours     `contextjson serve` as a user starts it (default log level), LLM_BASE_URL = the fake, a key from
           `contextjson apikey create` (so every call checks the key, reserves, charges and ledgers);
  litellm  the LiteLLM proxy (`litellm[proxy]` from PyPI, in its own venv under ~/.cache/contextjson-bench,
           installed on first use), a config with the same model on the same fake, a master key it checks,
           the offline model-cost map (LITELLM_LOCAL_MODEL_COST_MAP=True).
One httpx.AsyncClient with keep-alive sends every request. Per mode (non-streaming: total time to the whole
body; streaming: time to the first content chunk) and concurrency (1 and 16 requests in flight), the
targets take turns in rounds (the order rotates each round) after a warm-up, so background load hits them
alike. "added" = a target's percentile minus direct's at the same mode and concurrency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_upstream import ANSWER, ANSWER_PARTS  # noqa: E402
from harness import ROOT, BenchError, context_document, percentile, start_stack  # noqa: E402

from tests.support.process import free_port, stop_process  # noqa: E402

MODEL = "gpt-4o-mini"
LITELLM_VENV = Path.home() / ".cache" / "contextjson-bench" / "litellm-venv"
LITELLM_MASTER_KEY = "sk-bench-litellm-master-key"
UPSTREAM_KEY = "sk-fake-upstream"
TARGETS = ("direct", "ours", "litellm")
MODES = ("json", "stream")
MODE_NAMES = {"json": "non-streaming, total", "stream": "streaming, first token"}
TARGET_ADDED_P50_MS = {"json": 5.0, "stream": 10.0}
TARGET_RATIO = 10.0
START_TIMEOUT = 180.0


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    key: str


def request_body(stream: bool) -> dict[str, object]:
    messages = [{"role": "user", "content": "Say hello."}]
    body: dict[str, object] = {"model": MODEL, "messages": messages, "max_tokens": 16}
    if stream:
        body |= {"stream": True, "stream_options": {"include_usage": True}}
    return body


# --- the three servers -----------------------------------------------------------------------------------------


def _wait_http(proc: subprocess.Popen[bytes], url: str, log: Path, what: str, headers: dict[str, str]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"{what} exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(url, timeout=2, headers=headers).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise BenchError(f"{what} did not start:\n{log.read_text(errors='replace')[-3000:]}")


@contextmanager
def fake_upstream(log: Path) -> Iterator[str]:
    """bench/fake_upstream.py in its own process; yields its `/v1` base URL."""
    port = free_port()
    with open(log, "wb") as out:
        cmd = [sys.executable, str(ROOT / "bench" / "fake_upstream.py"), "--port", str(port)]
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_http(proc, f"http://127.0.0.1:{port}/healthz", log, "fake_upstream.py", {})
            yield f"http://127.0.0.1:{port}/v1"
        finally:
            stop_process(proc)


def ensure_litellm() -> Path:
    """The `litellm` command of the bench's own venv, installed from PyPI when missing (never into ours)."""
    command = LITELLM_VENV / "bin" / "litellm"
    if command.exists():
        return command
    print(f"installing litellm[proxy] into {LITELLM_VENV} (once; takes minutes) ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(LITELLM_VENV)], check=True)
    pip = [str(LITELLM_VENV / "bin" / "python"), "-m", "pip", "install", "-q", "litellm[proxy]"]
    if subprocess.run(pip).returncode != 0 or not command.exists():
        raise BenchError("could not install litellm[proxy] into " + str(LITELLM_VENV))
    return command


def litellm_version() -> str:
    out = subprocess.run(
        [str(LITELLM_VENV / "bin" / "python"), "-c", "import importlib.metadata as m; print(m.version('litellm'))"],
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() or "?"


@contextmanager
def litellm_proxy(upstream: str, tmp: Path) -> Iterator[str]:
    """The LiteLLM proxy on the fake upstream, with a master key; yields its base URL."""
    command = ensure_litellm()
    config = tmp / "litellm.yaml"
    config.write_text(
        json.dumps(  # JSON is YAML
            {
                "model_list": [
                    {
                        "model_name": MODEL,
                        "litellm_params": {"model": f"openai/{MODEL}", "api_base": upstream, "api_key": UPSTREAM_KEY},
                    }
                ],
                "general_settings": {"master_key": LITELLM_MASTER_KEY},
                "litellm_settings": {"telemetry": False},
            }
        )
    )
    port = free_port()
    log = tmp / "litellm.log"
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_TELEMETRY": "False", "NO_DOCS": "True"}
    env.pop("DATABASE_URL", None)  # no database: the master key is the key check
    with open(log, "wb") as out:
        cmd = [str(command), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)]
        proc = subprocess.Popen(cmd, env=env, cwd=tmp, stdout=out, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            auth = {"Authorization": f"Bearer {LITELLM_MASTER_KEY}"}
            _wait_http(proc, base + "/v1/models", log, "litellm proxy", auth)
            yield base
        finally:
            stop_process(proc)


def create_api_key(env: dict[str, str]) -> str:
    """`contextjson apikey create`, as an operator does; the key is the last word of its line."""
    cmd = [sys.executable, "-m", "app.cli", "apikey", "create", "--account", "acme", "--name", "bench"]
    out = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True)
    if out.returncode != 0:
        raise BenchError(f"contextjson apikey create failed:\n{out.stdout}{out.stderr}")
    return out.stdout.strip().split()[-1]


# --- measuring -------------------------------------------------------------------------------------------------


async def one_call(client: httpx.AsyncClient, target: Target, mode: str) -> float:
    """Seconds to the whole answer (json) or to the first content chunk (stream); checks the answer."""
    headers = {"Authorization": f"Bearer {target.key}"}
    body = request_body(mode == "stream")
    start = time.perf_counter()
    async with client.stream("POST", target.url, json=body, headers=headers) as response:
        if response.status_code != 200:
            await response.aread()
            raise BenchError(f"{target.name} answered {response.status_code}: {response.text[:300]}")
        if mode == "json":
            data = await response.aread()
            elapsed = time.perf_counter() - start
            content = json.loads(data)["choices"][0]["message"]["content"]
            if content != ANSWER:
                raise BenchError(f"{target.name} answered {content!r}")
            return elapsed
        first: float | None = None
        async for line in response.aiter_lines():
            if first is None and line.startswith("data: {"):
                choices = json.loads(line[6:]).get("choices") or [{}]
                if (choices[0].get("delta") or {}).get("content"):
                    first = time.perf_counter() - start
                    if choices[0]["delta"]["content"] != ANSWER_PARTS[0]:
                        raise BenchError(f"{target.name} streamed {choices[0]['delta']['content']!r} first")
        if first is None:
            raise BenchError(f"{target.name} streamed no content")
        return first


async def batch(client: httpx.AsyncClient, target: Target, mode: str, concurrency: int, count: int) -> list[float]:
    """`count` calls with `concurrency` in flight (each worker calls again as soon as its answer is in)."""
    per_worker = max(1, count // concurrency)

    async def worker() -> list[float]:
        return [await one_call(client, target, mode) for _ in range(per_worker)]

    results = await asyncio.gather(*(worker() for _ in range(concurrency)))
    return [t for times in results for t in times]


async def measure(targets: list[Target], args: argparse.Namespace) -> dict[tuple[str, str, int], list[float]]:
    levels = [int(c) for c in args.concurrency.split(",")]
    # Idle connections are dropped after 2 s: uvicorn (all three servers) closes them after 5 s, and a
    # request sent on one at that moment fails with a ReadError.
    size = 4 * max(levels)
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size, keepalive_expiry=2.0)
    samples: dict[tuple[str, str, int], list[float]] = {}
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        for mode in MODES:  # warm-up: connections open, caches and lazy imports of every server done
            for target in targets:
                await batch(client, target, mode, max(levels), args.warmup)
        for round_number in range(args.rounds):
            for mode in MODES:
                for level in levels:
                    shift = round_number % len(targets)
                    for target in targets[shift:] + targets[:shift]:
                        times = await batch(client, target, mode, level, args.requests // args.rounds)
                        samples.setdefault((target.name, mode, level), []).extend(times)
    return samples


# --- checks and report -----------------------------------------------------------------------------------------


def ledger_check(database_url: str, calls: int) -> str:
    """Every call to ours reserved, charged and ledgered exactly once (SQLite: read the file; waits for settles)."""
    if not database_url.startswith("sqlite:///"):
        return "not checked (PostgreSQL run)"
    path = database_url.removeprefix("sqlite:///")
    query = """SELECT (SELECT count(*) FROM results WHERE kind = 'api' AND status = 'done'),
                      (SELECT count(*) FROM ledger_entries l JOIN results r ON r.id = l.result_id
                         WHERE r.kind = 'api' AND l.kind = 'debit'),
                      (SELECT coalesce(sum(reserved_micros), 0) FROM accounts)"""
    deadline = time.monotonic() + 10
    while True:
        with sqlite3.connect(path, timeout=30) as conn:
            done, debits, reserved = conn.execute(query).fetchone()
        if (done, debits, reserved) == (calls, calls, 0) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    if (done, debits, reserved) != (calls, calls, 0):
        raise BenchError(f"{calls} calls to ours, but {done} done results, {debits} debits, {reserved} reserved")
    return f"{calls} calls to ours: {done} results done, {debits} ledger debits, nothing left reserved"


def report(samples: dict[tuple[str, str, int], list[float]], args: argparse.Namespace, setup: str) -> bool:
    levels = [int(c) for c in args.concurrency.split(",")]
    ms = {key: [t * 1000 for t in times] for key, times in samples.items()}
    print(f"api latency: POST /v1/chat/completions, {setup}; LiteLLM {litellm_version()} (offline cost map)")
    print(
        f"  {args.requests} measured calls per target, mode and concurrency in {args.rounds} rounds after "
        f"{args.warmup} warm-up calls; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    header = ("target", "mode", "conc", "p50 ms", "p99 ms", "added p50", "added p99", "LiteLLM/ours added")
    print("  " + " | ".join(header))
    met = True
    for mode in MODES:
        for level in levels:
            base = ms[("direct", mode, level)]
            b50, b99 = percentile(base, 50), percentile(base, 99)
            added = {}
            for name in TARGETS:
                values = ms[(name, mode, level)]
                p50, p99 = percentile(values, 50), percentile(values, 99)
                added[name] = (p50 - b50, p99 - b99)
                ratio = ""
                if name == "ours":
                    ratio = "(below)"
                if name == "litellm":
                    ours50, ours99 = added["ours"]
                    lite50, lite99 = added["litellm"]
                    ratio = f"{lite50 / max(ours50, 0.001):.1f}x p50, {lite99 / max(ours99, 0.001):.1f}x p99"
                    met &= lite50 / max(ours50, 0.001) >= TARGET_RATIO
                extra = "" if name == "direct" else f"{added[name][0]:9.2f} | {added[name][1]:9.2f}"
                print(
                    f"  {name:<7} | {MODE_NAMES[mode]:<22} | {level:>4} | {p50:7.2f} | {p99:7.2f} | "
                    f"{extra or '        - |         -'} | {ratio}"
                )
            met &= added["ours"][0] <= TARGET_ADDED_P50_MS[mode]
    print(
        f"  targets: ours added p50 <= {TARGET_ADDED_P50_MS['json']:g} ms (non-streaming), "
        f"<= {TARGET_ADDED_P50_MS['stream']:g} ms (first token); LiteLLM added / ours added >= {TARGET_RATIO:g}x: "
        + ("met" if met else "MISSED")
    )
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL (fresh database) + Redis for ours")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5", help="Redis database the bench may empty")
    parser.add_argument("--requests", type=int, default=400, help="measured calls per target, mode, concurrency")
    parser.add_argument("--rounds", type=int, default=8, help="rounds the measured calls are split into")
    parser.add_argument("--warmup", type=int, default=64, help="warm-up calls per target and mode")
    parser.add_argument("--concurrency", default="1,16", help="comma-separated calls in flight")
    args = parser.parse_args()
    ensure_litellm()

    import tempfile

    with tempfile.TemporaryDirectory(prefix="cj-api-bench-") as tmp_name:
        tmp = Path(tmp_name)
        with fake_upstream(tmp / "upstream.log") as upstream:
            extra = {
                "LLM_BASE_URL": upstream,
                "LLM_API_KEY": UPSTREAM_KEY,
                "FREE_CREDIT_USD": "1000000",  # the bench's calls must never run out of balance
                "API_REQUESTS_PER_MINUTE": "100000000",  # one key makes every call here
            }
            stack_options = {"postgres": args.postgres, "redis": args.postgres, "redis_url": args.redis_url}
            with (
                start_stack(**stack_options, extra_env=extra, serve_log_level=None) as stack,  # type: ignore[arg-type]
                litellm_proxy(upstream, tmp) as litellm,
            ):
                stack.install("acme", "widgets", context_document(["explain"]))
                key = create_api_key(stack.env)
                targets = [
                    Target("direct", upstream + "/chat/completions", UPSTREAM_KEY),
                    Target("ours", stack.base + "/v1/chat/completions", key),
                    Target("litellm", litellm + "/v1/chat/completions", LITELLM_MASTER_KEY),
                ]
                samples = asyncio.run(measure(targets, args))
                top = max(int(c) for c in args.concurrency.split(","))
                calls = sum(len(v) for (name, _, _), v in samples.items() if name == "ours")
                calls += len(MODES) * (args.warmup // top) * top  # the warm-up calls were real calls too
                met = report(samples, args, stack.setup)
                print("  money: " + ledger_check(stack.database_url, calls))
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
