"""session.expired (service/expiry.py) on the delivery core without a broker: fakes of our ports, the real memory
store, a clock the test moves. The broker's part (TTL tiers dead-lettering back) is in
tests/integration/test_session_expiry.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.codec import decode_event
from contracts.commands import CreatePrimerSession, UpdatePrimerSession
from contracts.events import PrimerSession, SessionExpired
from service.expiry import ExpiryWatch, tier_for
from service.handlers import SessionHandlers
from service.messaging import pointers as pointer_wire
from service.messaging.delivery import Delivery
from service.messaging.disposition import Disposition
from service.messaging.pipeline import Pipeline
from service.messaging.pointers import Pointer
from service.messaging.topology import EXPIRY_ROUTING_KEY
from service.tenancy import Tenancy
from tests.unit.fakes import NOW, FakePublisher, FakeSettlement, MovingClock, OutageStore, unit_settings

TIERS = (1.0, 10.0, 100.0, 1000.0, 10000.0)


class ExpiringPrimer:
    """Sessions living ``lifetime`` from the clock's now; the id stays the same across updates."""

    def __init__(self, clock: MovingClock, lifetime: timedelta) -> None:
        self.clock, self.lifetime = clock, lifetime

    async def create(self, command: CreatePrimerSession) -> PrimerSession:
        return PrimerSession(id="tok-1", client_token="tok-1", expires_at=self.clock.now() + self.lifetime)

    async def update(self, command: UpdatePrimerSession) -> PrimerSession:
        return await self.create(command)  # type: ignore[arg-type]


class World:
    def __init__(self, lifetime: timedelta = timedelta(minutes=10)) -> None:
        self.clock = MovingClock()
        self.settings = unit_settings()
        self.store = OutageStore()
        self.publisher = FakePublisher()
        providers = {(account, "primer"): ExpiringPrimer(self.clock, lifetime) for account in self.settings.accounts}
        handlers = SessionHandlers(providers, self.clock, self.settings)  # type: ignore[arg-type]
        tenancy = Tenancy(self.settings.accounts, self.settings.commands.reply_to_pattern)
        self.pipeline = Pipeline(handlers, self.store, tenancy, self.settings,
                                 expiry=ExpiryWatch(self.store, self.clock, self.settings))  # fmt: skip
        self.disposition = Disposition(self.publisher, self.settings)

    async def deliver(self, delivery: Delivery) -> str:
        processed = await self.pipeline.process(delivery)
        return await self.disposition.settle(delivery, processed.outcome, FakeSettlement())

    def pointers(self) -> list[tuple[str, Pointer]]:
        return [(w.target, pointer) for w in self.publisher.writes if w.kind == "schedule" and ".expiry." in w.target
                for pointer in pointer_wire.decode(w.body)]  # fmt: skip

    async def hop(self) -> str:
        """The newest pointer comes back from its tier (its TTL has run out) and is delivered."""
        queue, pointer = self.pointers()[-1]
        self.clock.at += timedelta(seconds=float(queue.rsplit(".", 1)[1].removesuffix("s")))
        return await self.deliver(_delivery(msgspec.json.encode(pointer), EXPIRY_ROUTING_KEY))


def _delivery(body: bytes, routing_key: str) -> Delivery:
    return Delivery(body=body, routing_key=routing_key, exchange="commands", content_type="application/json")


def _command(command_id: str, **fields: Any) -> bytes:
    return msgspec.json.encode({"command_id": command_id, "provider": "primer", "amount": 100, "currency": "EUR",
                                **fields})  # fmt: skip


@pytest.mark.parametrize(
    ("remaining", "tier"),
    [(-1, None), (0, None), (0.2, 1.0), (1, 1.0), (9.9, 1.0), (10, 10.0), (599, 100.0), (86400, 10000.0)],
)
def test_the_largest_tier_that_fits(remaining: float, tier: float | None) -> None:
    assert tier_for(remaining, TIERS) == tier


