"""The publisher client, the example analytics consumer and ``payment-sessions send``, on the real broker."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path
from typing import Any

import aio_pika
import msgspec
import pytest

from contracts import (
    CreateMpgsSession,
    CreatePrimerSession,
    SessionCreated,
    SessionFailed,
    SessionUpdated,
    Topology,
    UpdatePrimerSession,
)
from contracts.client import NoOutcome, PublishRefused, SessionsClient
from contracts.codec import decode_event
from contracts.examples_consumer import Tally, consume
from contracts.names import CommandType
from tests.harness import Harness, run_cli, write_config

PRIMER_KEY = "sim-primer-key-client"
MPGS = {"merchant_id": "TESTMERCHANT01", "api_password": "sim-mpgs-password-client"}


def _accounts(harness: Harness) -> dict[str, Any]:
    url = harness.simulator_url
    return {"default": {"primer": {"base_url": url, "api_key": PRIMER_KEY}, "mpgs": {"base_url": url, **MPGS}}}


def _create(**fields: Any) -> CreatePrimerSession:
    defaults: dict[str, Any] = {"command_id": f"cmd-{uuid.uuid4()}", "amount": 1250, "currency": "EUR"}
    return CreatePrimerSession(**{**defaults, **fields})


async def test_create_and_update_return_typed_events(harness: Harness) -> None:
    service = await harness.start(_accounts(harness))
    async with SessionsClient.connect(harness.amqp_url, topology=service.topology) as client:
        command = _create(order_id="order-1", correlation_id="corr-1")
        created = await client.create_session(command)
        assert isinstance(created, SessionCreated)
        assert created.command_id == command.command_id and created.correlation_id == "corr-1"
        assert (created.amount, created.currency) == (1250, "EUR")  # the command's money, on its event
        update = UpdatePrimerSession(command_id=f"cmd-{uuid.uuid4()}", session_id=created.session.id, amount=1500)
        updated = await client.update_session(update)
        assert isinstance(updated, SessionUpdated) and updated.command_id == update.command_id
        assert (updated.amount, updated.currency) == (1500, None)  # the update changed the amount only
        failed = await client.create_session(_create(amount=40000))  # the simulator's magic 400
        assert isinstance(failed, SessionFailed) and failed.error.code == "validation_failed"
        assert (failed.amount, failed.currency) == (40000, "EUR")
    message = harness.tap_for(service.topology).messages[0]  # the event on the events exchange, too
    assert message.correlation_id == "corr-1" and decode_event(message.body) == created


async def test_wait_false_returns_after_the_confirm(harness: Harness) -> None:
    service = await harness.start(_accounts(harness))
    async with SessionsClient.connect(harness.amqp_url, topology=service.topology) as client:
        command = _create()
        assert await client.create_session(command, wait=False) is None
        (event,) = await harness.tap_for(service.topology).wait_for(command.command_id)
        assert isinstance(event, SessionCreated)


async def test_concurrent_calls_each_get_their_own_event(harness: Harness) -> None:
    service = await harness.start(_accounts(harness))
    async with SessionsClient.connect(harness.amqp_url, topology=service.topology) as client:
        commands = [_create(amount=1000 + i) for i in range(50)]
        events = await asyncio.gather(*(client.create_session(c) for c in commands))
        assert [e.command_id for e in events] == [c.command_id for c in commands]
        assert all(isinstance(e, SessionCreated) for e in events)
        assert len({e.event_id for e in events}) == 50
        assert not client._waiting  # nothing left behind


async def test_invalid_commands_are_refused_before_publishing(harness: Harness) -> None:
    service = await harness.start(_accounts(harness))
    async with SessionsClient.connect(harness.amqp_url, topology=service.topology) as client:
        with pytest.raises(msgspec.ValidationError, match="currency"):
            await client.create_session(_create(currency="euro"))
        with pytest.raises(TypeError, match=r"is not a session\.update command"):
            await client.update_session(_create())  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="command_id"):
            await client.publish(CommandType.CREATE, b'{"provider": "primer"}')
    assert harness.simulator is not None and not harness.simulator.calls


async def test_raw_publish_returns_the_event_as_published(harness: Harness, command_id: str) -> None:
    service = await harness.start(_accounts(harness))
    async with SessionsClient.connect(harness.amqp_url, topology=service.topology) as client:
        body = {"command_id": command_id, "provider": "primer", "amount": -1}  # published as it is
        reply = await client.publish(CommandType.CREATE, msgspec.json.encode(body))
        assert isinstance(reply.event, SessionFailed) and reply.event.error.code == "invalid_command"
        assert json.loads(reply.body)["event_id"] == reply.event.event_id


async def test_timeout_raises_and_the_client_keeps_working(harness: Harness) -> None:
    """A commands queue nobody consumes: the publish is confirmed, no event ever comes."""
    names = harness.settings({}).topology  # uuid-named, removed when the harness closes
    channel = await harness.channel()
    exchange = await channel.declare_exchange(names.commands_exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(names.commands_queue, durable=True)
    await queue.bind(exchange, "session.#")
    async with SessionsClient.connect(harness.amqp_url, topology=names) as client:
        started = asyncio.get_running_loop().time()
        with pytest.raises(NoOutcome):  # a TimeoutError: the broker confirmed it, no event came
            await client.create_session(_create(), timeout=0.5)
        assert 0.5 <= asyncio.get_running_loop().time() - started < 3
        assert not client._waiting
        assert await client.create_session(_create(), wait=False) is None
    assert (await queue.declare()).message_count == 2  # both taken by the broker


async def test_unroutable_publish_raises_publish_refused(harness: Harness) -> None:
    names = harness.settings({}).topology
    missing = Topology(commands_exchange=f"test.{uuid.uuid4().hex}.missing")
    async with SessionsClient.connect(harness.amqp_url, topology=missing) as client:
        with pytest.raises(PublishRefused, match="no exchange"):
            await client.create_session(_create())
        with pytest.raises(PublishRefused, match="no exchange"):  # and again: nothing broken by the first
            await client.create_session(_create(), wait=False)
    channel = await harness.channel()
    await channel.declare_exchange(names.commands_exchange, aio_pika.ExchangeType.TOPIC, durable=True)  # no queue
    async with SessionsClient.connect(harness.amqp_url, topology=names) as client:
        with pytest.raises(PublishRefused, match="no queue is bound"):
            await client.create_session(_create())
        with pytest.raises(PublishRefused, match="no queue is bound"):
            await client.publish(CommandType.UPDATE, b'{"command_id": "x"}', wait=False)
        assert not client._waiting


async def test_analytics_consumer_counts_per_provider_and_outcome_once(harness: Harness) -> None:
    service = await harness.start(_accounts(harness))
    queue = f"test.analytics.{uuid.uuid4().hex}"
    ready = asyncio.Event()
    counting = asyncio.create_task(
        consume(harness.amqp_url, queue, events_exchange=service.topology.events_exchange, count=5, ready=ready)
    )
    try:
        await asyncio.wait_for(ready.wait(), 20)
        async with SessionsClient.connect(harness.amqp_url, topology=service.topology) as client:
            twice = _create()
            first = await client.create_session(twice)
            again = await client.create_session(twice)  # the same command: the stored event, same event_id
            assert first.event_id == again.event_id
            assert isinstance(await client.create_session(_create(amount=40000)), SessionFailed)
            mpgs = CreateMpgsSession(command_id=f"cmd-{uuid.uuid4()}", order_id="order-9", amount=1502, currency="GBP")
            assert isinstance(await client.create_session(mpgs), SessionCreated)
            assert isinstance(await client.create_session(_create()), SessionCreated)
        tally = await asyncio.wait_for(counting, 20)
    finally:
        counting.cancel()
        channel = await harness.channel()
        await channel.queue_delete(queue)
    assert tally.received == 5 and tally.duplicates == 1 and tally.undecodable == 0
    assert tally.counts == {("primer", "created"): 2, ("primer", "failed/validation_failed"): 1, ("mpgs", "created"): 1}
    assert "4 events, 1 duplicate ignored, 0 undecodable" in tally.table()


def test_tally_reads_leniently() -> None:
    tally = Tally(remember=2)
    newer = {"type": "session.expired", "event_id": "e-1", "provider": "acquired", "new_field": {"x": 1}}
    assert tally.add(msgspec.json.encode(newer))
    assert not tally.add(b"not json") and not tally.add(b'{"type": "session.created"}')
    assert tally.add(b'{"type": "x", "event_id": "e-2"}') and tally.add(b'{"type": "x", "event_id": "e-3"}')
    assert tally.add(msgspec.json.encode(newer))  # forgotten: only the last 2 ids are remembered
    assert tally.counts == {("acquired", "expired"): 2, ("-", "x"): 2}
    assert tally.undecodable == 2 and tally.duplicates == 0


async def test_examples_consumer_runs_as_a_module(harness: Harness) -> None:
    names = harness.settings({}).topology
    queue = f"test.analytics.{uuid.uuid4().hex}"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "contracts.examples_consumer", "--amqp-url", harness.amqp_url, "--queue", queue,
        "--events-exchange", names.events_exchange, "--duration", "0.5",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(), 30)
    finally:
        channel = await harness.channel()
        await channel.queue_delete(queue)
    assert process.returncode == 0, err.decode()
    assert out.decode().splitlines()[-1] == "0 events, 0 duplicates ignored, 0 undecodable"


async def test_send_cli_prints_the_event(harness: Harness, tmp_path: Path) -> None:
    service = await harness.start(_accounts(harness))
    config = write_config(tmp_path / "send.toml", harness.amqp_url, service.topology)
    code, out, err = await run_cli(
        config, "send", "create", "--provider", "primer", "--amount", "1250", "--currency", "EUR"
    )
    assert code == 0, err
    printed = json.loads(out)
    assert printed["type"] == "session.created" and printed["provider"] == "primer"
    assert out.startswith('{\n  "type": "session.created"')  # the raw event, pretty-printed
    (event,) = await harness.tap_for(service.topology).wait_for(printed["command_id"])
    assert event.event_id == printed["event_id"]

    code, out, err = await run_cli(config, "send", "create", "--provider", "primer", "--amount", "-5", "--no-validate")
    assert code == 0, err
    assert json.loads(out)["error"]["code"] == "invalid_command"  # the service's answer, not ours
    code, out, err = await run_cli(config, "send", "create", "--provider", "primer", "--amount", "-5")
    assert code == 2 and "amount" in err and not out


async def test_send_cli_exit_codes_when_nothing_takes_the_command(harness: Harness, tmp_path: Path) -> None:
    names = harness.settings({}).topology
    config = write_config(tmp_path / "send.toml", harness.amqp_url, names)
    code, _, err = await run_cli(config, "send", "create", "--provider", "primer")
    assert code == 2 and "refused by the broker: no exchange" in err
    channel = await harness.channel()
    exchange = await channel.declare_exchange(names.commands_exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(names.commands_queue, durable=True)
    await queue.bind(exchange, "session.#")  # taken, but nobody answers
    code, _, err = await run_cli(config, "send", "create", "--provider", "primer", "--timeout", "0.5")
    assert code == 3 and "no event within 0.5s" in err, err
