"""Cached visitor link: requests/s and p50/p99 latency of `GET /acme/widgets/context/explain` → 303, ours vs bare.

    python bench/link_hit.py                        # embedded defaults: SQLite file, jobs in-process
    python bench/link_hit.py --postgres --redis     # PostgreSQL + Redis + arq worker, like production
    python bench/link_hit.py --serve                # `contextjson serve` as a user starts it (default log level)
    python bench/link_hit.py --serve --access-log   # the same with uvicorn's access log on

Starts `contextjson serve` (bench/harness.py: fake GitHub and LLM, a repo installed through signed webhooks),
clicks the link once and waits until that first generation is done, so every later click is a cache hit
(LinkCache in memory; one click per LINK_CACHE_TTL_SECONDS, 10 s by default, goes to the database). In the same
run it starts bench/bare_redirect.py: a Litestar app that only answers the same 303, under the same uvicorn
options (one worker, uvloop + httptools). Load comes from wrk (Debian's `wrk`, keep-alive, does not follow
redirects), one wrk thread; a Lua hook checks every response is a 303 to the expected /r/{id}. Runs alternate
ours/bare so background load hits both alike; figures are medians over --runs. Target: ours ≥ 0.7× bare.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ROOT, BenchError, add_backend_args, context_document, median, start_stack  # noqa: E402

from tests.support.process import free_port  # noqa: E402

LINK = "/acme/widgets/context/explain"
TARGET_RATIO = 0.7

# Counts responses that are not a 303 to the expected Location (wrk itself only counts non-2xx/3xx).
CHECK_LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) expected = args[1]; good = 0; bad = 0 end
function response(status, headers, body)
  local location = headers["location"] or headers["Location"]
  if status == 303 and location == expected then good = good + 1 else bad = bad + 1 end
end
function done(summary, latency, requests)
  local g, b = 0, 0
  for _, t in ipairs(threads) do g = g + t:get("good"); b = b + t:get("bad") end
  io.write(string.format("CHECK good=%d bad=%d\\n", g, b))
end
"""


@dataclass
class WrkRun:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    cpu_us: float = 0.0  # the server process's CPU time (user + system) per request


def server_pid(port: int) -> int:
    """The process listening on `port`: ours and the bare app are both started with `--port N`."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(argv[i : i + 2] == [b"--port", str(port).encode()] for i in range(len(argv))):
            return int(entry.name)
    raise BenchError(f"no process found serving port {port}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (/proc/PID/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def run_wrk(url: str, location: str, script: Path, connections: int, seconds: float) -> WrkRun:
    """One wrk run; any non-303, wrong Location or socket error is a functional failure."""
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{round(seconds)}s",
        "--latency",
        "-s",
        str(script),
        url,
        "--",
        location,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    text = out.stdout
    check = re.search(r"CHECK good=(\d+) bad=(\d+)", text)
    if out.returncode != 0 or check is None:
        raise BenchError(f"wrk failed ({out.returncode}):\n{text}{out.stderr}")
    if int(check[2]) or "Socket errors" in text or "Non-2xx" in text:
        raise BenchError(f"bad responses from {url}:\n{text}")
    return WrkRun(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", text)[1]),  # type: ignore[index]
        p50_ms=_ms(re.search(r"^\s+50%\s+(\S+)$", text, re.M)[1]),  # type: ignore[index]
        p99_ms=_ms(re.search(r"^\s+99%\s+(\S+)$", text, re.M)[1]),  # type: ignore[index]
        requests=int(check[1]),
    )


_BUCKET = re.compile(r"^litestar_request_duration_seconds_bucket\{(?P<labels>.*)\} (?P<count>\S+)$", re.M)
LINK_TEMPLATE = 'path="/{owner}/{repo}/context/{context_id}"'


def link_histogram(base: str) -> dict[float, float]:
    """Our server's own view: cumulative counts per `le` bucket of the link route's request durations."""
    text = httpx.get(base + "/metrics", timeout=10).text
    buckets: dict[float, float] = {}
    for match in _BUCKET.finditer(text):
        labels = match["labels"]
        if LINK_TEMPLATE in labels:
            le = float(re.search(r'le="([^"]+)"', labels)[1])  # type: ignore[index]
            buckets[le] = buckets.get(le, 0.0) + float(match["count"])
    return buckets


def server_side_summary(before: dict[float, float], after: dict[float, float]) -> str:
    """How many measured link requests our server itself timed above 25 ms / 250 ms."""
    if not after:
        return "n/a (no link route histogram on /metrics)"
    delta = {le: after[le] - before.get(le, 0.0) for le in after}
    total = delta[float("inf")]
    over = {limit: total - delta.get(limit, total) for limit in (0.025, 0.25)}
    slowest = min((le for le, n in delta.items() if n == total), default=float("inf"))
    return f"{total:.0f} link requests, {over[0.025]:.0f} took > 25 ms, {over[0.25]:.0f} > 250 ms, all ≤ {slowest:g} s"


@contextmanager
def bare_server(location: str, log_path: Path) -> Iterator[str]:
    """bench/bare_redirect.py on a free port, answering 303 to `location`."""
    port = free_port()
    cmd = [sys.executable, str(ROOT / "bench" / "bare_redirect.py"), "--port", str(port), "--location", location]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd + ["--log-level", "warning"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                if proc.poll() is not None:
                    raise BenchError(f"bare_redirect.py exited with {proc.returncode}:\n{log_path.read_text()}")
                try:
                    if httpx.get(base + LINK, timeout=1).status_code == 303:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise BenchError("bare_redirect.py did not start")
                time.sleep(0.1)
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_backend_args(parser)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of load on each server first")
    parser.add_argument("--runs", type=int, default=3, help="measurements per server and concurrency")
    parser.add_argument("--concurrency", default="1,16", help="comma-separated wrk connection counts")
    parser.add_argument(
        "--link-cache-ttl", type=float, default=None, help="LINK_CACHE_TTL_SECONDS for our server (default: its own)"
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help="start `contextjson serve` with its default log level, as a user does (default: --log-level warning)",
    )
    parser.add_argument("--access-log", action="store_true", help="`contextjson serve --access-log` (implies --serve)")
    args = parser.parse_args()
    args.serve = args.serve or args.access_log
    if shutil.which("wrk") is None:
        raise BenchError("wrk not found: apt-get install -y wrk")
    levels = [int(c) for c in args.concurrency.split(",")]

    extra = {} if args.link_cache_ttl is None else {"LINK_CACHE_TTL_SECONDS": str(args.link_cache_ttl)}
    serve = {"serve_log_level": None, "serve_args": ("--access-log",) if args.access_log else ()} if args.serve else {}
    with start_stack(
        postgres=args.postgres, redis=args.redis, redis_url=args.redis_url, extra_env=extra, **serve
    ) as stack:
        stack.install("acme", "widgets", context_document(["explain"]))
        result_id = stack.click(LINK)  # the first click generates
        stack.wait_result(result_id)
        if stack.click(LINK) != result_id:
            raise BenchError("a second click did not reach the same result")
        location = f"/r/{result_id}"
        with tempfile.TemporaryDirectory() as tmp, bare_server(location, Path(tmp) / "bare.log") as bare:
            script = Path(tmp) / "check.lua"
            script.write_text(CHECK_LUA)
            targets = {"ours": stack.base + LINK, "bare": bare + LINK}
            for url in targets.values():
                run_wrk(url, location, script, max(levels), args.warmup)
            before = link_histogram(stack.base)
            runs = measure(targets, location, script, levels, args)
            server_side = server_side_summary(before, link_histogram(stack.base))
        if stack.llm.call_count != 1:
            raise BenchError(f"cached clicks reached the LLM: {stack.llm.call_count} upstream calls, expected 1")
        report(stack.setup, args, levels, runs, server_side)


def measure(
    targets: dict[str, str], location: str, script: Path, levels: list[int], args: argparse.Namespace
) -> dict[tuple[str, int], list[WrkRun]]:
    """Alternating runs per concurrency level, each with its server's CPU time per request."""
    pids = {name: server_pid(httpx.URL(url).port or 80) for name, url in targets.items()}
    runs: dict[tuple[str, int], list[WrkRun]] = {}
    for _ in range(args.runs):
        for level in levels:
            for name, url in targets.items():
                cpu_before = cpu_seconds(pids[name])
                run = run_wrk(url, location, script, level, args.duration)
                run.cpu_us = (cpu_seconds(pids[name]) - cpu_before) / max(run.requests, 1) * 1e6
                runs.setdefault((name, level), []).append(run)
    return runs


