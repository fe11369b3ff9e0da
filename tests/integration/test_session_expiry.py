"""session.expired through the broker's own TTL queues (service/expiry.py): a session the service created expires
with its pointer hopping through the tier queues, across a restart of the service, and only the latest update's
expiry counts.

Primer's simulator gives sessions 24 hours; the service's clock is set 24 hours minus a few seconds ahead, so for
the service they expire a few seconds after they are made (the broker's TTLs run on real time)."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import msgspec
import redis.asyncio as redis

from contracts.events import SessionCreated, SessionExpired, SessionUpdated
from service.bootstrap import running_service
from service.settings import Settings
from tests.harness import Harness, eventually

PRIMER_KEY = "sim-primer-key-expiry"
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
TIERS = {"tiers": [1.0, 2.0]}


class AheadClock:
    def __init__(self, remaining: float) -> None:
        self.ahead = timedelta(hours=24) - timedelta(seconds=remaining)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.ahead


def _accounts(harness: Harness) -> dict[str, Any]:
    return {"default": {"primer": {"base_url": harness.simulator_url, "api_key": PRIMER_KEY}}}


def _create(command_id: str) -> dict[str, Any]:
    return {"command_id": command_id, "provider": "primer", "order_id": "o-7", "amount": 1250, "currency": "EUR"}


async def _publish(harness: Harness, settings: Settings, routing_key: str, body: dict[str, Any]) -> None:
    exchange = await (await harness.channel()).get_exchange(settings.topology.commands_exchange)
    message = aio_pika.Message(msgspec.json.encode(body), content_type="application/json")
    await exchange.publish(message, routing_key)


def _outcomes(harness: Harness) -> list[str]:
    return [record["outcome"] for record in harness.log_records() if record.get("event") == "command"]


def _fates(harness: Harness) -> list[str]:
    """What became of each pointer: a lone pointer's line says it as its outcome, a batch's line in ``fates``."""
    records = [r for r in harness.log_records() if r.get("event") == "command"]
    return [fate for r in records for fate in (r.get("fates") or {r["outcome"]: 1})]


async def test_a_session_expires_through_the_tier_queues_across_a_restart(harness: Harness) -> None:
    """With the Redis store, as several replicas run: the memory store forgets its notes with the process, as it
    forgets outcomes (the pointer then finds nothing and is dropped)."""
    await harness.start_simulator(_accounts(harness))
    prefix = f"test-expiry-{uuid.uuid4().hex[:8]}:"
    store = {"backend": "redis", "url": REDIS_URL, "key_prefix": prefix}
    settings = harness.settings(_accounts(harness), expiry=TIERS, idempotency=store)
    tap = await harness.tap(settings.topology)
    clock = AheadClock(remaining=3.0)
    command_id = f"cmd-{uuid.uuid4()}"
    async with running_service(settings, clock=clock):
        await _publish(harness, settings, "session.create", _create(command_id))
        (created,) = await tap.wait_for(command_id)
    assert isinstance(created, SessionCreated) and created.session.expires_at is not None
    await asyncio.sleep(4.0)  # no service: the pointer leaves its tier and waits in the commands queue
    async with running_service(settings, clock=clock):
        _, expired = await tap.wait_for(command_id, count=2, timeout=20)
    assert isinstance(expired, SessionExpired)
    assert (expired.session_id, expired.expires_at) == (created.session.id, created.session.expires_at)
    assert (expired.command_id, expired.order_id, expired.amount, expired.currency) == (command_id, "o-7", 1250, "EUR")
    assert expired.occurred_at >= expired.expires_at
    assert _outcomes(harness)[0] == "session.created" and _outcomes(harness)[-1] == "session.expired"
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def test_the_latest_update_speaks_for_the_session(harness: Harness) -> None:
    """One session.expired, with the latest command's envelope; the create's pointer finds itself superseded."""
    await harness.start_simulator(_accounts(harness))
    settings = harness.settings(_accounts(harness), expiry=TIERS)
    tap = await harness.tap(settings.topology)
    create_id, update_id = f"cmd-{uuid.uuid4()}", f"cmd-{uuid.uuid4()}"
    async with running_service(settings, clock=AheadClock(remaining=3.0)):
        await _publish(harness, settings, "session.create", _create(create_id))
        (created,) = await tap.wait_for(create_id)
        assert isinstance(created, SessionCreated)
        update = {"command_id": update_id, "provider": "primer", "session_id": created.session.id, "amount": 1500}
        await _publish(harness, settings, "session.update", update)
        updated, expired = await tap.wait_for(update_id, count=2, timeout=20)
        assert isinstance(updated, SessionUpdated) and isinstance(expired, SessionExpired)
        # Primer's update says nothing of the expiry: the create's stands, with the update's envelope.
        assert updated.session.expires_at is None
        assert (expired.command_id, expired.amount, expired.expires_at) == (update_id, 1500, created.session.expires_at)
        # the create's own pointer comes back due too, and finds itself superseded: no expiry of its own
        await eventually(lambda: "expiry_superseded" in _fates(harness), timeout=10)
    assert [type(event) for event in tap.events[create_id]] == [SessionCreated]
    pointers = [r for r in harness.log_records() if str(r.get("outcome", "")).startswith("expiry_")]
    assert pointers and all(r.get("session_key") or r.get("pointers") for r in pointers)  # its session, or a count


async def test_many_sessions_expire_each_once_with_their_pointers_batched(harness: Harness) -> None:
    """80 creates at once: their pointers share publishes (group commit, service/messaging/pointers.py) and come
    back as batches, and every session still gets exactly one session.expired, its own."""
    await harness.start_simulator(_accounts(harness))
    settings = harness.settings(_accounts(harness), expiry=TIERS)
    tap = await harness.tap(settings.topology)
    ids = [f"cmd-{uuid.uuid4()}" for _ in range(80)]
    async with running_service(settings, clock=AheadClock(remaining=3.0)):
        await asyncio.gather(*(_publish(harness, settings, "session.create", _create(i)) for i in ids))
        answers = await asyncio.gather(*(tap.wait_for(i, count=2, timeout=30) for i in ids))
        await asyncio.sleep(1.0)  # anything more would come now
    for command_id, (created, expired) in zip(ids, answers, strict=True):
        assert isinstance(created, SessionCreated) and isinstance(expired, SessionExpired)
        assert (expired.command_id, expired.session_id) == (command_id, created.session.id)
        assert [type(event) for event in tap.events[command_id]] == [SessionCreated, SessionExpired]
    batches = [r["pointers"] for r in harness.log_records() if r.get("outcome") == "expiry_batch"]
    assert batches and max(batches) > 1, "no pointer message carried more than one session"
