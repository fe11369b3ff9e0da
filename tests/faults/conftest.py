"""Fixtures of the fault suite: a vhost of our own on the local broker, and per test a ``FaultRun``: the
in-process simulator (from the harness), a uuid-named topology, the ledger and the service replicas.

The suite needs ``rabbitmqctl`` and a broker on this machine (it stops, kills and alarms it); elsewhere it is
skipped. Whatever a test did, the broker is running and unblocked when the session ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis
from yarl import URL

from tests.faults.broker import BrokerControl, ensure_running
from tests.faults.ledger import Ledger
from tests.faults.processes import Replicas
from tests.harness import Harness, connect_any

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
PRIMER_KEY = "sim-primer-key-faults"
WORLDLINE_SECRET = "sim-worldline-secret-faults"
MPGS_PASSWORD = "sim-mpgs-password-faults"
ACQUIRED_KEY = "sim-acquired-key-faults"


def accounts(base_url: str) -> dict[str, Any]:
    """``[accounts.default.*]`` pointing at the simulator; the simulator accepts exactly these credentials."""
    return {
        "default": {
            "primer": {"base_url": base_url, "api_key": PRIMER_KEY},
            "worldline": {
                "base_url": base_url,
                "merchant_id": "1234",
                "api_key_id": "sim-key-faults",
                "secret_api_key": WORLDLINE_SECRET,
            },
            "mpgs": {"base_url": base_url, "merchant_id": "TESTMERCHANT01", "api_password": MPGS_PASSWORD},
            "acquired": {
                "base_url": base_url,
                "app_id": "sim-acquired-app",
                "app_key": ACQUIRED_KEY,
                "company_id": "7b3f7c3e-5b1a-4f43-9c5e-2d8a1c0f6b11",
                "mid": "1c9e6a52-0f3d-4a8e-b7a2-9e4b3c2d1f00",
            },
        }
    }


@pytest.fixture(scope="session")
def fault_broker(amqp_url: str) -> Iterator[BrokerControl]:
    host = URL(amqp_url).host
    if shutil.which("rabbitmqctl") is None or host not in ("127.0.0.1", "localhost"):
        pytest.skip("the fault suite drives a local broker with rabbitmqctl")
    broker = asyncio.run(BrokerControl.create(amqp_url))
    try:
        yield broker
    finally:
        asyncio.run(_restore(broker))


async def _restore(broker: BrokerControl) -> None:
    await ensure_running()
    await broker.drop()


class FaultRun:
    """One test's world. ``start()`` writes the replicas' configuration and starts them on it."""

    def __init__(self, broker: BrokerControl, harness: Harness, workdir: Path, test: str) -> None:
        self.broker = broker
        self.harness = harness
        self.workdir = workdir
        self.accounts = accounts(harness.simulator_url)
        self.topology = harness.settings(self.accounts).topology  # uuid-named, removed by the harness
        self.suffix = self.topology.commands_queue.split(".")[1]
        assert harness.simulator is not None
        self.simulator = harness.simulator
        self.ledger = Ledger(broker, self.topology, self.simulator, test=test, suffix=self.suffix)
        self.replicas = Replicas(workdir, self.config(), amqp_url=broker.url)

    def config(self) -> dict[str, Any]:
        names = self.topology
        return {
            "shutdown_grace": 10.0,
            "broker": {
                "url": self.broker.url,
                "app_id": f"ps-faults-{self.suffix}",  # names the replicas' connections (…@host)
                "publish_timeout": 3.0,
                "republish_delay": 0.2,
            },
            "http": {"host": "127.0.0.1", "port": 0},
            "logging": {"format": "json", "level": "info"},
            "topology": {
                "commands_exchange": names.commands_exchange,
                "commands_queue": names.commands_queue,
                "events_exchange": names.events_exchange,
                "dead_letter_exchange": names.dead_letter_exchange,
                "dead_letter_queue": names.dead_letter_queue,
            },
            "idempotency": {"backend": "redis", "url": REDIS_URL, "key_prefix": f"faults:{self.suffix}:", "lease": 3.0},
            "retry": {"delays": [0.2, 0.5], "max_attempts": 3, "busy_delay": 0.2},
            "commands": {"deadline": 2.0},
            # The breaker is a feature of its own; here it would turn provider faults into attempts that never
            # reach the provider and blur the per-command call counts the ledger checks.
            "breaker": {"failure_threshold": 1000, "cooldown": 1.0},
            "accounts": self.accounts,
        }

    async def start(self, count: int = 1, *, bind_events: bool = True, **sections: dict[str, Any]) -> Replicas:
        for section, values in sections.items():
            self.replicas.config.setdefault(section, {}).update(values)
        await self.harness.start_simulator(self.accounts)
        if bind_events:
            await self.ledger.bind_events()
        if count:
            await self.replicas.start(count)
        return self.replicas

    async def close(self) -> None:
        await self.replicas.stop_all()
        await self.ledger.close()
        await self._delete_queues()
        client = redis.Redis.from_url(REDIS_URL)
        try:
            keys = [key async for key in client.scan_iter(match=f"faults:{self.suffix}:*", count=1000)]
            for start in range(0, len(keys), 500):
                await client.delete(*keys[start : start + 500])
        finally:
            await client.aclose()

    async def _delete_queues(self) -> None:
        """Retry queues and the analytics queue; the harness removes the rest of the topology."""
        with contextlib.suppress(Exception):
            await ensure_running()
        connection = await connect_any(self.broker.url)
        async with connection:
            for name in await self.broker.queues(f"test.{self.suffix}."):
                channel = await connection.channel()
                with contextlib.suppress(Exception):  # a failed delete closes its channel: one each
                    await channel.queue_delete(name)
                    await channel.close()


@pytest.fixture
async def faults(
    fault_broker: BrokerControl, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[FaultRun]:
    async with Harness(fault_broker.url) as harness:
        run = FaultRun(fault_broker, harness, tmp_path, request.node.name)
        try:
            yield run
        finally:
            await run.close()
