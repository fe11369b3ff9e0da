"""Runs the real service in-process against the real broker, with the simulator on a local port.

Every harness uses uuid-named exchanges and queues, and removes them afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import sys
import uuid
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aio_pika
import msgspec
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from aiohttp import web

from contracts.codec import decode_event
from contracts.events import Event
from contracts.names import CommandType, Topology
from contracts.nodes import connect_nodes, node_urls
from service.bootstrap import Service, running_service
from service.logs import configure_logging
from service.messaging.topology import expiry_queue, retry_delays, retry_queue
from service.settings import Settings, settings_from_mapping
from service.simulator.app import build_app, state_of
from service.simulator.state import SimulatorState

EVENT_TIMEOUT = 20.0
TEST_RETRY = {"delays": [0.2, 0.4], "max_attempts": 3, "busy_delay": 0.2, "store_delay": 0.5}


def unique_topology() -> Topology:
    suffix = uuid.uuid4().hex[:12]
    return Topology(
        commands_exchange=f"test.{suffix}.commands",
        commands_queue=f"test.{suffix}.commands",
        events_exchange=f"test.{suffix}.events",
        dead_letter_exchange=f"test.{suffix}.dead-letter",
        dead_letter_queue=f"test.{suffix}.dead-letter",
    )


def test_settings(amqp_url: str, accounts: dict[str, Any], **overrides: Any) -> Settings:
    raw: dict[str, Any] = {
        "broker": {"url": amqp_url, "publish_timeout": 5.0, "republish_delay": 0.2},
        "topology": msgspec.to_builtins(unique_topology()),
        "http": {"enabled": False},
        "shutdown_grace": 10.0,
        "retry": dict(TEST_RETRY),
        "accounts": accounts,
    }
    for key, value in overrides.items():
        if isinstance(value, dict):
            raw.setdefault(key, {}).update(value)
        else:
            raw[key] = value
    return settings_from_mapping(raw, {})


class EventTap:
    """An analytics-style consumer: its own queue bound with ``session.#``, events kept per command_id."""

    def __init__(self) -> None:
        self.events: dict[str, list[Event]] = defaultdict(list)
        self.messages: list[AbstractIncomingMessage] = []
        self._changed = asyncio.Condition()

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        event = decode_event(message.body)
        async with self._changed:
            self.events[event.command_id].append(event)
            self.messages.append(message)
            self._changed.notify_all()
        await message.ack()

    async def wait_for(self, command_id: str, count: int = 1, timeout: float = EVENT_TIMEOUT) -> list[Event]:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.events[command_id]) >= count), timeout)
            return list(self.events[command_id])


class RunningService:
    def __init__(self, harness: Harness, service: Service, settings: Settings) -> None:
        self.harness = harness
        self.service = service
        self.settings = settings

    @property
    def topology(self) -> Topology:
        return self.settings.topology

    async def publish(self, routing_key: str, body: bytes | dict[str, Any], **properties: Any) -> None:
        payload = body if isinstance(body, bytes) else msgspec.json.encode(body)
        properties.setdefault("content_type", "application/json")
        channel = await self.harness.channel()
        exchange = await channel.get_exchange(self.topology.commands_exchange)
        await exchange.publish(aio_pika.Message(payload, **properties), routing_key)

    async def send(self, routing_key: str, body: dict[str, Any], **properties: Any) -> Event:
        """Publish a command and return the first event for its command_id, once the service has also logged the
        command's line (written after the ack, which follows the event's confirm and, for a session that
        expires, its expiry pointer's: the tap may see the event a moment earlier)."""
        await self.publish(routing_key, body, **properties)
        event = (await self.harness.tap_for(self.topology).wait_for(body["command_id"]))[0]
        await eventually(lambda: self.harness.logged(body["command_id"]), timeout=EVENT_TIMEOUT)
        return event

    async def dead_letters(self, count: int, timeout: float = EVENT_TIMEOUT) -> list[AbstractIncomingMessage]:
        channel = await self.harness.channel()
        queue = await channel.get_queue(self.topology.dead_letter_queue)
        found: list[AbstractIncomingMessage] = []
        deadline = asyncio.get_running_loop().time() + timeout
        while len(found) < count:
            message = await queue.get(no_ack=True, fail=False)
            if message is not None:
                found.append(message)
            elif asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{len(found)} of {count} dead letters")
            else:
                await asyncio.sleep(0.05)
        return found


