"""One run of one contender: a backlog drained (throughput, CPU per command, peak RSS) or a paced load (added
latency). Each returns plain numbers for ``results.json``; ``report`` turns them into the table.

A contender that stops producing events fails its run (``RunFailed``), not the bench: its process is stopped,
what it left in the queues is purged, and the next run starts clean.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aio_pika.abc import AbstractChannel, AbstractConnection
from broker import Expectation, Tap, command_ids, depth, publish_backlog, publish_paced, purge
from contenders import CLK_TCK, Contender, Environment, Process, process_cpu

STALL_SECONDS = 30.0  # no new event for this long: the run has failed


class RunFailed(Exception):
    """The contender exited or stalled; the message says how far it got and what it logged."""


@dataclass
class Bench:
    env: Environment
    connection: AbstractConnection
    channel: AbstractChannel  # publisher confirms on
    tap: Tap
    http: aiohttp.ClientSession  # to the stand-in's control routes
    standin: Process
    broker_pid: int | None = None  # the local broker's Erlang VM, for its CPU per command; None: not local

    def broker_cpu(self) -> float:
        return process_cpu(self.broker_pid) if self.broker_pid else 0.0

    async def provider_times(self) -> dict[str, float]:
        """Per order id (= command id), ms spent inside the stand-in since the last call; forgets them."""
        async with self.http.get(f"{self.env.provider_url}/_bench/times") as response:
            return await response.json()  # type: ignore[no-any-return]

    async def set_provider_latency(self, latency_ms: float) -> None:
        async with self.http.post(f"{self.env.provider_url}/_bench/latency", json={"latency_ms": latency_ms}) as r:
            r.raise_for_status()


async def _until_done(bench: Bench, expected: Expectation, process: Process) -> None:
    """Until every expected event is in. The bench's connection dropping is fatal; the consumer exiting or
    stalling fails the run."""
    seen, progressed = 0, time.monotonic()
    while not expected.done.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(expected.done.wait(), 0.5)
        if expected.done.is_set():
            return
        if bench.tap.lost.is_set():
            raise RuntimeError("the bench's broker connection closed")
        if len(expected.arrivals) > seen:
            seen, progressed = len(expected.arrivals), time.monotonic()
        stalled = time.monotonic() - progressed > STALL_SECONDS
        if stalled or not process.running():
            problem = f"no event for {STALL_SECONDS:.0f} s" if stalled else "it exited"
            raise RunFailed(
                f"{seen} of {expected.count} events, {problem}; it logged {process.warnings() or 'no warning'}"
            )


async def running(
    bench: Bench, contender: Contender, prefetch: int, label: str, work: Callable[[Process], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    """``work`` with the contender's process running; stopped afterwards, whatever happens. A failed run comes back
    as ``{"failed": why}`` with the queues purged."""
    process, marker = contender.start(bench.env, prefetch, label)
    try:
        await process.wait_for(marker)
        result = await work(process)
    except RunFailed as exc:
        process.stop()
        await purge(bench.connection, bench.env.names)
        await bench.provider_times()
        return {"failed": f"{exc}; its log: {process.keep_log()}"}
    finally:
        process.stop()
    await bench.provider_times()  # forget them (and the simulator's sessions)
    return {**result, "warnings": process.warnings()}


async def backlog_run(bench: Bench, contender: Contender, *, count: int, prefetch: int, label: str) -> dict[str, Any]:
    """Publish ``count`` commands (confirmed), then start the consumer and time the drain."""
    ids = command_ids(count)
    started = time.monotonic()
    await publish_backlog(bench.channel, bench.env.names, ids)
    published = time.monotonic() - started

    async def drain(process: Process) -> dict[str, Any]:
        expected = bench.tap.expect(ids, process.cpu, sample_every=max(10, count // 200))
        standin_cpu, broker_cpu = bench.standin.cpu(), bench.broker_cpu()
        machine, wall = machine_busy(), time.monotonic()
        await _until_done(bench, expected, process)
        standin_cpu = bench.standin.cpu() - standin_cpu
        broker_cpu = bench.broker_cpu() - broker_cpu
        busy_cores = (machine_busy() - machine) / (time.monotonic() - wall)
        return {
            "backlog": count,
            "prefetch": prefetch,
            **drain_figures(expected, prefetch),
            "peak_rss_mb": process.peak_rss_mb(),
            "left_in_queue": await depth(bench.channel, bench.env.names.topology.commands_queue),
            "events": expected.types,
            "publish_s": round(published, 2),
            "stand_in_cpu_ms_per_1k": round(standin_cpu / count * 1e6, 1),
            # Where the ceiling is: the broker's share, and how many of the machine's cores were busy at all.
            **({"broker_cpu_ms_per_1k": round(broker_cpu / count * 1e6, 1)} if bench.broker_pid else {}),
            "machine_busy_cores": round(busy_cores, 2),
            "machine_cores": os.cpu_count(),
        }

    return await running(bench, contender, prefetch, label, drain)


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy (``/proc/stat``: all but idle and iowait)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / CLK_TCK


def drain_figures(expected: Expectation, prefetch: int) -> dict[str, Any]:
    """Commands/s from the first to the last event; CPU per 1,000 commands over the steady part of the drain.

    The consumer takes ``prefetch`` commands at once when it starts and finishes its last ``prefetch`` with none
    coming in: between the ``prefetch``-th event and the ``prefetch``-th from last, each event is one command
    finished and one started, so CPU over that window per event is CPU per command (without the start-up). With
    a backlog too small for such a window, the whole drain is used.
    """
    samples = expected.samples
    (n0, t0, _), (n1, t1, cpu1) = samples[0], samples[-1]
    steady = [s for s in samples if prefetch <= s[0] <= expected.count - prefetch]
    window = steady if len(steady) >= 2 and steady[-1][0] - steady[0][0] >= expected.count // 4 else samples
    (a, _, cpu_a), (b, _, cpu_b) = window[0], window[-1]
    tenth = max(1, len(window) // 10)
    slices = [
        round((window[i + tenth][2] - window[i][2]) / (window[i + tenth][0] - window[i][0]) * 1e6, 1)
        for i in range(0, len(window) - tenth, tenth)
    ]
    return {
        "commands_per_s": round((n1 - n0) / (t1 - t0), 1),
        "drain_s": round(t1 - t0, 2),
        "cpu_ms_per_1k": round((cpu_b - cpu_a) / (b - a) * 1e6, 1),
        "cpu_window": [a, b],
        "cpu_ms_per_1k_by_slice": slices,  # along the drain: flat, or growing with what the consumer keeps
        "cpu_s_total": cpu1,  # start-up included
    }


async def latency_run(
    bench: Bench, contender: Contender, *, count: int, rate: float, prefetch: int, label: str
) -> dict[str, Any]:
    """Commands published at ``rate``/s to an idle, warmed-up consumer; end-to-end latency minus the time the
    stand-in spent on that very command."""

    async def paced(process: Process) -> dict[str, Any]:
        warm = command_ids(min(200, max(20, count // 4)))  # connections opened, code paths warm
        warming = bench.tap.expect(warm, process.cpu)
        await publish_paced(bench.channel, bench.env.names, warm, rate)
        await _until_done(bench, warming, process)
        await bench.provider_times()
        ids = command_ids(count)
        expected = bench.tap.expect(ids, process.cpu, sample_every=count)
        started = time.perf_counter()
        sent = await publish_paced(bench.channel, bench.env.names, ids, rate)
        published_in = time.perf_counter() - started
        await _until_done(bench, expected, process)
        provider = await bench.provider_times()
        end_to_end = [(expected.arrivals[c] - sent[c]) * 1000 for c in ids]
        return {
            "commands": count,
            "rate_target": round(rate, 1),
            "rate_published": round(count / published_in, 1),
            "added_ms": percentiles([e2e - provider[c] for e2e, c in zip(end_to_end, ids, strict=True)]),
            "end_to_end_ms": percentiles(end_to_end),
            "provider_ms": percentiles([provider[c] for c in ids]),
            "peak_rss_mb": process.peak_rss_mb(),
            "events": expected.types,
        }

    return await running(bench, contender, prefetch, label, paced)


def percentiles(values: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": round(cuts[49], 2), "p95": round(cuts[94], 2), "p99": round(cuts[98], 2)}
