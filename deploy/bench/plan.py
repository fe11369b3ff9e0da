"""The order of the workloads, one progress line per run, and the legend printed under the table."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from contenders import Contender
from report import Runs
from workloads import Bench, backlog_run, latency_run

WORKLOADS = ("throughput", "latency", "slow_provider", "flatness")


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def workloads(bench: Bench, chosen: list[Contender], args: argparse.Namespace, results: dict[str, Any]) -> None:
    started = time.monotonic()
    runs: Runs = results["runs"]

    async def each(workload: str, run: Callable[..., Awaitable[dict[str, Any]]], times: int = args.runs) -> None:
        for index in range(times):  # interleaved, so a slow minute of the machine hits every contender alike
            for contender in chosen:
                result = await run(bench, contender, label=f"{workload}{index}")
                runs.setdefault(workload, {}).setdefault(contender.name, []).append(result)
                say(f"  {time.monotonic() - started:5.0f}s {workload} {index + 1}/{times} {contender.name}: "
                    f"{brief(result)}")  # fmt: skip

    if "throughput" in args.workloads:
        say(f"throughput: backlog {args.count:,}, prefetch {args.prefetch}")
        await each("throughput", partial(backlog_run, count=args.count, prefetch=args.prefetch))
    if "latency" in args.workloads:
        peer = [run["commands_per_s"] for run in runs["throughput"]["peer"] if "failed" not in run]
        if not peer and not args.rate:
            raise RuntimeError("no throughput run of the peer succeeded: no rate for the latency runs")
        rate = args.rate or statistics.median(peer) / 2
        results["latency_rate"] = round(rate, 1)
        count = max(100, round(rate * args.latency_seconds))
        say(f"latency: {count:,} commands at {rate:.0f}/s" + ("" if args.rate else " (half the peer's commands/s)"))
        await each("latency", partial(latency_run, count=count, rate=rate, prefetch=args.prefetch))
    if "slow_provider" in args.workloads:
        say(f"slow provider: {args.slow_latency_ms:g} ms, prefetch {args.slow_prefetch}, backlog {args.slow_backlog:,}")
        await bench.set_provider_latency(args.slow_latency_ms)
        try:
            await each("slow_provider", partial(backlog_run, count=args.slow_backlog, prefetch=args.slow_prefetch))
        finally:
            await bench.set_provider_latency(args.latency_ms)
    if "flatness" in args.workloads:
        say(f"CPU per command at a backlog of {args.small_backlog:,} and {args.backlog:,}")
        await each("backlog_small", partial(backlog_run, count=args.small_backlog, prefetch=args.prefetch))
        large = partial(backlog_run, count=args.backlog, prefetch=args.prefetch)
        await each("backlog_large", large, args.large_runs)


def brief(result: dict[str, Any]) -> str:
    if "failed" in result:
        return f"FAILED: {result['failed']}"
    logged = f"; logged {result['warnings']}" if result.get("warnings") else ""
    if "added_ms" in result:
        added = result["added_ms"]
        return (
            f"added p50/p95/p99 {added['p50']}/{added['p95']}/{added['p99']} ms, {result['peak_rss_mb']:.0f} MB{logged}"
        )
    odd = {k: v for k, v in result["events"].items() if k != "session.created"}
    return (f"{result['commands_per_s']:,.0f} cmd/s, {result['cpu_ms_per_1k']:,.0f} CPU ms/1k, "
            f"{result['peak_rss_mb']:.0f} MB; stand-in {result['stand_in_cpu_ms_per_1k']:,.0f} CPU ms/1k"
            + (f", other events {odd}" if odd else "") + logged)  # fmt: skip


def legend(results: dict[str, Any]) -> str:
    lines = [
        "commands/s: first to last event of a backlog drain; CPU: the consumer process's utime + stime over the",
        "steady part of the drain; RSS: the consumer's VmHWM; results.json has every run (CPU along each drain too).",
    ]
    if rate := results.get("latency_rate"):
        why = "" if results["settings"]["rate"] else " (half the peer's commands/s)"
        lines.append(
            f"added latency: publish -> event minus the stand-in's time on that command, at {rate:,.0f}/s{why}."
        )
    return "\n".join(lines)