class Harness:
    def __init__(self, amqp_url: str) -> None:
        self.amqp_url = amqp_url
        self.simulator_url = ""
        self.simulator: SimulatorState | None = None
        self._log = io.StringIO()
        self._stack = contextlib.AsyncExitStack()
        self._connection: AbstractRobustConnection | None = None
        self._taps: dict[str, EventTap] = {}
        self._sim_runner: web.AppRunner | None = None
        self._topologies: list[Settings] = []

    async def __aenter__(self) -> Harness:
        configure_logging("info", "json", self._log)
        self._connection = await connect_nodes(self.amqp_url)
        await self.start_simulator({})
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()
        if self._connection is not None:
            await self._cleanup_topologies()
            await self._connection.close()

    async def channel(self) -> aio_pika.abc.AbstractChannel:
        assert self._connection is not None
        if not hasattr(self, "_channel"):
            self._channel = await self._connection.channel()
        return self._channel

    def log_text(self) -> str:
        return self._log.getvalue()

    def logged(self, command_id: str) -> bool:
        """The service has written the command's line (``"event": "command"``) for ``command_id``."""
        return any(r.get("event") == "command" and r.get("command_id") == command_id for r in self.log_records())

    def log_records(self) -> list[dict[str, Any]]:
        return [msgspec.json.decode(line) for line in self.log_text().splitlines() if line.strip()]

    async def start_simulator(self, accounts: dict[str, Any], *, hang_seconds: float = 5.0) -> SimulatorState:
        settings = settings_from_mapping({"accounts": accounts}, {})
        if self._sim_runner is None:
            app = build_app(settings, hang_seconds=hang_seconds)
            self._sim_runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5)
            await self._sim_runner.setup()
            self._stack.push_async_callback(self._sim_runner.cleanup)
            site = web.TCPSite(self._sim_runner, "127.0.0.1", 0)
            await site.start()
            self.simulator = state_of(app)
            port = self._sim_runner.addresses[0][1]
            self.simulator_url = f"http://127.0.0.1:{port}"
        else:
            assert self.simulator is not None
            self.simulator.settings = settings
        return self.simulator

    async def start(
        self,
        accounts: dict[str, Any],
        *,
        simulator_accounts: dict[str, Any] | None = None,
        tap: bool = True,
        **overrides: Any,
    ) -> RunningService:
        """Start a service for ``accounts``; ``tap`` binds an analytics-style queue to its events."""
        await self.start_simulator(simulator_accounts or accounts)
        settings = self.settings(accounts, **overrides)
        if tap:
            await self.tap(settings.topology)
        service = await self._stack.enter_async_context(running_service(settings))
        return RunningService(self, service, settings)

    def settings(self, accounts: dict[str, Any], **overrides: Any) -> Settings:
        """Settings on fresh uuid-named queues, removed when the harness closes."""
        settings = test_settings(self.amqp_url, accounts, **overrides)
        self._topologies.append(settings)
        return settings

    async def tap(self, topology: Topology) -> EventTap:
        if topology.events_exchange in self._taps:
            return self._taps[topology.events_exchange]
        channel = await self.channel()
        exchange = await channel.declare_exchange(topology.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, "session.#")
        tap = EventTap()
        await queue.consume(tap.on_message)
        self._taps[topology.events_exchange] = tap
        return tap

    def tap_for(self, topology: Topology) -> EventTap:
        return self._taps[topology.events_exchange]

    async def _cleanup_topologies(self) -> None:
        """On a connection of its own: after a broker restart the harness's robust one may not be back yet."""
        connection = await _connect_within(self.amqp_url, 60)
        async with connection:
            await self._delete_topologies(await connection.channel())

    async def _delete_topologies(self, channel: aio_pika.abc.AbstractChannel) -> None:
        for settings in self._topologies:
            names = settings.topology
            delays = retry_delays(settings.retry)
            retries = [retry_queue(names, kind, delay) for delay in delays for kind in CommandType]
            tiers = [expiry_queue(names, tier) for tier in settings.expiry.tiers]
            for queue in (names.commands_queue, names.dead_letter_queue, *retries, *tiers):
                with contextlib.suppress(Exception):
                    await channel.queue_delete(queue)
            for exchange in (names.commands_exchange, names.events_exchange, names.dead_letter_exchange):
                with contextlib.suppress(Exception):
                    await channel.exchange_delete(exchange)


async def connect_any(address: str, **kwargs: Any) -> aio_pika.abc.AbstractConnection:
    """A plain (not robust) connection to the first node of ``address`` that answers; one URL is one node."""
    nodes = node_urls(address)
    for node in nodes[:-1]:
        with contextlib.suppress(ConnectionError, OSError, aio_pika.exceptions.AMQPConnectionError):
            return await aio_pika.connect(node, **kwargs)
    return await aio_pika.connect(nodes[-1], **kwargs)


async def _connect_within(url: str, seconds: float) -> aio_pika.abc.AbstractConnection:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        try:
            return await connect_any(url)
        except (ConnectionError, OSError, aio_pika.exceptions.AMQPConnectionError):
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)


def write_config(path: Path, amqp_url: str, topology: Topology, extra: str = "") -> Path:
    """A TOML file for a service subprocess (or the CLI) on ``topology``; ``extra`` is appended verbatim. Unless
    ``extra`` has its own, the harness's ``[retry]`` delays: the retry queues the harness removes afterwards."""
    names = "\n".join(f'{name} = "{getattr(topology, name)}"' for name in _TOPOLOGY_NAMES)
    retry = "" if "[retry]" in extra else "[retry]\n" + "".join(f"{k} = {v}\n" for k, v in TEST_RETRY.items())
    path.write_text(
        f'[broker]\nurl = "{amqp_url}"\nconnect_timeout = 5.0\n[logging]\nformat = "json"\n[topology]\n{names}\n'
        f"{retry}{extra}"
    )
    return path


_TOPOLOGY_NAMES = (
    "commands_exchange",
    "commands_queue",
    "events_exchange",
    "dead_letter_exchange",
    "dead_letter_queue",
)


async def run_cli(config: Path, *args: str, timeout: float = 60) -> tuple[int, str, str]:
    """``python -m service --config <config> <args>`` with none of AMQP_URL, REDIS_URL, PAYMENT_SESSIONS_CONFIG set."""
    env = {k: v for k, v in os.environ.items() if k not in ("AMQP_URL", "REDIS_URL", "PAYMENT_SESSIONS_CONFIG")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service", "--config", str(config), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until ``condition()`` holds (polling), or fail: for effects that follow an event by a moment."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
