"""The ledger: what was sent, what came out, what the provider saw, and the check that nothing was lost.

- A publisher sends commands with publisher confirms and records each command_id as confirmed, refused (nack
  or returned) or unknown (the connection dropped before the confirm). An unknown command is sent again once
  the broker is back, as any at-least-once publisher would: the copy is a duplicate the service must absorb.
- A consumer bound like an analytics service (its own durable queue on the events exchange, ``session.#``)
  records every event delivered: event_id, command_id, type.
- The simulator records every provider call with its idempotency key (``SimulatorState.calls``).
- ``check()`` drains, then asserts: lost = 0, unexpected = 0, duplicate effects = 0, at most one successful
  provider create per command where the provider honours idempotency keys, every queue empty but the
  dead-letter queue (exactly the poison sent), every replica running and ready with its connection, its two
  channels and its consumer back, every log line one JSON record. It returns the counts (``LedgerReport``),
  prints them on one line and appends them to ``.bench/fault-ledger.jsonl``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import aiormq
import msgspec
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange, AbstractIncomingMessage

from contracts.names import Topology
from service.providers.base import idempotency_key
from service.simulator.state import Call, SimulatorState
from tests.faults.broker import BrokerControl
from tests.faults.processes import Replicas, metric
from tests.harness import connect_any

REPO = Path(__file__).resolve().parents[2]
FIGURES = REPO / ".bench" / "fault-ledger.jsonl"
# Providers whose calls carry an idempotency key the ledger can trace to a command: at most one session per
# command there. Worldline always sends X-GCS-Idempotence-Key (a repeat gets the first response). Primer joins
# as soon as its calls carry X-Idempotency-Key (service/providers/primer/adapter.py sends it now); Primer
# refuses a reused key with 409 instead of replaying, and the adapter then creates under a derived key: those
# creates are counted apart (``rotated_creates``) and allowed only where a test crashes replicas.
KEYED_PROVIDERS = frozenset({"worldline"})
CONNECT_ERRORS = (ConnectionError, OSError, RuntimeError, TimeoutError, aiormq.exceptions.AMQPError)


@dataclass
class EventRecord:
    event_id: str
    command_id: str
    type: str
    error_code: str | None
    error_field: str | None
    retryable: bool | None
    attempts: int | None
    body: bytes = field(repr=False)
    headers: dict[str, Any] = field(repr=False)
    redelivered: bool = False

    @property
    def is_conflict_refusal(self) -> bool:
        """The answer to a reused command_id with another payload: not an outcome of the command."""
        return self.error_code == "conflict" and self.error_field == "command_id"


@dataclass
class LedgerReport:
    test: str
    sent: int = 0
    confirmed: int = 0
    refused: int = 0
    unknown: int = 0  # publishes whose confirm never came (connection dropped); all were sent again
    faults: int = 0
    events: int = 0  # deliveries to the analytics queue
    distinct_events: int = 0
    duplicated_events: int = 0  # the same event_id delivered again (allowed: consumers dedupe on it)
    lost: int = 0
    unexpected: int = 0
    duplicate_effects: int = 0
    conflicts: int = 0
    provider_calls: int = 0
    duplicate_provider_creates: int = 0
    unkeyed_extra_creates: int = 0  # successful creates beyond one per command at providers sending no key
    rotated_creates: int = 0  # Primer sessions made under a fresh key after 409 IdempotencyKeyAlreadyExists
    dead_letters: int = 0
    non_json_log_lines: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"[{self.test}] sent={self.sent} confirmed={self.confirmed} unknown={self.unknown} "
            f"refused={self.refused} faults={self.faults} events={self.events} distinct={self.distinct_events} "
            f"dup_events={self.duplicated_events} lost={self.lost} unexpected={self.unexpected} "
            f"dup_effects={self.duplicate_effects} conflicts={self.conflicts} calls={self.provider_calls} "
            f"dup_creates={self.duplicate_provider_creates} rotated={self.rotated_creates} "
            f"unkeyed_extra={self.unkeyed_extra_creates} "
            f"dead_letters={self.dead_letters} non_json_log_lines={self.non_json_log_lines} {self.seconds:.1f}s"
        )


class Ledger:
    def __init__(
        self, broker: BrokerControl, topology: Topology, simulator: SimulatorState, *, test: str, suffix: str
    ) -> None:
        self.broker = broker
        self.topology = topology
        self.simulator = simulator
        self.test = test
        self.prefix = f"test.{suffix}."
        self.analytics_queue = f"test.{suffix}.analytics"
        self.status: dict[str, str] = {}  # command_id -> confirmed | refused
        self.unknown: Counter[str] = Counter()
        self.sent_bodies: dict[str, list[bytes]] = defaultdict(list)
        self.events: dict[str, list[EventRecord]] = defaultdict(list)
        self.deliveries: list[EventRecord] = []
        self.poison_sent = 0
        self.faults = 0
        self._started = time.monotonic()
        self._changed = asyncio.Condition()
        self._publish_lock = asyncio.Lock()
        self._publisher: tuple[AbstractConnection, AbstractChannel, AbstractExchange] | None = None
        self._events_task: asyncio.Future[None] | None = None

    # --- lifecycle ----------------------------------------------------------------------------------------

    async def bind_events(self) -> None:
        """Declare the analytics queue (durable quorum: events wait there while we reconnect) and consume it.

        Its own reconnect loop rather than aio-pika's robust connection: a robust restore that lands while a
        restarted broker is still recovering its quorum queues fails once and is not tried again."""
        ready = asyncio.Event()
        self._events_task = asyncio.ensure_future(self._consume_events(ready))
        await asyncio.wait_for(ready.wait(), 60)

    async def _consume_events(self, ready: asyncio.Event) -> None:
        while True:
            lost = asyncio.Event()
            try:
                connection = await connect_any(
                    self.broker.url, client_properties={"connection_name": "fault-ledger-events"}
                )
                connection.close_callbacks.add(lambda *_, lost=lost: lost.set())
                async with connection:
                    channel = await connection.channel()
                    channel.close_callbacks.add(lambda *_, lost=lost: lost.set())
                    await channel.set_qos(prefetch_count=500)
                    exchange = await channel.declare_exchange(self.topology.events_exchange, "topic", durable=True)
                    queue = await channel.declare_queue(
                        self.analytics_queue, durable=True, arguments={"x-queue-type": "quorum"}
                    )
                    await queue.bind(exchange, "session.#")
                    await queue.consume(self._on_event)
                    ready.set()
                    await lost.wait()
            except CONNECT_ERRORS:
                pass
            await asyncio.sleep(0.3)

    async def close(self) -> None:
        if self._publisher is not None:
            with contextlib.suppress(*CONNECT_ERRORS):
                await self._publisher[0].close()
        if self._events_task is not None:
            self._events_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, *CONNECT_ERRORS):
                await self._events_task

    # --- the publisher --------------------------------------------------------------------------------------

    async def _exchange(self) -> AbstractExchange:
        async with self._publish_lock:
            if self._publisher is not None and not self._publisher[0].is_closed:
                return self._publisher[2]
            deadline = time.monotonic() + 120
            while True:
                try:
                    connection = await connect_any(
                        self.broker.url, client_properties={"connection_name": "fault-ledger-publisher"}
                    )
                    break
                except CONNECT_ERRORS:
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.3)
            channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
            exchange = await channel.get_exchange(self.topology.commands_exchange, ensure=False)
            self._publisher = (connection, channel, exchange)
            return exchange

    async def send(
        self, routing_key: str, body: dict[str, Any] | bytes, *, command_id: str | None = None, **properties: Any
    ) -> str:
        """Publish until the broker confirms or refuses; returns ``confirmed`` or ``refused``."""
        payload = body if isinstance(body, bytes) else msgspec.json.encode(body)
        command_id = command_id or (body["command_id"] if isinstance(body, dict) else None)
        assert command_id is not None, "give command_id for a raw body"
        properties.setdefault("content_type", "application/json")
        properties.setdefault("delivery_mode", aio_pika.DeliveryMode.PERSISTENT)
        self.sent_bodies[command_id].append(payload)
        while True:
            exchange = await self._exchange()
            used = self._publisher
            try:
                await exchange.publish(aio_pika.Message(payload, **properties), routing_key, mandatory=True, timeout=15)
            except aiormq.exceptions.DeliveryError:  # nacked or returned: the broker did not take it
                # A new channel for the next send: RabbitMQ 3.10 can nack every publish on a channel that first
                # routed to a quorum queue while it had no leader (service.messaging.publisher, _renew).
                await self._drop_publisher(used)
                self.status[command_id] = "refused"
                return "refused"
            except aiormq.exceptions.ChannelNotFoundEntity:  # no such exchange: refused (and the channel gone)
                await self._drop_publisher(used)
                self.status[command_id] = "refused"
                return "refused"
            except (Exception, asyncio.CancelledError) as exc:
                # aiormq fails a publish cut short by the connection closing with a bare ``Exception``, and one cut
                # short by a reset socket (a node killed) by cancelling what awaits its confirm.
                if isinstance(exc, asyncio.CancelledError):
                    task = asyncio.current_task()
                    if task is not None and task.cancelling():
                        raise  # we are being cancelled ourselves
                elif not isinstance(exc, CONNECT_ERRORS) and not self._publisher_lost():
                    raise
                self.unknown[command_id] += 1  # it may or may not be in the queue: send it again
                assert self.unknown[command_id] < 100, f"{command_id}: 100 publishes without a confirm"
                # Only the connection this publish used: with 64 sends in flight, dropping whatever is current
                # would close the fresh connection another send just opened, and they would take turns forever.
                await self._drop_publisher(used)
                continue
            self.status[command_id] = "confirmed"
            return "confirmed"

    def _publisher_lost(self) -> bool:
        return self._publisher is None or self._publisher[0].is_closed or self._publisher[1].is_closed

    async def _drop_publisher(self, used: tuple[AbstractConnection, AbstractChannel, AbstractExchange] | None) -> None:
        async with self._publish_lock:
            if self._publisher is not None and self._publisher is used:
                with contextlib.suppress(*CONNECT_ERRORS):
                    await self._publisher[0].close()
                self._publisher = None

    async def send_all(
        self, commands: list[tuple[str, dict[str, Any]]], *, concurrency: int = 64, per_second: float | None = None
    ) -> None:
        """Publish ``commands`` with up to ``concurrency`` confirms outstanding, at most ``per_second``."""
        gate = asyncio.Semaphore(concurrency)
        started = time.monotonic()

        async def one(index: int, routing_key: str, body: dict[str, Any]) -> None:
            if per_second:
                await asyncio.sleep(max(0.0, started + index / per_second - time.monotonic()))
            async with gate:
                await self.send(routing_key, body)

        await asyncio.gather(*(one(i, rk, body) for i, (rk, body) in enumerate(commands)))

    async def send_poison(self, body: bytes, *, routing_key: str = "session.create", **properties: Any) -> None:
        """A message with no usable command_id (or otherwise unreadable): it must end in the dead-letter queue."""
        properties.setdefault("content_type", "application/json")
        exchange = await self._exchange()
        await exchange.publish(aio_pika.Message(body, **properties), routing_key, mandatory=True, timeout=15)
        self.poison_sent += 1

    # --- the analytics consumer ---------------------------------------------------------------------------

    async def _on_event(self, message: AbstractIncomingMessage) -> None:
        data = json.loads(message.body)
        error = data.get("error") or {}
        record = EventRecord(
            event_id=data["event_id"],
            command_id=data["command_id"],
            type=data["type"],
            error_code=error.get("code"),
            error_field=error.get("field"),
            retryable=error.get("retryable"),
            attempts=data.get("attempts"),
            body=message.body,
            headers=dict(message.headers or {}),
            redelivered=bool(message.redelivered),
        )
        async with self._changed:
            self.events[record.command_id].append(record)
            self.deliveries.append(record)
            self._changed.notify_all()
        with contextlib.suppress(*CONNECT_ERRORS):
            await message.ack()  # a lost ack means a redelivery: the same event_id again, which is allowed

    async def wait_for(self, command_id: str, count: int = 1, timeout: float = 30.0) -> list[EventRecord]:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.events[command_id]) >= count), timeout)
            return list(self.events[command_id])

    async def wait_all(self, command_ids: list[str] | None = None, timeout: float = 60.0) -> None:
        """Every command (default: every confirmed one) has at least one event."""
        ids = command_ids if command_ids is not None else self.confirmed_ids()
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: all(self.events[i] for i in ids)), timeout)
            except TimeoutError:
                missing = [i for i in ids if not self.events[i]]
                raise AssertionError(f"{len(missing)} commands without an event, e.g. {missing[:3]}") from None

    def confirmed_ids(self) -> list[str]:
        return [cid for cid, status in self.status.items() if status == "confirmed"]

    def outcome(self, command_id: str) -> EventRecord:
        """The command's outcome: its first event that is not a conflict refusal."""
        return next(e for e in self.events[command_id] if not e.is_conflict_refusal)

    # --- the provider ---------------------------------------------------------------------------------------

    def _key_owners(self) -> dict[str, str]:
        """Idempotency key -> command_id, for the first key and the fresh ones an adapter may derive."""
        return {idempotency_key(cid, attempt): cid for cid in self.sent_bodies for attempt in range(4)}

    def calls_for(self, command_id: str, provider: str | None = None) -> list[Call]:
        keys = {idempotency_key(command_id, attempt) for attempt in range(4)}
        return [
            call
            for call in self.simulator.calls
            if call.idempotency_key in keys and (provider is None or call.provider == provider)
        ]

    def _provider_creates(self, report: LedgerReport) -> None:
        owners = self._key_owners()
        keyed = set(KEYED_PROVIDERS)
        if any(c.provider == "primer" and c.idempotency_key for c in self.simulator.calls):
            keyed.add("primer")  # the adapter sends keys: hold Primer to the same rule
        sessions: dict[str, set[str]] = defaultdict(set)  # command_id -> keys that made a session
        refused_keys = {c.idempotency_key for c in self.simulator.calls if c.provider == "primer" and c.status == 409}
        unkeyed: Counter[str] = Counter()
        for call in self.simulator.calls:
            if call.operation != "create" or not 200 <= call.status < 300:
                continue
            if call.provider not in keyed:
                unkeyed[call.provider] += 1
                continue
            owner = owners.get(call.idempotency_key or "")
            if owner is None:
                report.problems.append(f"{call.provider} create without a key of any command: {call}")
                report.duplicate_provider_creates += 1
            else:
                sessions[owner].add(call.idempotency_key or "")
        for command_id, keys in sessions.items():
            if len(keys) < 2:
                continue
            if self._provider_of(command_id) == "primer" and len(keys - refused_keys) <= 1:
                # Primer answers a reused key with 409 and cannot look the first session up: the adapter
                # derives the next key and creates the session it reports; the first one is left to expire.
                report.rotated_creates += len(keys) - 1
                report.notes.append(f"rotated: {command_id}: {self._call_trail(command_id)}")
            else:
                report.duplicate_provider_creates += len(keys) - 1
                report.problems.append(f"{command_id}: {len(keys)} provider sessions (keys {sorted(keys)})")
        created = Counter(self._provider_of(cid) for cid in self.events if self._created(cid))
        report.unkeyed_extra_creates = sum(max(0, n - created[p]) for p, n in unkeyed.items())

    def _call_trail(self, command_id: str) -> list[tuple[str, int, str, float]]:
        """(key prefix, status, attempt key index, time) of every call for the command, oldest first."""
        keys = {idempotency_key(command_id, attempt): attempt for attempt in range(4)}
        start = self.simulator.calls[0].at if self.simulator.calls else 0.0
        return [
            (str(c.idempotency_key)[:6], c.status, str(keys[c.idempotency_key]), round(c.at - start, 2))
            for c in self.simulator.calls
            if c.idempotency_key in keys
        ]

    def _created(self, command_id: str) -> bool:
        return any(e.type == "session.created" for e in self.events[command_id])

    def _provider_of(self, command_id: str) -> str:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            return str(json.loads(self.sent_bodies[command_id][0])["provider"])
        return "?"

    # --- the check ----------------------------------------------------------------------------------------

    async def check(
        self,
        replicas: Replicas,
        *,
        dead_letters: int | None = None,
        timeout: float = 90.0,
        allow_unkeyed_extra_creates: bool = True,
        allow_rotated_creates: bool = False,
    ) -> LedgerReport:
        """Drain, count, assert, and record the figures. ``dead_letters`` defaults to the poison sent."""
        expected_dead = self.poison_sent if dead_letters is None else dead_letters
        await self.wait_all(timeout=timeout)
        ready = await self._settled_queues(expected_dead, replicas, timeout)
        report = self.report()
        report.dead_letters = ready.get(self.topology.dead_letter_queue, 0)
        for name, count in ready.items():
            wanted = expected_dead if name == self.topology.dead_letter_queue else 0
            if count != wanted:
                report.problems.append(f"queue {name} holds {count} messages, expected {wanted}")
        await self._check_replicas(replicas, report)
        self.record(report)
        assert report.lost == 0, f"lost commands: {report.summary()} {report.problems}"
        assert report.unexpected == 0, f"events for commands never sent: {report.problems}"
        assert report.duplicate_effects == 0, f"duplicate effects: {report.problems}"
        assert report.duplicate_provider_creates == 0, f"duplicate provider creates: {report.problems}"
        if not allow_unkeyed_extra_creates:
            assert report.unkeyed_extra_creates == 0, report.summary()
        if not allow_rotated_creates:  # only a crash between a Primer create and storing its outcome makes one
            assert report.rotated_creates == 0, f"{report.summary()} {report.notes}"
        assert not report.problems, report.problems
        return report

    def report(self) -> LedgerReport:
        report = LedgerReport(self.test, faults=self.faults, seconds=time.monotonic() - self._started)
        report.sent = len(self.sent_bodies)
        report.confirmed = len(self.confirmed_ids())
        report.refused = sum(1 for s in self.status.values() if s == "refused")
        report.unknown = sum(self.unknown.values())
        report.events = len(self.deliveries)
        report.distinct_events = len({e.event_id for e in self.deliveries})
        report.duplicated_events = report.events - report.distinct_events
        report.provider_calls = len(self.simulator.calls)
        for command_id in self.confirmed_ids():
            if not self.events[command_id]:
                report.lost += 1
                report.problems.append(f"lost: {command_id}")
        for command_id, events in self.events.items():
            if events and command_id not in self.sent_bodies:
                report.unexpected += 1
                report.problems.append(f"unexpected: {command_id}")
            outcomes = [e for e in events if not e.is_conflict_refusal]
            report.conflicts += len({e.event_id for e in events if e.is_conflict_refusal})
            types = {e.type for e in outcomes}
            if len({e.event_id for e in outcomes}) > 1 or {"session.created", "session.failed"} <= types:
                report.duplicate_effects += 1
                summary = sorted({(e.type, e.error_code, e.event_id[:8]) for e in outcomes}, key=str)
                report.problems.append(f"duplicate effect: {command_id}: {summary}")
        self._provider_creates(report)
        return report

    async def _settled_queues(self, expected_dead: int, replicas: Replicas, timeout: float) -> dict[str, int]:
        """Ready messages per queue once nothing is left but the dead letters, nothing is in flight in any
        replica, and that holds on two looks in a row (retries and deferrals take a moment)."""
        # Expiry pointers wait in their tier queues for as long as the sessions live (hours): not work left over.
        names = [name for name in await self.broker.queues(self.prefix) if ".expiry." not in name]
        deadline = time.monotonic() + timeout
        calm = 0
        while True:
            ready = await self.broker.ready(*names)
            in_flight = 0.0
            for replica in replicas.live:
                with contextlib.suppress(OSError, TimeoutError, AssertionError):
                    values = await replicas.metrics(replica)
                    in_flight += metric(values, "payment_sessions_commands_in_flight")
            wanted = {name: expected_dead if name == self.topology.dead_letter_queue else 0 for name in ready}
            calm = calm + 1 if ready == wanted and in_flight == 0 else 0
            if calm >= 2 or time.monotonic() > deadline:
                return ready
            await asyncio.sleep(0.25)

    async def _check_replicas(self, replicas: Replicas, report: LedgerReport) -> None:
        live = replicas.live
        if not live:
            report.problems.append("no replica is running")
            return
        await replicas.wait_ready_again()
        app_id = str(replicas.config["broker"]["app_id"])
        deadline = time.monotonic() + 15
        while True:  # a killed replica's connection is gone at once; a reconnecting one may take a moment
            connections = await self.broker.connections(app_id)
            consumers = await self.broker.consumers(self.topology.commands_queue)
            want = (len(live), [2] * len(live), len(live))
            have = (len(connections), sorted(c["channels"] for c in connections), consumers)
            if have == want or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.25)
        if have != want:
            report.problems.append(f"(connections, channels, consumers) = {have}, expected {want}")
        bad_lines = replicas.non_json_log_lines()  # S2: one JSON record per line, library records included
        report.non_json_log_lines = len(bad_lines)
        if bad_lines:
            report.problems.append(f"{len(bad_lines)} log lines are not one JSON record, e.g. {bad_lines[:2]}")
        failures = [r for r in replicas.log_records() if r.get("event") == "command processing failed"]
        if failures:
            report.problems.append(f"{len(failures)} unexpected exceptions in the pipeline: {failures[:2]}")

    def record(self, report: LedgerReport) -> None:
        print("\n" + report.summary())
        FIGURES.parent.mkdir(exist_ok=True)
        line = {"at": datetime.now(UTC).isoformat(timespec="seconds"), **asdict(report)}
        line["problems"] = line["problems"][:5]
        with FIGURES.open("a") as figures:
            figures.write(json.dumps(line) + "\n")