@given(st.floats(min_value=0.001, max_value=7 * 86400))
def test_hops_never_overshoot_by_more_than_the_smallest_tier(remaining: float) -> None:
    hops, left = 0, remaining
    while (tier := tier_for(left, TIERS)) is not None:
        left -= tier
        hops += 1
    assert -TIERS[0] < left <= 0 and hops <= 9 * len(TIERS) + remaining // TIERS[-1]


async def test_a_created_session_expires_once_its_time_has_come() -> None:
    world = World(lifetime=timedelta(minutes=10))
    assert await world.deliver(_delivery(_command("c-1", order_id="o-1"), "session.create")) == "session.created"
    labels = []
    while not world.publisher.events()[1:]:
        labels.append(await world.hop())
    assert labels == ["expiry_in_100s"] * 5 + ["session.expired"]  # 600 s: 100 s hops, then the event
    _, expired = world.publisher.events()
    assert isinstance(expired, SessionExpired)
    assert (expired.session_id, expired.expires_at) == ("tok-1", NOW + timedelta(minutes=10))
    assert (expired.command_id, expired.order_id, expired.amount, expired.currency) == ("c-1", "o-1", 100, "EUR")
    assert world.clock.now() - expired.expires_at < timedelta(seconds=TIERS[0])
    again = await world.deliver(_delivery(world.publisher.writes[-2].body, EXPIRY_ROUTING_KEY))  # a copy
    assert again == "session.expired" and decode_event(world.publisher.writes[-1].body).event_id == expired.event_id


async def test_a_later_update_supersedes_the_earlier_expiry() -> None:
    world = World(lifetime=timedelta(minutes=10))
    await world.deliver(_delivery(_command("c-1"), "session.create"))
    _, first = world.pointers()[0]
    world.clock.at += timedelta(minutes=4)
    body = msgspec.json.encode({"command_id": "u-1", "provider": "primer", "session_id": "tok-1", "amount": 150})
    assert await world.deliver(_delivery(body, "session.update")) == "session.updated"
    world.clock.at = first.expires_at
    superseded = await world.deliver(_delivery(msgspec.json.encode(first), EXPIRY_ROUTING_KEY))
    assert superseded == "expiry_superseded" and len(world.publisher.events()) == 2
    while len(world.publisher.events()) == 2:
        await world.hop()
    expired = world.publisher.events()[-1]
    assert isinstance(expired, SessionExpired) and expired.command_id == "u-1" and expired.amount == 150


async def test_a_replayed_create_does_not_bring_back_the_superseded_expiry() -> None:
    world = World()
    create = _delivery(_command("c-1"), "session.create")
    await world.deliver(create)
    world.clock.at += timedelta(minutes=1)
    body = msgspec.json.encode({"command_id": "u-1", "provider": "primer", "session_id": "tok-1"})
    await world.deliver(_delivery(body, "session.update"))
    assert await world.deliver(create) == "duplicate"  # the stored created event, noted earlier than the update
    _, first = world.pointers()[0]
    world.clock.at = first.expires_at
    assert await world.deliver(_delivery(msgspec.json.encode(first), EXPIRY_ROUTING_KEY)) == "expiry_superseded"


async def test_an_unreadable_pointer_is_dead_lettered_and_the_store_down_parks_it() -> None:
    world = World()
    assert await world.deliver(_delivery(b"{not json", EXPIRY_ROUTING_KEY)) == "dead_letter"
    await world.deliver(_delivery(_command("c-1"), "session.create"))
    _, pointer = world.pointers()[0]
    world.clock.at = pointer.expires_at
    world.store.down = True
    processed = await world.pipeline.process(_delivery(msgspec.json.encode(pointer), EXPIRY_ROUTING_KEY))
    assert processed.store_unavailable and processed.outcome.label == "parked"


async def test_a_forged_pointer_only_finds_what_the_service_made() -> None:
    world = World()
    forged = Pointer(key="0" * 64, expires_at=NOW, noted_at=1)
    assert await world.deliver(_delivery(msgspec.json.encode(forged), EXPIRY_ROUTING_KEY)) == "expiry_forgotten"
    assert world.publisher.events() == []
