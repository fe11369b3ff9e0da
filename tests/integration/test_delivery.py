"""Acks follow confirmed events; properties and headers of events; reply_to."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aio_pika

from contracts.codec import decode_event
from contracts.events import SessionCreated
from tests.harness import Harness, eventually

PRIMER_KEY = "sim-primer-key-delivery"


def _accounts(harness: Harness) -> dict[str, Any]:
    return {"default": {"primer": {"base_url": harness.simulator_url, "api_key": PRIMER_KEY}}}


def _create(command_id: str, **fields: Any) -> dict[str, Any]:
    return {"command_id": command_id, "provider": "primer", "amount": 1000, "currency": "GBP", **fields}


async def test_event_properties_and_cloudevents_headers(harness: Harness, command_id: str) -> None:
    service = await harness.start(_accounts(harness))
    event = await service.send("session.create", _create(command_id, correlation_id="corr-7", order_id="o-7"))
    assert isinstance(event, SessionCreated)
    message = harness.tap_for(service.topology).messages[-1]
    assert message.message_id == event.event_id and message.correlation_id == "corr-7"
    assert message.type == "session.created" and message.content_type == "application/json"
    assert message.app_id == "payment-sessions" and message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert message.timestamp is not None and message.routing_key == "session.created"
    headers = message.headers
    assert headers["cloudEvents_specversion"] == "1.0" and headers["cloudEvents_id"] == event.event_id
    assert headers["cloudEvents_type"] == "session.created" and headers["cloudEvents_source"]
    assert headers["cloudEvents_time"] == event.occurred_at.isoformat()


async def test_redelivered_command_yields_the_same_event_id(harness: Harness, command_id: str) -> None:
    service = await harness.start(_accounts(harness))
    await service.send("session.create", _create(command_id, amount=40000))
    await service.publish("session.create", _create(command_id, amount=40000))
    first, second = await harness.tap_for(service.topology).wait_for(command_id, 2)
    assert first.event_id == second.event_id


async def test_reply_to_gets_the_event_too(harness: Harness, command_id: str) -> None:
    service = await harness.start(_accounts(harness))
    channel = await harness.channel()
    replies = await channel.declare_queue(exclusive=True, auto_delete=True)
    await service.publish("session.create", _create(command_id), reply_to=replies.name, correlation_id=command_id)
    async with replies.iterator(timeout=20) as messages:
        async for message in messages:
            await message.ack()
            assert decode_event(message.body).command_id == command_id
            assert message.correlation_id == command_id
            break


async def test_reply_to_naming_a_shared_queue_writes_nothing_into_it(harness: Harness, command_id: str) -> None:
    """S10: a command cannot make the service write into any queue it names; only private reply queues
    (``[commands] reply_to_pattern``) get the event. The event still goes to the events exchange."""
    service = await harness.start(_accounts(harness))
    channel = await harness.channel()
    shared = await channel.declare_queue(f"test.{uuid.uuid4().hex[:12]}.orders", auto_delete=True)
    event = await service.send("session.create", _create(command_id), reply_to=shared.name)
    assert isinstance(event, SessionCreated)
    acked = service.service.metrics.commands.labels("session.create", "primer", "session.created")
    await eventually(lambda: acked._value.get() == 1)  # settled: every write for it is confirmed by now
    assert await shared.get(fail=False, no_ack=True) is None
    await shared.delete(if_unused=False, if_empty=False)  # never consumed, so auto_delete would not remove it
    assert any(r.get("event", "").startswith("reply_to not allowed") for r in harness.log_records())


async def test_unroutable_event_is_never_acked(harness: Harness, command_id: str) -> None:
    """No queue bound to the events exchange: the command stays unacked until one is bound."""
    service = await harness.start(_accounts(harness), tap=False)
    await service.publish("session.create", _create(command_id))
    requeued = service.service.metrics.commands.labels("session.create", "primer", "requeued")
    await eventually(lambda: requeued._value.get() >= 2)
    tap = await harness.tap(service.topology)
    (event,) = await tap.wait_for(command_id)
    assert isinstance(event, SessionCreated)
    delivered = service.service.metrics.commands.labels("session.create", "primer", "duplicate")
    await eventually(
        lambda: delivered._value.get() == 1
    )  # the ack (and its count) follows the event  # the stored outcome, republished on redelivery
    assert [c.operation for c in harness.simulator.calls] == ["create"]  # the provider was called once


async def test_unroutable_forever_reaches_the_dead_letter_queue(harness: Harness, command_id: str) -> None:
    """With nobody ever listening, the broker's delivery limit dead-letters the command: never lost."""
    service = await harness.start(_accounts(harness), tap=False, broker={"delivery_limit": 2})
    await service.publish("session.create", _create(command_id), message_id=command_id)
    (dead,) = await service.dead_letters(1, timeout=30)
    assert dead.message_id == command_id
    assert dead.headers["x-death"][0]["reason"] in ("delivery_limit", "rejected", "expired")


async def test_many_concurrent_commands(harness: Harness) -> None:
    service = await harness.start(_accounts(harness))
    ids = [f"cmd-{uuid.uuid4()}" for _ in range(200)]
    await asyncio.gather(*(service.publish("session.create", _create(i)) for i in ids))
    tap = harness.tap_for(service.topology)
    await asyncio.gather(*(tap.wait_for(i) for i in ids))
    assert all(isinstance(tap.events[i][0], SessionCreated) for i in ids)
