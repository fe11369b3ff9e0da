"""Real service replicas as subprocesses (``python -m service --config <toml> run``) on one shared topology.

Each replica writes its JSON log to its own file; ``http.port = 0`` and the "ready" log line give its probe
port (/readyz, /metrics). Replicas can be SIGKILLed, SIGTERMed and restarted; a restart is a new process with
the same configuration and a new log file.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from tests.harness import run_cli

REPO = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 30.0


def to_toml(table: dict[str, Any], prefix: str = "") -> str:
    """Just enough TOML for a service configuration: scalars, lists of scalars, nested tables."""
    lines = [f"{key} = {_toml_value(value)}" for key, value in table.items() if not isinstance(value, dict)]
    for key, value in table.items():
        if isinstance(value, dict):
            name = f"{prefix}{key}"
            scalars = {k: v for k, v in value.items() if not isinstance(v, dict)}
            lines.append(f"\n[{name}]")
            lines.append(to_toml(scalars))
            nested = {k: v for k, v in value.items() if isinstance(v, dict)}
            if nested:
                lines.append(to_toml(nested, f"{name}."))
    return "\n".join(line for line in lines if line)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML for {type(value).__name__}")


class Replica:
    def __init__(self, index: int, generation: int, process: asyncio.subprocess.Process, log_path: Path) -> None:
        self.index = index
        self.generation = generation
        self.process = process
        self.log_path = log_path
        self.http_port: int | None = None

    @property
    def name(self) -> str:
        return f"r{self.index}.{self.generation}"

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    def records(self) -> list[dict[str, Any]]:
        records = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                records.append(json.loads(line))
        return records

    async def wait_ready(self, timeout: float = READY_TIMEOUT) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for record in self.records():
                if record.get("event") == "ready":
                    self.http_port = int(record["http_port"])
                    return self.http_port
            if not self.alive:
                raise AssertionError(f"replica {self.name} exited {self.process.returncode} before it was ready")
            await asyncio.sleep(0.05)
        raise AssertionError(f"replica {self.name} not ready within {timeout:g}s")

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")


class Replicas:
    """N replicas of one configuration; ``config`` is the TOML table the replicas read."""

    def __init__(self, workdir: Path, config: dict[str, Any], *, amqp_url: str) -> None:
        self.workdir = workdir
        self.config = config
        self.amqp_url = amqp_url
        self.all: list[Replica] = []
        self._http: aiohttp.ClientSession | None = None

    @property
    def live(self) -> list[Replica]:
        return [replica for replica in self.all if replica.alive]

    async def start(self, count: int = 1, *, amqp_url: str | None = None) -> list[Replica]:
        started = [await self._spawn(len({r.index for r in self.all}), amqp_url) for _ in range(count)]
        await asyncio.gather(*(replica.wait_ready() for replica in started))
        return started

    async def _spawn(self, index: int, amqp_url: str | None = None, generation: int = 0) -> Replica:
        config_path = self.workdir / "service.toml"
        config_path.write_text(to_toml(self.config))
        log_path = self.workdir / f"replica-{index}.{generation}.log"
        env = {**os.environ, "AMQP_URL": amqp_url or self.amqp_url, "PYTHONUNBUFFERED": "1"}
        env.pop("REDIS_URL", None)  # the config's [idempotency] url (the fault suite's Redis switch) must win
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "service", "--config", str(config_path), "run",
                stdout=log, stderr=asyncio.subprocess.STDOUT, env=env, cwd=REPO,
            )  # fmt: skip
        replica = Replica(index, generation, process, log_path)
        self.all.append(replica)
        return replica

    async def declare_topology(self) -> None:
        """``payment-sessions topology``: the exchanges and queues, declared before any replica runs."""
        config_path = self.workdir / "service.toml"
        config_path.write_text(to_toml(self.config))
        code, _, err = await run_cli(config_path, "topology")
        assert code == 0, err[-500:]

    async def kill(self, replica: Replica) -> None:
        """SIGKILL: no drain, no goodbye; the broker requeues whatever it had unacked."""
        with contextlib.suppress(ProcessLookupError):
            replica.process.send_signal(signal.SIGKILL)
        await replica.process.wait()

    async def terminate(self, replica: Replica, timeout: float = 30.0) -> tuple[int, float]:
        """SIGTERM; returns the exit code and the seconds it took to exit."""
        started = time.monotonic()
        replica.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(replica.process.wait(), timeout)
        return code, time.monotonic() - started

    async def restart(self, replica: Replica, *, wait: bool = True) -> Replica:
        """A new process in ``replica``'s place (same index, next generation)."""
        if replica.alive:
            await self.kill(replica)
        generation = max(r.generation for r in self.all if r.index == replica.index) + 1
        new = await self._spawn(replica.index, generation=generation)
        if wait:
            await new.wait_ready()
        return new

    async def stop_all(self) -> None:
        for replica in self.live:
            with contextlib.suppress(ProcessLookupError):
                replica.process.send_signal(signal.SIGTERM)
        for replica in self.all:
            try:
                await asyncio.wait_for(replica.process.wait(), 15)
            except TimeoutError:
                await self.kill(replica)
        if self._http is not None:
            await self._http.close()

    # --- probes -------------------------------------------------------------------------------------------

    async def _get(self, replica: Replica, path: str) -> tuple[int, str]:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        assert replica.http_port is not None, f"replica {replica.name} has no probe port yet"
        async with self._http.get(f"http://127.0.0.1:{replica.http_port}{path}") as response:
            return response.status, await response.text()

    async def readyz(self, replica: Replica) -> int:
        try:
            return (await self._get(replica, "/readyz"))[0]
        except (aiohttp.ClientError, TimeoutError):
            return 0

    async def metrics(self, replica: Replica) -> dict[str, float]:
        """``name{labels}`` -> value, as the Prometheus text format spells them."""
        _, text = await self._get(replica, "/metrics")
        values = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                values[name] = float(value)
        return values

    async def wait_ready_again(self, timeout: float = 30.0) -> None:
        """Every live replica answers /readyz 200 (after a broker fault the robust connection comes back)."""
        deadline = time.monotonic() + timeout
        while True:
            codes = [await self.readyz(replica) for replica in self.live]
            if all(code == 200 for code in codes):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"replicas not ready again within {timeout:g}s: {codes}")
            await asyncio.sleep(0.2)

    # --- logs ---------------------------------------------------------------------------------------------

    def log_text(self) -> str:
        return "\n".join(replica.log_path.read_text(errors="replace") for replica in self.all)

    def log_records(self) -> list[dict[str, Any]]:
        return [record for replica in self.all for record in replica.records()]

    def non_json_log_lines(self) -> list[str]:
        """Lines that are not one JSON object each (S2: a hostile field never forges or splits a record)."""
        bad = []
        for line in self.log_text().splitlines():
            try:
                ok = isinstance(json.loads(line), dict)
            except ValueError:
                ok = False
            if line.strip() and not ok:
                bad.append(line[:200])
        return bad


def metric(values: dict[str, float], name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels``."""
    total = 0.0
    for key, value in values.items():
        base, _, rest = key.partition("{")
        if base != name:
            continue
        if all(f'{label}="{wanted}"' in rest for label, wanted in labels.items()):
            total += value
    return total
