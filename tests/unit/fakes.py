"""Fakes of our ports (provider, publisher, settlement) and the app assembled from them, as the composition root
does it, for unit tests of the delivery core without a broker (cosmicpython's ``bootstrap_test_app``).

The idempotency store is the real memory store, optionally behind ``OutageStore``; nothing of ours is mocked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec
from pamqp import encode as amqp_encode

from contracts.commands import CreatePrimerSession, UpdatePrimerSession
from contracts.events import Event, PrimerSession
from service.handlers import SessionHandlers
from service.idempotency.memory import MemoryStore
from service.idempotency.records import Claim, Done, StoreUnavailable
from service.messaging.delivery import Delivery
from service.messaging.disposition import Disposition
from service.messaging.outcomes import Processed
from service.messaging.pipeline import Pipeline
from service.messaging.publisher import PublishFailed
from service.providers.base import ProviderError
from service.settings import Settings, settings_from_mapping
from service.tenancy import Tenancy

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


class FixedClock:
    def now(self) -> datetime:
        return NOW


class MovingClock:
    """A clock the test moves: ``clock.at += timedelta(...)``."""

    def __init__(self, start: datetime = NOW) -> None:
        self.at = start

    def now(self) -> datetime:
        return self.at


class FakePrimer:
    """Answers every call with a session, or raises what ``failures`` holds for the command's id."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.failures: dict[str, BaseException] = {}

    async def create(self, command: CreatePrimerSession) -> PrimerSession:
        return self._answer(command.command_id)

    async def update(self, command: UpdatePrimerSession) -> PrimerSession:
        return self._answer(command.command_id)

    def _answer(self, command_id: str) -> PrimerSession:
        self.calls.append(command_id)
        if failure := self.failures.get(command_id):
            raise failure
        token = f"token-{len(self.calls)}"
        return PrimerSession(id=token, client_token=token)


@dataclass
class Write:
    kind: str  # event, schedule, dead_letter
    target: str  # event type, queue or routing key
    body: bytes
    headers: Mapping[str, Any] = field(default_factory=dict)
    properties: Mapping[str, Any] = field(default_factory=dict)


class FakePublisher:
    """Records every confirmed write. Headers must encode with the AMQP library's own encoder, as on the wire;
    ``refuse`` makes every write unconfirmed."""

    def __init__(self) -> None:
        self.writes: list[Write] = []
        self.refuse = False

    def _write(self, write: Write) -> None:
        if self.refuse:
            raise PublishFailed("not confirmed (fake)")
        amqp_encode.field_table(dict(write.headers))
        for name in ("message_id", "correlation_id", "reply_to", "content_type"):
            if (value := write.properties.get(name)) is not None:
                amqp_encode.short_string(value)
        self.writes.append(write)

    async def publish_event(
        self, event: Event, *, correlation_id: str | None, reply_to: str | None, trace: Mapping[str, str] = {}
    ) -> None:
        event_type = type(event).__struct_config__.tag
        properties = {"correlation_id": correlation_id, "reply_to": reply_to}
        self._write(Write("event", str(event_type), msgspec.json.encode(event), dict(trace), properties))

    async def schedule(self, queue: str, body: bytes, headers: Mapping[str, Any], **properties: Any) -> None:
        self._write(Write("schedule", queue, body, headers, properties))

    async def dead_letter(self, body: bytes, routing_key: str, headers: Mapping[str, Any], **properties: Any) -> None:
        self._write(Write("dead_letter", routing_key, body, headers, properties))

    def events(self) -> list[Event]:
        from contracts.codec import decode_event

        return [decode_event(write.body) for write in self.writes if write.kind == "event"]


class FakeSettlement:
    def __init__(self, *, broken: bool = False) -> None:
        self.acks = 0
        self.requeues = 0
        self.broken = broken

    async def ack(self) -> None:
        if self.broken:
            raise ConnectionError("channel closed (fake)")
        self.acks += 1

    async def requeue(self) -> None:
        if self.broken:
            raise ConnectionError("channel closed (fake)")
        self.requeues += 1

    @property
    def settlements(self) -> int:
        return self.acks + self.requeues


class OutageStore(MemoryStore):
    """The memory store, unreachable while ``down``."""

    def __init__(self, retention: float = 3600) -> None:
        super().__init__(retention)
        self.down = False
        self.down_at_finish = False  # the store goes away between the claim and storing the outcome

    def _check(self) -> None:
        if self.down:
            raise StoreUnavailable("fake outage")

    async def claim(
        self, command_id: str, fingerprint: str, token: str, lease: float, previous: str | None = None
    ) -> Claim:
        self._check()
        return await super().claim(command_id, fingerprint, token, lease, previous)

    async def finish(self, command_id: str, token: str, outcome: Done) -> Done | None:
        self._check()
        if self.down_at_finish:
            raise StoreUnavailable("fake outage after the claim")
        return await super().finish(command_id, token, outcome)

    async def ping(self) -> None:
        self._check()

    async def note_session(self, key: str, record: str, noted_at: int, ttl: float) -> None:
        self._check()
        await super().note_session(key, record, noted_at, ttl)

    async def session_note(self, key: str) -> str | None:
        self._check()
        return await super().session_note(key)


def unit_settings(**overrides: Any) -> Settings:
    raw: dict[str, Any] = {
        "broker": {"republish_delay": 0.0},
        "retry": {"delays": [1, 5], "max_attempts": 3, "busy_delay": 1, "store_delay": 5},
        "accounts": {
            "default": {"primer": {"base_url": "http://127.0.0.1:9", "api_key": "k"}},
            "shop": {"publishers": ["shop-orders"], "primer": {"base_url": "http://127.0.0.1:9", "api_key": "k"}},
        },
    }
    for key, value in overrides.items():
        raw.setdefault(key, {}).update(value)
    return settings_from_mapping(raw, {})


@dataclass
class App:
    settings: Settings
    provider: FakePrimer
    store: OutageStore
    publisher: FakePublisher
    pipeline: Pipeline
    disposition: Disposition

    async def deliver(self, delivery: Delivery, settlement: FakeSettlement | None = None) -> tuple[str, Processed]:
        """What the consumer does with one delivery: process, then settle."""
        processed = await self.pipeline.process(delivery)
        label = await self.disposition.settle(delivery, processed.outcome, settlement or FakeSettlement())
        return label, processed


def bootstrap_test_app(**overrides: Any) -> App:
    settings = unit_settings(**overrides)
    provider = FakePrimer()
    providers = {(account, "primer"): provider for account in settings.accounts}
    handlers = SessionHandlers(providers, FixedClock(), settings)
    store = OutageStore()
    publisher = FakePublisher()
    tenancy = Tenancy(settings.accounts, settings.commands.reply_to_pattern)
    pipeline = Pipeline(handlers, store, tenancy, settings)
    return App(settings, provider, store, publisher, pipeline, Disposition(publisher, settings))


def provider_down(code: str = "provider_unavailable") -> ProviderError:
    from contracts.names import ErrorCode

    return ProviderError(ErrorCode(code), "fake outage", retryable=True, provider_status=503)
