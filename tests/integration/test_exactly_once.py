"""Exactly one outcome per command under duplicates, retries, conflicts and a failing provider."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from prometheus_client import generate_latest

from contracts.events import SessionCreated, SessionFailed
from service.providers.base import idempotency_key
from tests.harness import TEST_RETRY, Harness, eventually
from tests.tcp_switch import TcpSwitch

PRIMER_KEY = "sim-primer-key-once"
REDIS_URL = "redis://127.0.0.1:6379/0"


def _accounts(harness: Harness) -> dict[str, Any]:
    return {"default": {"primer": {"base_url": harness.simulator_url, "api_key": PRIMER_KEY}}}


def _create(command_id: str, amount: int = 1000) -> dict[str, Any]:
    return {"command_id": command_id, "provider": "primer", "amount": amount, "currency": "EUR"}


def _creates(harness: Harness) -> list[Any]:
    assert harness.simulator is not None
    return [call for call in harness.simulator.calls if call.provider == "primer"]


async def _outage(harness: Harness, count: int, status: int = 503) -> None:
    fault = {"path_prefix": "/client-session", "provider": "primer", "status": status, "count": count}
    async with aiohttp.ClientSession() as client:
        await client.post(f"{harness.simulator_url}/_simulator/faults", json=fault)


async def test_a_duplicate_republishes_the_stored_event_without_a_call(harness: Harness, command_id: str) -> None:
    service = await harness.start(_accounts(harness))
    for _ in range(3):
        await service.publish("session.create", _create(command_id))
    events = await harness.tap_for(service.topology).wait_for(command_id, 3)
    assert len({event.event_id for event in events}) == 1
    assert all(isinstance(event, SessionCreated) for event in events)
    assert len(_creates(harness)) == 1


async def test_a_duplicate_while_in_progress_waits_and_never_calls_twice(harness: Harness, command_id: str) -> None:
    service = await harness.start(_accounts(harness))
    assert harness.simulator is not None
    harness.simulator.latency_ms = 600
    await asyncio.gather(*(service.publish("session.create", _create(command_id)) for _ in range(3)))
    events = await harness.tap_for(service.topology).wait_for(command_id, 3)
    assert len({event.event_id for event in events}) == 1
    assert len(_creates(harness)) == 1


async def test_same_id_other_payload_is_a_conflict_and_the_first_outcome_stands(
    harness: Harness, command_id: str
) -> None:
    service = await harness.start(_accounts(harness))
    first = await service.send("session.create", _create(command_id))
    await service.publish("session.create", _create(command_id, amount=999))
    await service.publish("session.create", _create(command_id))
    first_again, conflict, replay = await harness.tap_for(service.topology).wait_for(command_id, 3)
    assert first_again == first
    assert isinstance(conflict, SessionFailed) and conflict.error.code == "conflict"
    assert conflict.error.field == "command_id" and not conflict.error.retryable
    assert conflict.event_id != first.event_id
    assert replay.event_id == first.event_id
    assert len(_creates(harness)) == 1


async def test_transient_outage_is_retried_with_the_same_key(harness: Harness, command_id: str) -> None:
    service = await harness.start(_accounts(harness))
    await _outage(harness, count=2)
    event = await service.send("session.create", _create(command_id))
    assert isinstance(event, SessionCreated), event
    calls = _creates(harness)
    assert [call.status for call in calls] == [503, 503, 200]
    assert {call.idempotency_key for call in calls} == {idempotency_key(command_id)}


async def test_a_provider_failing_forever_ends_in_one_retryable_failure(harness: Harness, command_id: str) -> None:
    """R10: bounded retries with backoff, then exactly one session.failed (retryable) with the attempt count."""
    service = await harness.start(_accounts(harness))
    await service.publish("session.create", _create(command_id, amount=50000))
    (event,) = await harness.tap_for(service.topology).wait_for(command_id)
    assert isinstance(event, SessionFailed)
    assert event.error.retryable and event.error.code == "provider_unavailable"
    assert event.attempts == TEST_RETRY["max_attempts"] == len(_creates(harness))
    records = [r for r in harness.log_records() if r.get("event") == "command" and r.get("command_id") == command_id]
    assert [r["outcome"] for r in records] == ["retry_in_0.2s", "retry_in_0.4s", "session.failed"]
    await asyncio.sleep(1.0)  # nothing else happens afterwards: no endless loop
    assert len(harness.tap_for(service.topology).events[command_id]) == 1


async def test_expired_command_is_refused(harness: Harness, command_id: str) -> None:
    service = await harness.start(_accounts(harness), commands={"max_age": 3600})
    issued = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    event = await service.send("session.create", {**_create(command_id), "issued_at": issued})
    assert isinstance(event, SessionFailed) and event.error.code == "expired" and event.error.field == "issued_at"
    assert _creates(harness) == []


async def test_primer_key_already_used_is_resolved_with_a_fresh_key(harness: Harness, command_id: str) -> None:
    """R13: the first attempt created a session we never learnt about; the command still succeeds."""
    service = await harness.start(_accounts(harness))
    assert harness.simulator is not None
    harness.simulator.idempotency[f"primer:{idempotency_key(command_id)}"] = True
    event = await service.send("session.create", _create(command_id))
    assert isinstance(event, SessionCreated), event
    calls = _creates(harness)
    assert [call.status for call in calls] == [409, 200]
    assert calls[1].idempotency_key == idempotency_key(command_id, 1)


async def test_open_circuit_skips_the_provider_then_a_probe_closes_it(harness: Harness) -> None:
    service = await harness.start(
        _accounts(harness), breaker={"failure_threshold": 2, "cooldown": 1.0}, retry={"max_attempts": 1}
    )
    for index in range(2):
        failed = await service.send("session.create", _create(f"cmd-fail-{index}-{uuid.uuid4()}", amount=50000))
        assert isinstance(failed, SessionFailed)
    skipped = await service.send("session.create", _create(f"cmd-skip-{uuid.uuid4()}"))
    assert isinstance(skipped, SessionFailed) and "circuit is open" in skipped.error.message
    assert skipped.error.retryable
    assert len(_creates(harness)) == 2  # the third command never reached the provider
    scraped = generate_latest(service.service.metrics.registry).decode()
    assert 'payment_sessions_circuit_state{account="default",provider="primer"} 2.0' in scraped
    await asyncio.sleep(1.0)
    probe = await service.send("session.create", _create(f"cmd-probe-{uuid.uuid4()}"))
    assert isinstance(probe, SessionCreated)
    after = await service.send("session.create", _create(f"cmd-after-{uuid.uuid4()}"))
    assert isinstance(after, SessionCreated)


async def test_two_replicas_share_the_redis_store(harness: Harness, command_id: str) -> None:
    """R3 across replicas: the same command to two consumers at once gives one call and one event id."""
    shared = {"idempotency": {"backend": "redis", "url": REDIS_URL, "key_prefix": f"test-{uuid.uuid4().hex}:"}}
    first = await harness.start(_accounts(harness), **shared)
    topology = {name: getattr(first.topology, name) for name in first.topology.__struct_fields__}
    await harness.start(_accounts(harness), tap=False, topology=topology, **shared)
    assert harness.simulator is not None
    harness.simulator.latency_ms = 400
    await asyncio.gather(*(first.publish("session.create", _create(command_id)) for _ in range(4)))
    events = await harness.tap_for(first.topology).wait_for(command_id, 4)
    assert len({event.event_id for event in events}) == 1
    assert len(_creates(harness)) == 1


async def test_an_unreachable_store_parks_the_command_pauses_consuming_and_never_dead_letters(
    harness: Harness, command_id: str
) -> None:
    down = {"idempotency": {"backend": "redis", "url": "redis://127.0.0.1:1/0", "probe_interval": 0.2}}
    service = await harness.start(_accounts(harness), **down)
    await service.publish("session.create", _create(command_id))
    parked = service.service.metrics.commands.labels("session.create", "primer", "parked")
    await eventually(lambda: parked._value.get() >= 1)
    assert not service.service.ready() and not service.service.consumer.consuming  # waits, says not ready
    assert _creates(harness) == []  # no provider call without a claim
    requeued = service.service.metrics.commands.labels("session.create", "primer", "requeued")
    assert requeued._value.get() == 0  # parked through a retry queue: no delivery counted against the limit
    channel = await harness.channel()
    dead = await channel.declare_queue(service.topology.dead_letter_queue, passive=True)
    assert dead.declaration_result.message_count == 0


async def test_a_full_prefetch_of_commands_never_runs_the_redis_pool_dry(harness: Harness) -> None:
    """Every delivery in flight may talk to the store at once: the pool is sized to the prefetch and waits for a
    free connection, never mistaking its own limit for an outage (it used to park commands at prefetch 256)."""
    slow = TcpSwitch(delay=0.1)  # every store call takes 100 ms: a full prefetch needs a connection each
    await slow.on()
    try:
        prefix = f"test-{uuid.uuid4().hex}:"
        store = {"backend": "redis", "url": f"redis://127.0.0.1:{slow.port}/0", "key_prefix": prefix}
        service = await harness.start(_accounts(harness), broker={"prefetch": 200}, idempotency=store)
        ids = [f"cmd-pool-{index}-{uuid.uuid4().hex[:8]}" for index in range(200)]
        await asyncio.gather(*(service.publish("session.create", _create(command_id)) for command_id in ids))
        tap = harness.tap_for(service.topology)
        for command_id in ids:
            (event,) = await tap.wait_for(command_id, timeout=60)
            assert isinstance(event, SessionCreated)
        parked = service.service.metrics.commands.labels("session.create", "primer", "parked")
        assert parked._value.get() == 0
    finally:
        await slow.close()
