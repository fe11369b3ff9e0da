"""`make bench`: commands/s, CPU per command and latency percentiles, service vs a plain aio-pika baseline.

Both consumers run as subprocesses against the same broker, queues and load in one run; the service calls
the Primer simulator (zero added latency) for every command, the baseline calls nothing. Results are printed
and written to .bench/results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aio_pika

ROOT = Path(__file__).resolve().parents[2]
AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def write_config(path: Path, suffix: str, sim_port: int) -> dict[str, str]:
    names = {
        "commands_exchange": f"bench.{suffix}.commands", "commands_queue": f"bench.{suffix}.commands",
        "events_exchange": f"bench.{suffix}.events", "dead_letter_exchange": f"bench.{suffix}.dlx",
        "dead_letter_queue": f"bench.{suffix}.dlq",
    }  # fmt: skip
    topology = "\n".join(f'{k} = "{v}"' for k, v in names.items())
    path.write_text(
        f'[broker]\nurl = "{AMQP_URL}"\n[http]\nenabled = false\n[logging]\nlevel = "info"\nformat = "json"\n'
        f"[simulator]\nport = {sim_port}\nlatency_ms = 0\n[topology]\n{topology}\n"
        f'[accounts.default.primer]\nbase_url = "http://127.0.0.1:{sim_port}"\napi_key = "bench-key"\n'
    )
    return names


async def drive(names: dict[str, str], count: int, rate: float | None) -> dict[str, Any]:
    """Publish ``count`` commands (as fast as confirms allow, or paced at ``rate``/s); time each event."""
    connection = await aio_pika.connect_robust(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        events = await channel.get_exchange(names["events_exchange"])
        tap = await channel.declare_queue(exclusive=True, auto_delete=True)
        await tap.bind(events, "session.#")
        sent: dict[str, float] = {}
        latencies: list[float] = []
        done = asyncio.Event()

        async def on_event(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            command_id = json.loads(message.body)["command_id"]
            if command_id in sent:
                latencies.append(time.perf_counter() - sent.pop(command_id))
                if len(latencies) == count:
                    done.set()

        await tap.consume(on_event, no_ack=True)
        exchange = await channel.get_exchange(names["commands_exchange"])
        window = asyncio.Semaphore(1 if rate else 512)  # a burst keeps 512 confirms outstanding

        async def publish(index: int) -> None:
            command_id = f"bench-{uuid.uuid4()}"
            body = {"command_id": command_id, "provider": "primer", "amount": 1000 + index % 100, "currency": "EUR"}
            message = aio_pika.Message(json.dumps(body).encode(), content_type="application/json")
            async with window:
                sent[command_id] = time.perf_counter()
                await exchange.publish(message, "session.create")

        started = time.perf_counter()
        tasks = []
        for index in range(count):
            tasks.append(asyncio.create_task(publish(index)))
            if rate:
                await asyncio.sleep(max(0.0, started + (index + 1) / rate - time.perf_counter()))
        await asyncio.gather(*tasks)
        await asyncio.wait_for(done.wait(), 600)
        elapsed = time.perf_counter() - started
    return {
        "commands": count,
        "seconds": round(elapsed, 3),
        "commands_per_s": round(count / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
    }


async def declare(names: dict[str, str], config: Path) -> None:
    subprocess.run([sys.executable, "-m", "service", "--config", str(config), "topology"],
                   check=True, capture_output=True)  # fmt: skip
    connection = await aio_pika.connect_robust(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        await channel.declare_exchange(names["events_exchange"], aio_pika.ExchangeType.TOPIC, durable=True)


async def cleanup(names: dict[str, str]) -> None:
    connection = await aio_pika.connect_robust(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        for queue in (names["commands_queue"], names["dead_letter_queue"]):
            await channel.queue_delete(queue)
        for exchange in (names["commands_exchange"], names["events_exchange"], names["dead_letter_exchange"]):
            await channel.exchange_delete(exchange)


def start(cmd: list[str], ready_marker: str, log: Path) -> subprocess.Popen[bytes]:
    """Start ``cmd`` with its output in ``log`` and wait until ``ready_marker`` shows up there."""
    with log.open("wb") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.monotonic() + 60
    while ready_marker not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"bench: {cmd[-1]} did not start, see {log}")
        time.sleep(0.1)
    return proc


def measure(name: str, cmd: list[str], marker: str, names: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    proc = start(cmd, marker, ROOT / ".bench" / f"{name.split(maxsplit=1)[0]}.log")
    try:
        asyncio.run(drive(names, min(200, args.count), None))  # warm-up
        cpu0 = cpu_seconds(proc.pid)
        burst = asyncio.run(drive(names, args.count, None))
        cpu = cpu_seconds(proc.pid) - cpu0
        paced = asyncio.run(drive(names, args.paced_count, args.rate))
    finally:
        proc.terminate()
        proc.wait(30)
    burst["cpu_ms_per_command"] = round(cpu * 1000 / args.count, 3)
    return {"consumer": name, "burst": burst, f"paced_{args.rate:g}_per_s": paced}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=5000, help="commands in the burst run")
    parser.add_argument("--rate", type=float, default=200.0, help="commands/s in the paced latency run")
    parser.add_argument("--paced-count", type=int, default=2000)
    args = parser.parse_args()
    out = ROOT / ".bench"
    out.mkdir(exist_ok=True)
    suffix = uuid.uuid4().hex[:8]
    config = out / "bench.toml"
    names = write_config(config, suffix, 18080)
    asyncio.run(declare(names, config))
    simulator = start(
        [sys.executable, "-m", "service", "--config", str(config), "simulate"],
        "simulator listening",
        out / "simulator.log",
    )
    results = []
    try:
        baseline_cmd = [sys.executable, str(ROOT / "deploy/bench/baseline.py"), AMQP_URL,
                        names["commands_queue"], names["events_exchange"], "256"]  # fmt: skip
        results.append(measure("aio-pika baseline", baseline_cmd, "ready", names, args))
        service_cmd = [sys.executable, "-m", "service", "--config", str(config), "run"]
        results.append(measure("payment-sessions", service_cmd, '"consuming"', names, args))
    finally:
        simulator.terminate()
        simulator.wait(30)
        asyncio.run(cleanup(names))
    report = {"machine": f"{os.cpu_count()} cores", "results": results}
    (out / "results.json").write_text(json.dumps(report, indent=2))
    header = f"{'consumer':<20}{'cmd/s':>9}{'CPU ms/cmd':>12}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
    paced_key = f"paced_{args.rate:g}_per_s"
    print(f"burst of {args.count} commands (throughput, CPU); latency paced at {args.rate:g}/s")
    print(header)
    for row in results:
        burst, paced = row["burst"], row[paced_key]
        print(f"{row['consumer']:<20}{burst['commands_per_s']:>9}{burst['cpu_ms_per_command']:>12}"
              f"{paced['p50_ms']:>9}{paced['p95_ms']:>9}{paced['p99_ms']:>9}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
