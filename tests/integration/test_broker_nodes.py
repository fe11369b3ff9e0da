"""A broker address naming several nodes, on the real broker: two TCP hops stand for two nodes of a cluster (the
three-node cluster itself is in tests/faults/test_cluster.py). The service starts past a dead node, and when the
node it is connected to goes away it moves to the other one, with its consumer restored: commands keep becoming
events. The contracts client does the same."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from typing import Any

from yarl import URL

from contracts.client import SessionsClient
from contracts.commands import CreatePrimerSession
from contracts.events import SessionCreated
from contracts.nodes import ClusterConnection
from tests.harness import Harness
from tests.tcp_switch import TcpSwitch

PRIMER_KEY = "sim-primer-key-nodes"


def _accounts(harness: Harness) -> dict[str, Any]:
    return {"default": {"primer": {"base_url": harness.simulator_url, "api_key": PRIMER_KEY}}}


def _create(command_id: str) -> dict[str, Any]:
    return {"command_id": command_id, "provider": "primer", "amount": 1000, "currency": "EUR"}


def _command() -> CreatePrimerSession:
    return CreatePrimerSession(command_id=f"cmd-{uuid.uuid4()}", amount=1000, currency="EUR")


def _dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again: connections are refused


async def _switches(amqp_url: str, count: int) -> list[TcpSwitch]:
    upstream = URL(amqp_url)
    switches = [TcpSwitch((upstream.host or "127.0.0.1", upstream.port or 5672)) for _ in range(count)]
    for switch in switches:
        await switch.on()
    return switches


def _address(amqp_url: str, ports: list[int]) -> str:
    upstream = URL(amqp_url)
    hosts = ",".join(f"127.0.0.1:{port}" for port in ports)
    return f"amqp://{upstream.raw_user}:{upstream.raw_password}@{hosts}{upstream.raw_path or '/'}"


async def test_the_service_moves_to_a_live_node_and_keeps_consuming(harness: Harness) -> None:
    a, b = await _switches(harness.amqp_url, 2)
    try:
        started = time.monotonic()
        # The dead node first: the start moves on to the next at once instead of backing off.
        address = _address(harness.amqp_url, [_dead_port(), a.port, b.port])
        service = await harness.start(_accounts(harness), broker={"url": address, "connect_timeout": 10.0})
        took = time.monotonic() - started
        assert took < 5, took
        connection = service.service.connection
        assert isinstance(connection, ClusterConnection)
        first = f"cmd-{uuid.uuid4()}"
        assert isinstance(await service.send("session.create", _create(first)), SessionCreated)

        on, other = (a, b) if connection.node.port == a.port else (b, a)
        await on.off()  # the node goes away; the dead node and then the other one are tried
        deadline = time.monotonic() + 20
        while not (connection.node.port == other.port and service.service.ready()):
            assert time.monotonic() < deadline, f"still on {connection.node.port}"
            await asyncio.sleep(0.1)
        second = f"cmd-{uuid.uuid4()}"
        assert isinstance(await service.send("session.create", _create(second)), SessionCreated)
    finally:
        for switch in (a, b):
            await switch.close()


async def test_the_client_moves_to_a_live_node(harness: Harness) -> None:
    a, b = await _switches(harness.amqp_url, 2)
    try:
        service = await harness.start(_accounts(harness))
        address = _address(harness.amqp_url, [a.port, b.port])
        async with SessionsClient.connect(address, topology=service.topology) as client:
            created = await client.create_session(_command())
            assert isinstance(created, SessionCreated)
            for switch in (a, b):  # whichever it is on goes away; then the other: it must come back each time
                await switch.off()
                await asyncio.sleep(0.5)
                await switch.on()
            again = await client.create_session(_command(), timeout=30)
            assert isinstance(again, SessionCreated)
    finally:
        for switch in (a, b):
            await switch.close()
