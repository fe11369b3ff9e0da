"""The bench's side of the broker: its uuid-named topology (the service's own declaration, so the peer consumes
from the very same kind of queue), publishing commands with confirms, the event tap, and removing it all.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage
from yarl import URL

from contracts.names import CommandType, Topology
from service.messaging.topology import declare, expiry_queue, retry_delays, retry_queue
from service.settings import Broker, Expiry, Retry

PUBLISH_WINDOW = 1000  # confirms outstanding while a backlog is published


@dataclass(frozen=True)
class Names:
    """Everything the bench may create on the broker, all under one uuid prefix."""

    prefix: str
    topology: Topology
    tap_queue: str

    @classmethod
    def fresh(cls) -> Names:
        prefix = f"bench.{uuid.uuid4().hex[:12]}"
        topology = Topology(
            commands_exchange=f"{prefix}.commands",
            commands_queue=f"{prefix}.commands",
            events_exchange=f"{prefix}.events",
            dead_letter_exchange=f"{prefix}.dead-letter",
            dead_letter_queue=f"{prefix}.dead-letter",
        )
        return cls(prefix, topology, f"{prefix}.tap")

    def retry_queues(self) -> list[str]:
        """The service declares one per delay and command type at start."""
        return [retry_queue(self.topology, kind, delay) for delay in retry_delays(Retry()) for kind in CommandType]

    def expiry_queues(self) -> list[str]:
        """The service's expiry tiers (declared by the service itself at start; service.expiry)."""
        return [expiry_queue(self.topology, tier) for tier in Expiry().tiers]

    def queues(self) -> list[str]:
        return [self.topology.commands_queue, self.topology.dead_letter_queue, self.tap_queue, *self.retry_queues(),
                *self.expiry_queues()]  # fmt: skip

    def exchanges(self) -> list[str]:
        t = self.topology
        return [t.commands_exchange, t.events_exchange, t.dead_letter_exchange]


def command(command_id: str, index: int) -> aio_pika.Message:
    """A valid Primer ``session.create``; ``order_id`` is the command id so the stand-in can time it per command."""
    body = {
        "command_id": command_id,
        "provider": "primer",
        "order_id": command_id,
        "amount": 1000 + index % 100,
        "currency": "EUR",
    }
    return aio_pika.Message(
        json.dumps(body).encode(),
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=command_id,
        correlation_id=command_id,  # events carry it back as their correlation_id: no body to decode in the tap
    )


async def declare_topology(channel: AbstractChannel, names: Names) -> None:
    await declare(channel, names.topology, delivery_limit=Broker().delivery_limit)


async def depth(channel: AbstractChannel, queue: str) -> int:
    declared = await channel.declare_queue(queue, passive=True)
    return declared.declaration_result.message_count or 0


def command_ids(count: int) -> list[str]:
    return [f"bench-{uuid.uuid4()}" for _ in range(count)]


async def publish_backlog(channel: AbstractChannel, names: Names, ids: list[str]) -> None:
    """Every command confirmed, before any consumer runs."""
    exchange = await channel.get_exchange(names.topology.commands_exchange)
    window = asyncio.Semaphore(PUBLISH_WINDOW)

    async def one(index: int, command_id: str) -> None:
        async with window:
            await exchange.publish(command(command_id, index), CommandType.CREATE.value)

    await asyncio.gather(*(one(index, command_id) for index, command_id in enumerate(ids)))
    queued = await depth(channel, names.topology.commands_queue)
    if queued != len(ids):
        raise RuntimeError(f"{queued} commands queued, {len(ids)} published")


async def publish_paced(channel: AbstractChannel, names: Names, ids: list[str], rate: float) -> dict[str, float]:
    """One command every 1/``rate`` s (publishes do not wait for each other's confirms); their send times."""
    exchange = await channel.get_exchange(names.topology.commands_exchange)
    sent: dict[str, float] = {}
    tasks = []
    started = time.perf_counter()
    for index, command_id in enumerate(ids):
        await asyncio.sleep(max(0.0, started + index / rate - time.perf_counter()))
        sent[command_id] = time.perf_counter()
        tasks.append(asyncio.create_task(exchange.publish(command(command_id, index), CommandType.CREATE.value)))
    await asyncio.gather(*tasks)
    return sent


@dataclass
class Expectation:
    """The events of one run: only those of its own commands count."""

    ids: frozenset[str]
    sample_every: int
    sample: Callable[[], float]  # the consumer's CPU seconds
    arrivals: dict[str, float] = field(default_factory=dict)  # command id (the event's correlation_id) -> time
    types: dict[str, int] = field(default_factory=dict)
    samples: list[tuple[int, float, float]] = field(default_factory=list)  # (events so far, time, CPU s)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def count(self) -> int:
        return len(self.ids)


