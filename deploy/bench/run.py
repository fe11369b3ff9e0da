"""`make bench`: the service against a plain aio-pika consumer doing the same job, on the same broker, in one run.

Contenders, each its own process, one at a time, their runs interleaved: ``peer`` (deploy/bench/peer.py: consume,
decode the JSON command, POST to the provider, publish the event with confirms and ``mandatory``, ack), ``service``
(its defaults: memory idempotency store), ``service+redis`` (Redis store under a uuid key prefix) and, with
``--faststream``, ``faststream`` (the peer's job written with FastStream, from its own venv under .bench/). All
call the same provider stand-in (deploy/bench/standin.py: its own process, Primer's ``POST /client-session`` after
a fixed ``--latency-ms``) and use the same uuid-named topology, declared as the service declares it. Every
contender gets the same prefetch (the service's default unless ``--prefetch``).

Workloads, ``--runs`` times per contender (median and run-to-run spread reported):

- throughput: a backlog of ``--count`` commands published (confirmed) first, then the consumer started;
  commands/s from the first to the last event; CPU (utime + stime of the consumer) per 1,000 commands over the
  steady part of the drain (see ``workloads.drain_figures``); peak RSS (VmHWM);
- added latency: commands paced at half the peer's commands/s (``--rate`` to choose) for ``--latency-seconds``;
  per command, publish to event minus the time the stand-in spent on that command; p50/p95/p99;
- slow provider: ``--slow-latency-ms`` at prefetch ``--slow-prefetch`` with a backlog of ``--slow-backlog``: peak RSS;
- CPU per 1,000 commands at a backlog of ``--small-backlog`` and of ``--backlog`` (``--large-runs`` times, default
  once: it is the longest run): does it stay flat? (results.json also has it slice by slice along each drain.)

Prints one table (medians ±spread, ratios to the peer) and writes every run's figures to .bench/results.json.
Everything it creates (queues and exchanges under ``bench.<uuid>``, Redis keys under ``bench-<uuid>:``, a temp dir
with configs and logs) is removed at the end, on failure and on Ctrl-C or SIGTERM too; then ``rabbitmqctl`` is asked
whether anything under its prefix is left. A contender that exits or stalls fails that run only (its log is kept in
.bench/logs/, the queues are purged, the bench goes on). Exit status 1 if a run failed or anything was left behind.

The defaults take about 5 minutes on two cores; ``--quick`` is a ~1 minute smoke run (one run each, small counts).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp
import redis.asyncio as redis
from broker import Names, Tap, declare_topology, leftovers, local_broker_pid, remove
from contenders import ROOT, Contender, Environment, Process, faststream_available, install_faststream
from plan import WORKLOADS, legend, say, workloads
from report import Runs, table
from workloads import Bench

from service.settings import Broker

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
QUICK = {"count": 1500, "backlog": 3000, "small_backlog": 500, "latency_seconds": 1.5, "slow_backlog": 1500, "runs": 1}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("--count", type=int, default=10_000, help="backlog of the throughput runs (default 10,000)")
    add("--backlog", type=int, default=20_000, help="the larger backlog of the CPU-flatness runs (default 20,000)")
    add("--small-backlog", type=int, default=1000, help="the smaller one (default 1,000)")
    add("--latency-ms", type=float, default=50.0, help="the provider stand-in's latency (default 50)")
    add("--latency-seconds", type=float, default=5.0, help="length of each paced latency run (default 5 s)")
    add("--rate", type=float, help="commands/s of the latency runs (default: half the peer's commands/s)")
    add("--prefetch", type=int, default=Broker().prefetch, help="every contender's prefetch (the service's default)")
    add("--slow-latency-ms", type=float, default=500.0, help="the slow provider's latency (default 500)")
    add("--slow-prefetch", type=int, default=1000, help="prefetch in the slow-provider runs (default 1,000)")
    add("--slow-backlog", type=int, default=3000, help="backlog of the slow-provider runs (default 3,000)")
    add("--runs", type=int, default=2, help="runs of each workload per contender (default 2)")
    add("--large-runs", type=int, default=1, help="runs of the --backlog workload (default 1: it is the longest)")
    add("--stand-in", choices=["simulator", "minimal"], default="simulator",
        help="the service's Primer simulator behind a fixed latency (default), or a minimal reply")  # fmt: skip
    add("--faststream", action="store_true", help="add a FastStream peer (makes .bench/faststream-venv once)")
    add(
        "--skip",
        action="append",
        default=[],
        metavar="CONTENDER",
        help="leave out a contender (repeatable); the peer always runs",
    )
    add(
        "--quick", action="store_true", help="a ~1 minute smoke run: " + ", ".join(f"{k}={v}" for k, v in QUICK.items())
    )
    add("--baseline", metavar="GIT_REF",
        help="add the service as of GIT_REF (memory store) from a temporary worktree: A/B of a change")  # fmt: skip
    add("--baseline-store", choices=["memory", "redis"], default="memory", help="the --baseline contender's store")
    add("--otel", action="store_true", help="add the service with OpenTelemetry spans (the otel extra) exported")
    add("--replicas", default="1", metavar="N[,M…]",
        help="also run N (and M…) service replicas sharing the Redis store (scale-out), e.g. 2,3")  # fmt: skip
    add("--workloads", default=",".join(WORKLOADS), help=f"a comma-separated subset of {','.join(WORKLOADS)}")
    add("--out", type=Path, default=ROOT / ".bench" / "results.json")
    args = parser.parse_args(argv)
    args.workloads = args.workloads.split(",")
    try:
        args.replicas = sorted({int(count) for count in args.replicas.split(",")})
    except ValueError:
        parser.error("--replicas takes counts separated by commas, e.g. 2,3")
    if unknown := set(args.workloads) - set(WORKLOADS):
        parser.error(f"unknown workloads {sorted(unknown)}")
    if "latency" in args.workloads and "throughput" not in args.workloads and not args.rate:
        parser.error("latency without throughput needs --rate (it is half the peer's commands/s otherwise)")
    if args.quick:
        for key, value in QUICK.items():
            if getattr(args, key) == parser.get_default(key):
                setattr(args, key, value)
    return args


def contenders(args: argparse.Namespace) -> list[Contender]:
    """The peer first (the latency runs' rate is half its commands/s); FastStream when its venv is there."""
    chosen = [
        Contender("peer", "peer"),
        Contender("service", "service"),
        Contender("service+redis", "service", "redis"),
    ]
    if args.faststream and (faststream_available() or install_faststream()):
        chosen.insert(1, Contender("faststream", "faststream"))
    if args.otel:
        chosen.insert(2, Contender("service+otel", "service", otel=True))
    for replicas in args.replicas:
        if replicas > 1:
            chosen.append(Contender(f"service+redis x{replicas}", "service", "redis", replicas=replicas))
    if args.baseline:
        name = "service@" + args.baseline.replace("/", "_") + ("+redis" if args.baseline_store == "redis" else "")
        chosen.insert(1, Contender(name, "service", args.baseline_store, tree=args.baseline_tree))
    return [c for c in chosen if c.name == "peer" or c.name not in args.skip]


async def remove_redis_keys(url: str, prefix: str) -> int:
    client = redis.from_url(url)
    removed = 0
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
        for start in range(0, len(keys), 1000):
            removed += await client.unlink(*keys[start : start + 1000])
    finally:
        await client.aclose()
    return removed


async def broker_cleanup(names: Names, attempts: int = 15) -> None:
    """Remove the topology; a broker that is briefly away (a restart, ``close_all_connections``) is waited for."""
    for attempt in range(attempts):
        try:
            connection = await aio_pika.connect(AMQP_URL, client_properties={"connection_name": "bench-cleanup"})
            async with connection:
                await remove(connection, names)
        except (OSError, aio_pika.exceptions.AMQPError) as exc:
            if attempt == attempts - 1:
                raise
            say(f"bench: clean-up waits for the broker ({type(exc).__name__})")
            await asyncio.sleep(2)
        else:
            return


async def bench(args: argparse.Namespace, chosen: list[Contender], results: dict[str, Any]) -> None:
    names = Names.fresh()
    redis_prefix = f"bench-{uuid.uuid4().hex[:12]}:"
    results.update(prefix=names.prefix, redis_prefix=redis_prefix)
    workdir = Path(tempfile.mkdtemp(prefix="payment-sessions-bench-"))
    async with contextlib.AsyncExitStack() as stack:
        stack.push(partial(_keep_logs_on_failure, workdir))
        stack.push_async_callback(broker_cleanup, names)  # runs after every process below has stopped
        if any(c.store == "redis" for c in chosen):
            stack.push_async_callback(remove_redis_keys, REDIS_URL, redis_prefix)
        standin_cmd = [sys.executable, str(ROOT / "deploy/bench/standin.py"), "--handler", args.stand_in,
                       "--latency-ms", str(args.latency_ms)]  # fmt: skip
        standin = Process("stand-in", standin_cmd, workdir / "standin.log")
        stack.callback(standin.stop)
        port = int((await standin.wait_for("listening")).split()[1])
        connection = await aio_pika.connect(AMQP_URL, client_properties={"connection_name": "bench-driver"})
        stack.push_async_callback(connection.close)
        channel = await connection.channel(publisher_confirms=True)
        await declare_topology(channel, names)
        tap = Tap()
        await tap.start(await connection.channel(), names)
        http = await stack.enter_async_context(aiohttp.ClientSession())
        env = Environment(AMQP_URL, REDIS_URL, redis_prefix, names, f"http://127.0.0.1:{port}", workdir)
        say(f"bench {names.prefix}: {', '.join(c.name for c in chosen)}; stand-in {standin_description(args)}")
        broker_pid = await asyncio.to_thread(local_broker_pid, AMQP_URL)
        bench_world = Bench(env, connection, channel, tap, http, standin, broker_pid)
        await workloads(bench_world, chosen, args, results)


def _keep_logs_on_failure(workdir: Path, kind: type[BaseException] | None, *_: object) -> None:
    """The temp dir goes; after a failure its logs are kept in .bench/logs/ first."""
    if kind is not None and not issubclass(kind, asyncio.CancelledError | KeyboardInterrupt):
        kept = ROOT / ".bench" / "logs"
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(workdir, kept, ignore=shutil.ignore_patterns("*.toml"))
        say(f"bench: the processes' logs are in {kept}")
    shutil.rmtree(workdir, ignore_errors=True)


def standin_description(args: argparse.Namespace) -> str:
    handler = {"simulator": "the service's Primer simulator (service/simulator/primer.py)",
               "minimal": "a minimal Primer reply"}[args.stand_in]  # fmt: skip
    return f"{handler} after a fixed {args.latency_ms:g} ms, own process (deploy/bench/standin.py)"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    results: dict[str, Any] = {"settings": settings, "stand_in": standin_description(args), "runs": {},
                               "machine": {"cores": os.cpu_count(), "load_before": os.getloadavg()}}  # fmt: skip
    started = time.monotonic()
    with baseline_tree(args.baseline) as args.baseline_tree:
        chosen = contenders(args)
        status = _run(args, chosen, results)
    results["machine"]["load_after"] = os.getloadavg()
    results["seconds"] = round(time.monotonic() - started, 1)
    left = leftovers(results.get("prefix", "bench.none"))
    results["left_on_broker"] = left
    say("broker: " + ("not checked (no rabbitmqctl)" if left is None else f"{len(left)} left {left}" if left else
                      f"nothing left under {results.get('prefix')}"))  # fmt: skip
    contender_names = [c.name for c in chosen if c.name in _seen(results["runs"])]
    if results["runs"]:
        text, results["summary"] = table(results["runs"], contender_names, args)
        print(f"\n{results['stand_in']}; {results['seconds']:.0f} s on {os.cpu_count()} cores, "
              f"load {results['machine']['load_before'][0]:.1f} before\n{text}\n{legend(results)}")  # fmt: skip
    failures = [f"{workload} {name} run {index + 1}: {run['failed']}" for workload, per in results["runs"].items()
                for name, runs in per.items() for index, run in enumerate(runs) if "failed" in run]  # fmt: skip
    if failures:
        print("\nFAILED RUNS (left out of the medians):\n" + "\n".join(failures))
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    say(f"raw results: {args.out}")
    return status or (1 if left or failures else 0)


def _run(args: argparse.Namespace, chosen: list[Contender], results: dict[str, Any]) -> int:
    try:
        asyncio.run(_main_task(args, chosen, results))
    except KeyboardInterrupt:
        say("bench: interrupted; everything it created was removed")
        return 130
    except Exception as exc:  # noqa: BLE001 - report, keep the partial results, exit non-zero
        say(f"bench: failed: {type(exc).__name__}: {exc}")
        return 1
    return 0


@contextlib.contextmanager
def baseline_tree(ref: str | None) -> Iterator[Path | None]:
    """``--baseline``: the service as of ``ref``, checked out in a temporary worktree (removed at the end)."""
    if ref is None:
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="bench-baseline-"))
    git = shutil.which("git") or "git"
    subprocess.run([git, "-C", str(ROOT), "worktree", "add", "--quiet", "--detach", str(folder), ref], check=True)
    try:
        yield folder
    finally:
        subprocess.run([git, "-C", str(ROOT), "worktree", "remove", "--force", str(folder)], check=False)
        shutil.rmtree(folder, ignore_errors=True)


def _seen(runs: Runs) -> set[str]:
    return {name for per_contender in runs.values() for name in per_contender}


async def _main_task(args: argparse.Namespace, chosen: list[Contender], results: dict[str, Any]) -> None:
    """SIGTERM cancels the bench like Ctrl-C does, so the clean-up runs."""
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        await bench(args, chosen, results)
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None


if __name__ == "__main__":
    sys.exit(main())
