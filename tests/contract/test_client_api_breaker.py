"""A failing host that the command chose (the Apple Pay ``client_api_url``) must not open the circuit of the
account's ``worldline-applepay`` provider: one bad command would otherwise stop every Apple Pay session.

The URL rules allow the origin of the account's ``base_url`` besides the Worldline client API hosts (https
only), so the account's ``base_url`` is a local port with nothing listening while the client-API commands fail;
then a forwarder to the simulator opens on that port and a server-API command must go straight through, the
circuit closed all along.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

from prometheus_client import generate_latest

from contracts.events import SessionCreated, SessionFailed
from service.providers.worldline import APPLE_PAY
from tests.contract.test_worldline import VALIDATION_URL, worldline_table
from tests.harness import Harness, RunningService

CLOSED = 'payment_sessions_circuit_state{account="default",provider="worldline-applepay"} 0.0'
UNREACHABLE = (
    "payment_sessions_provider_call_seconds_count"
    '{operation="create",provider="worldline-applepay",status="unreachable"}'
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


@contextlib.asynccontextmanager
async def forwarder(port: int, target: str) -> AsyncIterator[None]:
    """Listens on ``port`` and relays every connection to ``target`` (host:port) byte for byte."""
    host, _, target_port = target.rpartition(":")

    async def relay(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(target_port))
        await asyncio.gather(_pipe(client_reader, upstream_writer), _pipe(upstream_reader, client_writer))

    server = await asyncio.start_server(relay, "127.0.0.1", port)
    async with server:
        yield


def apple_pay(command_id: str, client_api_url: str | None = None) -> dict[str, Any]:
    options: dict[str, Any] = {"validation_url": VALIDATION_URL, "domain_name": "shop.example", "display_name": "Shop"}
    if client_api_url is not None:
        options |= {"client_session_id": "cs-1", "customer_id": "1234-c", "client_api_url": client_api_url}
    return {"provider": APPLE_PAY, "command_id": command_id, "options": options}


def scrape(service: RunningService) -> str:
    return generate_latest(service.service.metrics.registry).decode()


async def test_a_dead_client_api_host_does_not_open_the_circuit(harness: Harness, command_id: str) -> None:
    port = free_port()
    own = f"http://127.0.0.1:{port}"
    service = await harness.start(
        {"default": {"worldline": worldline_table(own)}},
        simulator_accounts={"default": {"worldline": worldline_table(harness.simulator_url)}},
        breaker={"failure_threshold": 2, "cooldown": 60.0},
    )
    for index in range(3):
        failed = await service.send("session.create", apple_pay(f"{command_id}-{index}", f"{own}/client"))
        assert isinstance(failed, SessionFailed), failed
        assert (failed.error.code, failed.error.retryable, failed.attempts) == ("provider_unavailable", True, 3)
        assert "circuit" not in failed.error.message, failed.error.message
    metrics = scrape(service)
    assert CLOSED in metrics
    assert f"{UNREACHABLE} 9.0" in metrics  # every attempt went to the dead host: the circuit stopped none
    async with forwarder(port, harness.simulator_url.removeprefix("http://")):
        created = await service.send("session.create", apple_pay(f"{command_id}-server"))
    assert isinstance(created, SessionCreated), created
    assert harness.simulator is not None
    assert [(c.provider, c.status) for c in harness.simulator.calls] == [(APPLE_PAY, 200)]
    assert CLOSED in scrape(service)
