"""README badge: requests/s and p50/p99 latency of `…/badge.svg` (200 and 304), beside the cached visitor link.

    python bench/badge.py                        # SQLite file, jobs in-process
    python bench/badge.py --postgres --redis     # PostgreSQL + Redis + arq worker

Starts `contextjson serve` with the fakes (bench/harness.py), installs a repo, then loads with wrk (one
thread, keep-alive): the context badge, the repository badge, the context badge revalidated with its ETag
(304), and the cached visitor link for scale. A badge is kept in memory like a link (LINK_CACHE_TTL_SECONDS,
dropped on a push); a miss reads a few indexed rows (--no-memory measures that path). Nothing is written and
nothing outside is called. Medians over --runs; every response's status is checked.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BenchError, add_backend_args, context_document, median, start_stack  # noqa: E402
from link_hit import WrkRun, _ms  # noqa: E402

# Counts responses whose status is not the expected one (wrk only counts non-2xx/3xx by itself).
CHECK_LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) expected = tonumber(args[1]); good = 0; bad = 0 end
function response(status, headers, body) if status == expected then good = good + 1 else bad = bad + 1 end end
function done(summary, latency, requests)
  local g, b = 0, 0
  for _, t in ipairs(threads) do g = g + t:get("good"); b = b + t:get("bad") end
  io.write(string.format("CHECK good=%d bad=%d\\n", g, b))
end
"""


def run_wrk(url: str, status: int, script: Path, connections: int, seconds: float, *headers: str) -> WrkRun:
    """One wrk run; any other status or a socket error is a functional failure."""
    extra = [arg for header in headers for arg in ("-H", header)]
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{round(seconds)}s",
        "--timeout",
        "10s",
        "--latency",
        *extra,
        "-s",
        str(script),
    ]
    out = subprocess.run([*cmd, url, "--", str(status)], capture_output=True, text=True, timeout=seconds + 60)
    check = re.search(r"CHECK good=(\d+) bad=(\d+)", out.stdout)
    if (
        out.returncode != 0
        or check is None
        or int(check[2])
        or "Socket errors" in out.stdout
        or "99%" not in out.stdout
    ):
        raise BenchError(f"wrk on {url} ({out.returncode}):\n{out.stdout}{out.stderr}")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out.stdout)
    p50, p99 = (re.search(rf"^\s+{q}%\s+([\d.]+(?:us|ms|s|m))\s*$", out.stdout, re.M) for q in (50, 99))
    if rps is None or p50 is None or p99 is None:
        raise BenchError(f"unreadable wrk output for {url}:\n{out.stdout}")
    return WrkRun(rps=float(rps[1]), p50_ms=_ms(p50[1]), p99_ms=_ms(p99[1]), requests=int(check[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_backend_args(parser)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-memory", action="store_true", help="LINK_CACHE_TTL_SECONDS=0: every badge reads the DB")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise BenchError("wrk not found: apt-get install -y wrk")
    env = {"LINK_CACHE_TTL_SECONDS": "0"} if args.no_memory else None
    with start_stack(postgres=args.postgres, redis=args.redis, redis_url=args.redis_url, extra_env=env) as stack:
        stack.install("acme", "widgets", context_document(["explain", "api"]))
        stack.wait_result(stack.click("/acme/widgets/context/explain"))
        badge = f"{stack.base}/acme/widgets/context/explain/badge.svg"
        etag = httpx.get(badge).headers["etag"]
        cases = {
            "context badge (200)": (badge, 200, ()),
            "context badge, If-None-Match (304)": (badge, 304, (f"If-None-Match: {etag}",)),
            "repository badge (200)": (f"{stack.base}/acme/widgets/badge.svg", 200, ()),
            "cached visitor link (303)": (f"{stack.base}/acme/widgets/context/explain", 303, ()),
        }
        runs: dict[str, list[WrkRun]] = {}
        with tempfile.TemporaryDirectory() as tmp:
            script = Path(tmp) / "check.lua"
            script.write_text(CHECK_LUA)
            for _ in range(args.runs):  # alternate, so background load hits every case alike
                for name, (url, status, headers) in cases.items():
                    run = run_wrk(url, status, script, args.connections, args.duration, *headers)
                    runs.setdefault(name, []).append(run)
        print(f"{stack.setup}, wrk -t1 -c{args.connections}, {args.runs} × {args.duration:.0f} s (medians)")
        for name, done in runs.items():
            rps, p50, p99 = (median([getattr(r, key) for r in done]) for key in ("rps", "p50_ms", "p99_ms"))
            print(f"  {name:38} {rps:8.0f} req/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms")


if __name__ == "__main__":
    main()
