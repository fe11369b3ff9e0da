"""The broker drops us; we get SIGTERM mid-flight. Nothing is lost, nothing acked early."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from contracts.events import SessionCreated
from tests.harness import Harness, write_config

PRIMER_KEY = "sim-primer-key-resilience"


def _accounts(harness: Harness) -> dict[str, Any]:
    return {"default": {"primer": {"base_url": harness.simulator_url, "api_key": PRIMER_KEY}}}


def _create(command_id: str) -> dict[str, Any]:
    return {"command_id": command_id, "provider": "primer", "amount": 1000, "currency": "EUR"}


async def _rabbitmqctl(*args: str) -> None:
    process = await asyncio.create_subprocess_exec(
        "rabbitmqctl", *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    assert await process.wait() == 0


@pytest.mark.skipif(os.environ.get("AMQP_URL", "127.0.0.1").find("127.0.0.1") < 0, reason="needs a local broker")
async def test_reconnects_after_close_all_connections(harness: Harness) -> None:
    service = await harness.start(_accounts(harness))
    first = f"cmd-{uuid.uuid4()}"
    assert isinstance(await service.send("session.create", _create(first)), SessionCreated)
    for _ in range(2):
        await _rabbitmqctl("close_all_connections", "test: reconnect")
        await asyncio.sleep(0.5)
    for _ in range(100):  # the robust connection restores channels and the consumer by itself
        if service.service.ready():
            break
        await asyncio.sleep(0.1)
    assert service.service.ready()
    second = f"cmd-{uuid.uuid4()}"
    await service.send("session.create", _create(second))
    assert isinstance(harness.tap_for(service.topology).events[second][0], SessionCreated)


async def test_sigterm_finishes_in_flight_commands(harness: Harness, tmp_path: Path) -> None:
    await harness.start_simulator(_accounts(harness))
    assert harness.simulator is not None
    harness.simulator.latency_ms = 1500  # every provider call takes ~0.75-2.25 s
    settings = harness.settings(_accounts(harness))
    tap = await harness.tap(settings.topology)
    config = write_config(
        tmp_path / "service.toml",
        harness.amqp_url,
        settings.topology,
        f'[http]\nhost = "127.0.0.1"\nport = 0\n'
        f'[accounts.default.primer]\nbase_url = "{harness.simulator_url}"\napi_key = "{PRIMER_KEY}"\n',
    )
    env = {k: v for k, v in os.environ.items() if k != "AMQP_URL"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service", "--config", str(config), "run",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env,
    )  # fmt: skip
    try:
        port = await _wait_ready(process)
        ids = [f"cmd-{uuid.uuid4()}" for _ in range(8)]
        service = harness_service(harness, settings)
        for command_id in ids:
            await service.publish("session.create", _create(command_id))
        await _wait_in_flight(port, len(ids))
        started = asyncio.get_running_loop().time()
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 20) == 0
        assert asyncio.get_running_loop().time() - started < 15
        for command_id in ids:  # every in-flight command finished and its event was published
            assert isinstance((await tap.wait_for(command_id, timeout=5))[0], SessionCreated)
        channel = await harness.channel()
        queue = await channel.declare_queue(settings.topology.commands_queue, passive=True)
        assert queue.declaration_result.message_count == 0  # all acked, none left behind
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def harness_service(harness: Harness, settings: Any) -> Any:
    from tests.harness import RunningService

    return RunningService(harness, None, settings)  # type: ignore[arg-type]


async def _wait_ready(process: asyncio.subprocess.Process) -> int:
    import json

    assert process.stdout is not None
    while True:
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        assert line, "service exited before it was ready"
        record = json.loads(line)
        if record.get("event") == "ready":
            return int(record["http_port"])


async def _wait_in_flight(port: int, count: int) -> None:
    async with aiohttp.ClientSession() as client:
        for _ in range(200):
            async with client.get(f"http://127.0.0.1:{port}/metrics") as response:
                text = await response.text()
            for line in text.splitlines():
                if line.startswith("payment_sessions_commands_in_flight ") and float(line.split()[1]) >= count:
                    return
            await asyncio.sleep(0.05)
    raise AssertionError("commands never went in flight")
