"""A queue that exists with other arguments than the service declares: one clear error, on the real broker.

RabbitMQ refuses such a declaration (PRECONDITION_FAILED) and never changes a queue argument in place; the
service must stop at once with one message naming the queue, the argument, both values and the way out.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aio_pika
import pytest

from contracts.events import SessionCreated
from service.bootstrap import running_service
from service.messaging.topology import TopologyMismatch, declare, plan
from service.settings import Settings
from tests.harness import Harness

PRIMER_KEY = "sim-primer-key-mismatch"


def _accounts(harness: Harness) -> dict[str, Any]:
    return {"default": {"primer": {"base_url": harness.simulator_url, "api_key": PRIMER_KEY}}}


async def _start_fails(settings: Settings) -> str:
    """The service's start-up on ``settings``: it must raise TopologyMismatch, once and quickly."""
    started = asyncio.get_running_loop().time()
    with pytest.raises(TopologyMismatch) as failed:
        async with running_service(settings):
            pass
    assert asyncio.get_running_loop().time() - started < 10  # no retry loop
    return str(failed.value)


async def test_changed_delivery_limit_is_one_clear_error(harness: Harness) -> None:
    before = harness.settings(_accounts(harness))  # a deployment that declared the queue with the default, 20
    async with running_service(before):
        pass
    names = before.topology
    after = harness.settings(
        _accounts(harness),
        topology=_names(before),
        broker={"delivery_limit": 5},
    )
    message = await _start_fails(after)
    assert message.startswith(f"queue {names.commands_queue!r} in vhost '/' exists with x-delivery-limit = 20")
    assert "the service declares x-delivery-limit = 5 (from [broker] delivery_limit)" in message
    assert "Either set [broker] delivery_limit = 20 again, or migrate" in message
    assert f"rabbitmqctl delete_queue -p / {names.commands_queue}" in message
    assert 'topology = "verify"' in message and "policy" in message
    assert "PRECONDITION_FAILED" not in message and "\n" not in message


async def test_policy_managed_queue_tells_to_verify(harness: Harness, command_id: str) -> None:
    """A queue made by deploy/rabbitmq/definitions.json has no x-delivery-limit (a policy sets it): declaring
    one is refused with a pointer to ``topology = "verify"``, which then runs on it."""
    settings = harness.settings(_accounts(harness))
    await _create_as_definitions_do(harness, settings)
    message = await _start_fails(settings)
    names = settings.topology
    # the first queue declared is the dead-letter queue, also policy-managed in the definitions
    assert message.startswith(f"queue {names.dead_letter_queue!r} in vhost '/' exists without x-delivery-limit")
    assert "the service declares x-delivery-limit = 1000000" in message
    policy = (
        'If a policy sets delivery-limit (as deploy/rabbitmq/definitions.json does), set [broker] topology = "verify"'
    )
    assert policy in message
    assert "Otherwise migrate" in message

    service = await harness.start(_accounts(harness), topology=_names(settings), broker={"topology": "verify"})
    event = await service.send("session.create", _create(command_id))
    assert isinstance(event, SessionCreated)


async def test_other_queue_type_is_one_clear_error(harness: Harness) -> None:
    settings = harness.settings(_accounts(harness))
    channel = await harness.channel()
    await channel.declare_queue(settings.topology.dead_letter_queue, durable=True)  # classic, as by hand
    message = await _start_fails(settings)
    assert message.startswith(
        f"queue {settings.topology.dead_letter_queue!r} in vhost '/' exists without x-queue-type, "
        "but the service declares x-queue-type = quorum."
    )
    assert "Migrate: stop the publishers" in message and "policy" not in message


async def test_topology_command_reports_the_mismatch_too(harness: Harness) -> None:
    """`payment-sessions topology` (``declare``) fails the same way: the declaration, not start-up, owns it."""
    settings = harness.settings(_accounts(harness))
    names = settings.topology
    async with await aio_pika.connect(harness.amqp_url) as connection:
        await declare(await connection.channel(), names, delivery_limit=20, retry=settings.retry)
        expected = r"x-delivery-limit = 20, but the service declares x-delivery-limit = 7 \(from \[broker\]"
        with pytest.raises(TopologyMismatch, match=expected):
            await declare(await connection.channel(), names, delivery_limit=7)


def _names(settings: Settings) -> dict[str, Any]:
    topology = settings.topology
    return {field: getattr(topology, field) for field in topology.__struct_fields__}


def _create(command_id: str) -> dict[str, Any]:
    return {"command_id": command_id, "provider": "primer", "amount": 990, "currency": "EUR"}


async def _create_as_definitions_do(harness: Harness, settings: Settings) -> None:
    """What ``rabbitmqctl import_definitions`` of deploy/rabbitmq/definitions.json creates: the fixed arguments
    only (the tunable ones are policies, which need rabbitmqctl; the arguments are what matters here)."""
    spec = plan(settings.topology, delivery_limit=settings.broker.delivery_limit, retry=settings.retry,
                expiry=settings.expiry)  # fmt: skip
    channel = await harness.channel()
    exchanges = {
        exchange.name: await channel.declare_exchange(exchange.name, exchange.type, durable=True)
        for exchange in spec.exchanges
    }
    queues = {
        queue.name: await channel.declare_queue(queue.name, durable=True, arguments=queue.fixed)
        for queue in spec.queues
    }
    for binding in spec.bindings:
        await queues[binding.queue].bind(exchanges[binding.exchange], binding.routing_key)