class Tap:
    """An exclusive queue bound to every event (so ``mandatory`` publishes are routable), no ack."""

    def __init__(self) -> None:
        self._expected: Expectation | None = None
        # Events that came before their run's expectation was set (a second replica still starting while the
        # first already consumes): counted once the expectation is set, not lost.
        self._early: dict[str, tuple[float, str]] = {}
        self.lost = asyncio.Event()  # the bench's connection closed: no event can arrive any more

    async def start(self, channel: AbstractChannel, names: Names) -> None:
        channel.close_callbacks.add(lambda *_: self.lost.set())
        queue = await channel.declare_queue(names.tap_queue, exclusive=True, auto_delete=True)
        await queue.bind(names.topology.events_exchange, "session.#")
        await queue.consume(self._on_event, no_ack=True)

    def expect(self, ids: list[str], sample: Callable[[], float], sample_every: int = 250) -> Expectation:
        expected = Expectation(frozenset(ids), sample_every, sample)
        early, self._early = self._early, {}
        self._expected = expected
        for command_id, (arrived, event_type) in sorted(early.items(), key=lambda item: item[1][0]):
            if command_id in expected.ids:
                self._arrived(expected, command_id, arrived, event_type)
        return expected

    async def _on_event(self, message: AbstractIncomingMessage) -> None:
        expected = self._expected
        command_id = message.correlation_id or ""
        if expected is None or command_id not in expected.ids:
            if len(self._early) < 1_000_000:
                self._early[command_id] = (time.perf_counter(), message.type or "?")
            return
        self._arrived(expected, command_id, time.perf_counter(), message.type or "?")

    @staticmethod
    def _arrived(expected: Expectation, command_id: str, now: float, event_type: str) -> None:
        if command_id in expected.arrivals:  # a command answered twice (republished after a redelivery)
            expected.types["duplicate"] = expected.types.get("duplicate", 0) + 1
            return
        expected.arrivals[command_id] = now
        expected.types[event_type] = expected.types.get(event_type, 0) + 1
        seen = len(expected.arrivals)
        if seen == 1 or seen % expected.sample_every == 0 or seen == expected.count:
            expected.samples.append((seen, now, expected.sample()))
        if seen >= expected.count:
            expected.done.set()


async def purge(connection: AbstractConnection, names: Names) -> None:
    """Empty the retry queues, then the commands and dead-letter queues: what a failed run left is not the next
    run's to process."""
    for queue in [*names.retry_queues(), *names.expiry_queues(), names.topology.commands_queue,
                  names.topology.dead_letter_queue]:  # fmt: skip
        channel = await connection.channel()  # a purge of a queue never declared closes its channel
        try:
            await (await channel.get_queue(queue)).purge()
        except aio_pika.exceptions.AMQPError:
            continue
        await channel.close()


async def remove(connection: AbstractConnection, names: Names) -> None:
    """Delete every queue and exchange the bench (or a service it ran) declared; missing ones are fine."""
    for queue in names.queues():
        channel = await connection.channel()  # a failed delete closes its channel
        try:
            await channel.queue_delete(queue)
        except aio_pika.exceptions.AMQPError:
            continue
        await channel.close()
    channel = await connection.channel()
    for exchange in names.exchanges():
        await channel.exchange_delete(exchange)
    await channel.close()


def leftovers(prefix: str) -> list[str] | None:
    """Queues and exchanges under ``prefix`` that the broker still has (``rabbitmqctl``; None where it is absent)."""
    rabbitmqctl = shutil.which("rabbitmqctl")
    if rabbitmqctl is None:
        return None
    found = []
    for kind in ("list_queues", "list_exchanges"):
        listing = subprocess.run([rabbitmqctl, "-q", kind, "name"], capture_output=True, text=True, check=False)
        if listing.returncode != 0:
            return None
        found += [f"{kind[5:-1]} {name}" for name in listing.stdout.split() if name.startswith(prefix + ".")]
    return found


def local_broker_pid(amqp_url: str) -> int | None:
    """The Erlang VM of the broker at ``amqp_url`` when it runs on this machine (``rabbitmqctl``), else None."""
    rabbitmqctl = shutil.which("rabbitmqctl")
    if rabbitmqctl is None or URL(amqp_url).host not in ("127.0.0.1", "localhost"):
        return None
    answer = subprocess.run([rabbitmqctl, "eval", "os:getpid()."], capture_output=True, text=True, check=False)
    pid = answer.stdout.strip().strip('"')
    return int(pid) if answer.returncode == 0 and pid.isdigit() and Path(f"/proc/{pid}").exists() else None
