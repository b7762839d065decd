"""Single flight: N concurrent first clicks on one never-generated link make one upstream call and one result.

    python bench/single_flight.py                       # embedded defaults: SQLite file, jobs in-process
    python bench/single_flight.py --postgres --redis    # PostgreSQL + Redis + arq worker, like production

For each round a fresh context id (its own prompt, so its own cache key) is clicked --clicks times at once over
--clicks pre-opened keep-alive connections, while the fake LLM holds its first token back (--first-token-delay),
so every click lands while the generation is still pending or streaming. Then every result id seen in the 303
Locations is waited for, and the upstream calls of the round are counted (FakeLLM.call_count; a retried call
would count too). Target: 1 upstream call and 1 distinct result id per round. Exits 1 when a round misses it,
2 on any other functional failure (a click not answered 303, a result that fails).
"""

from __future__ import annotations

import argparse
import asyncio
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
    median,
    result_id_of,
    start_stack,
)


@dataclass
class Round:
    context_id: str
    calls: int
    result_ids: set[str]
    latencies_ms: list[float]
    before_first_token: int  # clicks answered before the upstream's first token


async def _burst(base: str, path: str, clicks: int) -> tuple[list[httpx.Response], list[float], list[float]]:
    """`clicks` GETs released together over as many already-open connections."""
    limits = httpx.Limits(max_connections=clicks, max_keepalive_connections=clicks)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        await asyncio.gather(*(client.get("/healthz") for _ in range(clicks)))  # open the connections first
        start = asyncio.Event()

        async def click() -> tuple[httpx.Response, float, float]:
            await start.wait()
            began = time.monotonic()
            resp = await client.get(path)
            done = time.monotonic()
            return resp, (done - began) * 1000, done

        tasks = [asyncio.create_task(click()) for _ in range(clicks)]
        await asyncio.sleep(0.05)
        start.set()
        answers = await asyncio.gather(*tasks)
    return [a[0] for a in answers], [a[1] for a in answers], [a[2] for a in answers]


def run_round(stack: Stack, context_id: str, clicks: int) -> Round:
    calls_before, tokens_before = stack.llm.call_count, len(stack.llm.first_token_times)
    responses, latencies, answered_at = asyncio.run(_burst(stack.base, f"/acme/widgets/context/{context_id}", clicks))
    result_ids = {result_id_of(resp) for resp in responses}
    for result_id in result_ids:
        stack.wait_result(result_id)
    time.sleep(0.5)  # a duplicate generation queued late would show up here
    first_tokens = stack.llm.first_token_times[tokens_before:]
    first_token = min(first_tokens) if first_tokens else float("inf")
    return Round(
        context_id,
        stack.llm.call_count - calls_before,
        result_ids,
        latencies,
        sum(1 for t in answered_at if t < first_token),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_backend_args(parser)
    parser.add_argument("--clicks", type=int, default=50, help="concurrent first clicks per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds, each on a fresh context id")
    parser.add_argument("--first-token-delay", type=float, default=1.0, help="fake LLM's delay before token 1 (s)")
    parser.add_argument(
        "--link-cache-ttl", type=float, default=None, help="LINK_CACHE_TTL_SECONDS (0: every click hits the DB)"
    )
    args = parser.parse_args()
    ids = [f"sf-{i}" for i in range(args.rounds)]
    extra = {} if args.link_cache_ttl is None else {"LINK_CACHE_TTL_SECONDS": str(args.link_cache_ttl)}
    try:
        with start_stack(
            postgres=args.postgres,
            redis=args.redis,
            redis_url=args.redis_url,
            llm_first_token_delay=args.first_token_delay,
            llm_token_delay=0.005,
            extra_env=extra,
        ) as stack:
            stack.install("acme", "widgets", context_document(ids))
            rounds = [run_round(stack, cid, args.clicks) for cid in ids]
            setup = stack.setup
    except BenchError as exc:
        print(exc.code, file=sys.stderr)
        sys.exit(2)
    ok = report(setup, args, rounds)
    sys.exit(0 if ok else 1)


def report(setup: str, args: argparse.Namespace, rounds: list[Round]) -> bool:
    cache = "default" if args.link_cache_ttl is None else f"{args.link_cache_ttl:g} s"
    print(f"single flight: {args.clicks} concurrent first clicks per new link, {setup}")
    print(
        f"  fake LLM first token after {args.first_token_delay:g} s; {args.rounds} rounds, each a fresh context id; "
        f"link cache TTL {cache}"
    )
    print(f"  {'context':<8} {'upstream calls':>14} {'result ids':>10} {'click p50 ms':>12} {'max ms':>8}  answered")
    ok = True
    for r in rounds:
        ok = ok and r.calls == 1 and len(r.result_ids) == 1
        print(
            f"  {r.context_id:<8} {r.calls:>14} {len(r.result_ids):>10} {median(r.latencies_ms):>12.1f} "
            f"{max(r.latencies_ms):>8.1f}  {r.before_first_token}/{args.clicks} before the first token"
        )
    total_calls = sum(r.calls for r in rounds)
    print(f"  total: {total_calls} upstream calls for {len(rounds)} new links (target 1 per link, 1 result id each)")
    print("  result: " + ("meets target" if ok else "MISSES target"))
    return ok


if __name__ == "__main__":
    main()
