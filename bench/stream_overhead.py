"""Relay overhead of a live answer: a watcher's first token time minus the upstream's, over N generations.

    python bench/stream_overhead.py                     # embedded defaults: SQLite file, jobs in-process
    python bench/stream_overhead.py --postgres --redis  # PostgreSQL + Redis + arq worker (relay via Redis)

The repo's context.json has one entry per generation, each with its own prompt (so each is a new cache key and a
real upstream call). Generations run one at a time: click the link (303), subscribe at once to /r/{id}/stream
with a streaming HTTP client (httpx), and stamp the first `delta` event with time.monotonic(). The fake LLM runs
in this process and stamps, with the same clock, the moment its first content chunk was written
(FakeLLM.first_token_times); it waits --first-token-delay before that chunk, so the watcher is subscribed by
then. Each generation must make exactly one upstream call (so the stamps pair up), stream text equal to the
stored answer, and end with `done`; anything else is a functional failure (exit 2). Target: p50 ≤ 10 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (  # noqa: E402
    BenchError,
    Stack,
    add_backend_args,
    context_document,
    percentile,
    result_id_of,
    start_stack,
)

TARGET_MS = 10.0


@dataclass
class Sample:
    overhead_ms: float  # watcher's first delta - upstream's first token
    click_ms: float  # click → 303
    subscribe_ms: float  # 303 → stream response headers
    subscribed_early: bool  # headers arrived before the upstream's first token


@dataclass
class Watched:
    result_id: str
    clicked: float
    redirected: float
    headers: float
    first_delta: float | None
    text: str
    final: str | None


async def _watch(client: httpx.AsyncClient, path: str) -> Watched:
    """Click, then follow the result's event stream to its end."""
    clicked = time.monotonic()
    result_id = result_id_of(await client.get(path))
    redirected = time.monotonic()
    parts: list[str] = []
    first_delta: float | None = None
    event, final = "message", None
    async with client.stream("GET", f"/r/{result_id}/stream") as resp:
        headers = time.monotonic()
        if resp.status_code != 200:
            raise BenchError(f"/r/{result_id}/stream answered {resp.status_code}")
        lines = resp.aiter_lines()
        try:
            async for line in lines:
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event == "delta":
                    first_delta = first_delta or time.monotonic()
                    parts.append(json.loads(line[5:].strip()))
                elif line.startswith("data:") and event == "reset":
                    parts.clear()
                elif line.startswith("data:") and event in ("done", "error", "stalled"):
                    final = event
                    break
        finally:
            await lines.aclose()
    return Watched(result_id, clicked, redirected, headers, first_delta, "".join(parts), final)


async def one_generation(stack: Stack, client: httpx.AsyncClient, context_id: str) -> Sample:
    calls, stamps = stack.llm.call_count, len(stack.llm.first_token_times)
    watched = await _watch(client, f"/acme/widgets/context/{context_id}")
    if watched.final != "done" or watched.first_delta is None:
        raise BenchError(f"{context_id}: stream of {watched.result_id} ended with {watched.final!r}")
    result = await asyncio.to_thread(stack.wait_result, watched.result_id)
    if result["text"] != watched.text:
        raise BenchError(f"{context_id}: streamed text differs from the stored answer of {watched.result_id}")
    new_calls, new_stamps = stack.llm.call_count - calls, stack.llm.first_token_times[stamps:]
    if new_calls != 1 or len(new_stamps) != 1:
        raise BenchError(f"{context_id}: {new_calls} upstream calls, {len(new_stamps)} first tokens (expected 1)")
    upstream = new_stamps[0]
    return Sample(
        overhead_ms=(watched.first_delta - upstream) * 1000,
        click_ms=(watched.redirected - watched.clicked) * 1000,
        subscribe_ms=(watched.headers - watched.redirected) * 1000,
        subscribed_early=watched.headers < upstream,
    )


async def run(stack: Stack, ids: list[str], warmup: int) -> list[Sample]:
    async with httpx.AsyncClient(base_url=stack.base, timeout=60) as client:
        samples = [await one_generation(stack, client, cid) for cid in ids]
    return samples[warmup:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_backend_args(parser)
    parser.add_argument("--generations", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=3, help="generations run first and not counted")
    parser.add_argument("--first-token-delay", type=float, default=0.2, help="fake LLM's delay before token 1 (s)")
    parser.add_argument("--token-delay", type=float, default=0.02, help="fake LLM's delay between tokens (s)")
    args = parser.parse_args()
    ids = [f"gen-{i:03d}" for i in range(args.warmup + args.generations)]
    try:
        with start_stack(
            postgres=args.postgres,
            redis=args.redis,
            redis_url=args.redis_url,
            llm_first_token_delay=args.first_token_delay,
            llm_token_delay=args.token_delay,
        ) as stack:
            stack.install("acme", "widgets", context_document(ids))
            samples = asyncio.run(run(stack, ids, args.warmup))
            setup = stack.setup
    except BenchError as exc:
        print(exc.code, file=sys.stderr)
        sys.exit(2)
    report(setup, args, samples)


def report(setup: str, args: argparse.Namespace, samples: list[Sample]) -> None:
    late = sum(1 for s in samples if not s.subscribed_early)
    valid = [s.overhead_ms for s in samples if s.subscribed_early]
    print(f"stream overhead: first delta at a /r/{{id}}/stream watcher minus upstream first token, {setup}")
    print(
        f"  {len(samples)} generations one at a time (after {args.warmup} warm-up), each a new context id; "
        f"fake LLM first token after {args.first_token_delay:g} s, then one every {args.token_delay:g} s; "
        "client httpx, clock time.monotonic()"
    )
    if late:
        print(f"  {late} watcher(s) subscribed after the upstream's first token: left out")
    if not valid:
        raise SystemExit("FAILED: no watcher was subscribed before the first token")
    p50, p90 = percentile(valid, 50), percentile(valid, 90)
    print(
        f"  overhead ms: p50 {p50:.2f}   p90 {p90:.2f}   min {min(valid):.2f}   max {max(valid):.2f}   (n={len(valid)})"
    )
    clicks = [s.click_ms for s in samples]
    subs = [s.subscribe_ms for s in samples]
    print(
        f"  for context: click→303 p50 {percentile(clicks, 50):.1f} ms; 303→stream headers p50 "
        f"{percentile(subs, 50):.1f} ms"
    )
    print(f"  result: p50 {'meets' if p50 <= TARGET_MS else 'MISSES'} target ≤ {TARGET_MS:g} ms")


if __name__ == "__main__":
    main()
