"""A nack renews the publishing channel (service.messaging.publisher.EventPublisher._renew).

RabbitMQ 3.10 can nack every publish on a channel that first routed to a quorum queue while that queue had no
leader, long after a new leader is elected; a fresh channel publishes fine. The three-node cluster test (R19,
tests/faults/test_cluster.py) meets that case; here, on one node, a queue that refuses everything (length 0,
``reject-publish``) makes the broker nack the events: the service renews its channel, keeps the command (requeued,
never acked), and once the refusing queue is gone the event is published on the new channel.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from aio_pika.abc import AbstractQueue

from contracts.client import PublishRefused, SessionsClient
from contracts.commands import CreatePrimerSession
from contracts.events import SessionCreated
from tests.harness import Harness, eventually

PRIMER_KEY = "sim-primer-key-renewal"


def _accounts(harness: Harness) -> dict[str, Any]:
    return {"default": {"primer": {"base_url": harness.simulator_url, "api_key": PRIMER_KEY}}}


async def _refusing_queue(harness: Harness, exchange_name: str) -> AbstractQueue:
    """A queue bound to ``exchange_name`` for every session message that refuses them all: the broker nacks."""
    channel = await harness.channel()
    exchange = await channel.get_exchange(exchange_name)
    refusing = await channel.declare_queue(
        f"test.refusing.{uuid.uuid4().hex[:12]}",
        auto_delete=True,
        arguments={"x-queue-type": "classic", "x-max-length": 0, "x-overflow": "reject-publish"},
    )
    await refusing.bind(exchange, "session.#")
    return refusing


def _renewals(harness: Harness) -> int:
    return harness.log_text().count("publish channel renewed after a nack")


async def test_a_nack_renews_the_channel_and_the_command_is_kept(harness: Harness) -> None:
    service = await harness.start(_accounts(harness))
    refusing = await _refusing_queue(harness, service.topology.events_exchange)
    command_id = f"cmd-{uuid.uuid4()}"
    try:
        await service.publish("session.create", {"command_id": command_id, "provider": "primer", "amount": 1000,
                                                 "currency": "EUR"})  # fmt: skip
        try:  # nacked again on the new channel (the queue still refuses): renewed again, at most once a second
            await eventually(lambda: _renewals(harness) >= 2, timeout=20)
        except AssertionError:
            raise AssertionError(harness.log_text()[-3000:]) from None
    finally:
        await refusing.delete(if_unused=False, if_empty=False)
    # The tap's own queue took the nacked copies (a nack says not every queue did): the same event each time.
    events = await harness.tap_for(service.topology).wait_for(command_id)
    assert all(isinstance(event, SessionCreated) for event in events)
    assert len({event.event_id for event in events}) == 1

    def outcomes() -> list[str]:
        return [r["outcome"] for r in harness.log_records() if r.get("event") == "command"]

    try:
        # published once the queue is gone: the stored outcome, answered as a redelivered duplicate
        await eventually(lambda: outcomes()[-1] != "requeued", timeout=20)
    except AssertionError:
        raise AssertionError(harness.log_text()[-2500:]) from None
    assert outcomes()[-1] == "duplicate" and set(outcomes()[:-1]) == {"requeued"}, outcomes()  # never acked before
    assert _renewals(harness) >= 2
    second = f"cmd-{uuid.uuid4()}"
    body = {"command_id": second, "provider": "primer", "amount": 1000, "currency": "EUR"}
    assert isinstance(await service.send("session.create", body), SessionCreated)


async def test_the_client_refuses_a_nacked_command_and_publishes_the_next(harness: Harness) -> None:
    service = await harness.start(_accounts(harness))
    refusing = await _refusing_queue(harness, service.topology.commands_exchange)
    async with SessionsClient.connect(harness.amqp_url, topology=service.topology) as client:
        command = CreatePrimerSession(command_id=f"cmd-{uuid.uuid4()}", amount=1000, currency="EUR")
        with pytest.raises(PublishRefused, match="nack"):
            await client.create_session(command, wait=False)
        await refusing.delete(if_unused=False, if_empty=False)
        again = CreatePrimerSession(command_id=f"cmd-{uuid.uuid4()}", amount=1000, currency="EUR")
        assert isinstance(await client.create_session(again), SessionCreated)  # on a new channel