def report(
    setup: str,
    args: argparse.Namespace,
    levels: list[int],
    runs: dict[tuple[str, int], list[WrkRun]],
    server_side: str,
) -> None:
    ttl = "service default" if args.link_cache_ttl is None else f"{args.link_cache_ttl:g} s"
    print(f"link hit: GET {LINK} -> 303 (cached), {setup}; link cache TTL {ttl}")
    if args.serve:
        access = "on (--access-log)" if args.access_log else "off (the default)"
        print(f"  ours: `contextjson serve` as a user starts it: default log level (info), access log {access}")
    else:
        print("  ours: `contextjson serve --log-level warning`")
    print(
        f"  load: wrk 1 thread, keep-alive, {args.duration:g} s per measurement, {args.runs} runs each "
        f"(medians), {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    print("  bare: Litestar, one 303 route, same uvicorn options (1 worker, uvloop, httptools)")
    print("  latency: wrk's, corrected for coordinated omission (a stall also counts the requests it held back)")
    print("  cpu: the server process's CPU time (user + system) per request, from /proc (steadier than req/s)")
    header = f"  {'server':<6} {'conc':>4} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'cpu us':>7}"
    print(header + "   req/s per run; p99 ms per run")
    for level in levels:
        for name in ("ours", "bare"):
            rs = runs[(name, level)]
            per_run = ", ".join(f"{r.rps:.0f}" for r in rs) + "; " + ", ".join(f"{r.p99_ms:.2f}" for r in rs)
            print(
                f"  {name:<6} {level:>4} {median([r.rps for r in rs]):>9.0f} "
                f"{median([r.p50_ms for r in rs]):>8.3f} {median([r.p99_ms for r in rs]):>8.3f} "
                f"{median([r.cpu_us for r in rs]):>7.1f}   {per_run}"
            )
    print(f"  ours, server side (its Prometheus histogram, measured runs): {server_side}")
    for level in levels:
        ratio = median([r.rps for r in runs[("ours", level)]]) / median([r.rps for r in runs[("bare", level)]])
        verdict = "meets" if ratio >= TARGET_RATIO else "BELOW"
        print(f"  ratio ours/bare req/s at concurrency {level}: {ratio:.2f}x ({verdict} target {TARGET_RATIO}x)")
    for level in levels:
        cpu = median([r.cpu_us for r in runs[("bare", level)]]) / median([r.cpu_us for r in runs[("ours", level)]])
        print(f"  ratio bare/ours CPU per request at concurrency {level}: {cpu:.2f}x (the req/s ratio if CPU-bound)")


if __name__ == "__main__":
    main()
