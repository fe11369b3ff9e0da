"""Medians, run-to-run spread and ratios to the peer, as one table (rows: figures; columns: contenders).

A cell is the median over the contender's successful runs, then ``±`` the spread ((max - min) / median) when there
was more than one run; the ``/peer`` column is the contender's median over the peer's.
"""

from __future__ import annotations

import statistics
from typing import Any

Runs = dict[str, dict[str, list[dict[str, Any]]]]  # workload -> contender -> one dict per run


def pick(run: dict[str, Any], path: str) -> float:
    value: Any = run
    for key in path.split("."):
        value = value[key]
    return float(value)


def summarize(runs: Runs, workload: str, path: str) -> dict[str, dict[str, float]]:
    """Per contender: the median over its runs and the spread ((max - min) / median, in %)."""
    summary = {}
    for contender, results in runs.get(workload, {}).items():
        values = [pick(run, path) for run in results if "failed" not in run]
        if not values:
            continue
        median = statistics.median(values)
        spread = (max(values) - min(values)) / median * 100 if median else 0.0
        summary[contender] = {"median": median, "spread_pct": round(spread, 1), "runs": values}
    return summary


def rows(args: Any) -> list[tuple[str, str, str, bool]]:
    """(label, workload, path, show the ratio to the peer)."""
    return [
        (f"commands/s, backlog {args.count:,}", "throughput", "commands_per_s", True),
        ("CPU ms per 1,000 commands", "throughput", "cpu_ms_per_1k", True),
        ("  broker CPU ms per 1,000 commands", "throughput", "broker_cpu_ms_per_1k", True),
        ("  machine cores busy during the drain", "throughput", "machine_busy_cores", False),
        ("added latency p50 ms", "latency", "added_ms.p50", False),
        ("added latency p95 ms", "latency", "added_ms.p95", False),
        ("added latency p99 ms", "latency", "added_ms.p99", True),
        ("peak RSS MB (backlog run)", "throughput", "peak_rss_mb", True),
        (f"peak RSS MB, prefetch {args.slow_prefetch:,}, {args.slow_latency_ms:g} ms", "slow_provider",
         "peak_rss_mb", True),
        (f"  commands/s there (backlog {args.slow_backlog:,})", "slow_provider", "commands_per_s", False),
        (f"CPU ms/1k at backlog {args.small_backlog:,}", "backlog_small", "cpu_ms_per_1k", True),
        (f"CPU ms/1k at backlog {args.backlog:,}", "backlog_large", "cpu_ms_per_1k", True),
    ]  # fmt: skip


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def table(runs: Runs, contenders: list[str], args: Any) -> tuple[str, dict[str, Any]]:
    """The printed table and the summary that goes into results.json."""
    peer = contenders[0]
    header = f"{'':<44}" + "".join(f"{name:>17}" + ("" if name == peer else f"{'/' + peer:>9}") for name in contenders)
    lines = [header]
    summary: dict[str, Any] = {}
    for label, workload, path, with_ratio in rows(args):
        figures = summarize(runs, workload, path)
        if not figures:
            continue
        summary[f"{workload}.{path}"] = figures
        cells = []
        for name in contenders:
            figure = figures.get(name)
            cell = _number(figure["median"]) if figure else "-"
            if figure and len(figure["runs"]) > 1:
                cell += f" ±{figure['spread_pct']:.0f}%"
            cells.append(f"{cell:>17}")
            if name != peer:
                ratio = figure and figures.get(peer) and figure["median"] / figures[peer]["median"]
                cells.append(f"{f'{ratio:.2f}' if with_ratio and ratio else '':>9}")
        lines.append(f"{label:<44}" + "".join(cells))
    store = summarize(runs, "throughput", "cpu_ms_per_1k")
    if "service" in store and "service+redis" in store:
        ratio = store["service+redis"]["median"] / store["service"]["median"]
        summary["redis_cpu_vs_memory"] = round(ratio, 3)
        lines.append(f"\nRedis store CPU per command relative to the memory store: {ratio:.2f}")
    return "\n".join(lines), summary
