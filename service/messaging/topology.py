"""Exchanges and queues of the public contract, declared idempotently by every replica."""

from __future__ import annotations

from aio_pika import ExchangeType
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue
from msgspec import Struct

from contracts.names import CommandType, Topology
from service.settings import Retry


class Declared(Struct):
    commands: AbstractExchange
    events: AbstractExchange
    dead_letter: AbstractExchange
    commands_queue: AbstractQueue
    dead_letter_queue: AbstractQueue


async def declare(channel: AbstractChannel, names: Topology, *, delivery_limit: int) -> Declared:
    commands = await channel.declare_exchange(names.commands_exchange, ExchangeType.TOPIC, durable=True)
    events = await channel.declare_exchange(names.events_exchange, ExchangeType.TOPIC, durable=True)
    dead_letter = await channel.declare_exchange(names.dead_letter_exchange, ExchangeType.TOPIC, durable=True)
    dead_letter_queue = await channel.declare_queue(
        names.dead_letter_queue,
        durable=True,
        # Listing returns messages to the queue, which counts as a delivery. RabbitMQ 4 gives quorum queues a
        # default limit of 20 and this queue has nowhere to dead-letter to, so set one no one will reach
        # (-1, "unlimited" on 4.x, drops at once on 3.x).
        arguments={"x-queue-type": "quorum", "x-delivery-limit": 1_000_000},
    )
    await dead_letter_queue.bind(dead_letter, routing_key="#")
    commands_queue = await declare_commands_queue(channel, names, delivery_limit=delivery_limit)
    for command_type in CommandType:
        await commands_queue.bind(commands, routing_key=command_type.value)
    if names.events_queue:
        events_queue = await channel.declare_queue(
            names.events_queue,
            durable=True,
            arguments={"x-queue-type": "quorum", "x-max-length": names.events_queue_max_length},
        )
        await events_queue.bind(events, routing_key="session.#")
    return Declared(commands, events, dead_letter, commands_queue, dead_letter_queue)


async def declare_commands_queue(channel: AbstractChannel, names: Topology, *, delivery_limit: int) -> AbstractQueue:
    """The commands queue (also declared on the consuming channel, with the same arguments)."""
    return await channel.declare_queue(
        names.commands_queue,
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": delivery_limit,
            "x-dead-letter-exchange": names.dead_letter_exchange,
            # at-least-once dead-lettering: a command the broker gives up on is never dropped in transit
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        },
    )


def retry_delays(retry: Retry) -> list[float]:
    """Every distinct delay that needs a retry queue: the backoff tiers, the busy and the store delay."""
    return sorted({*retry.delays, retry.busy_delay, retry.store_delay})


def retry_queue(names: Topology, command_type: CommandType, delay: float) -> str:
    """``<commands queue>.retry.<delay>s.<create|update>``: holds a command for ``delay``, then dead-letters it
    back to the commands exchange under its own routing key."""
    return f"{names.commands_queue}.retry.{delay:g}s.{command_type.value.removeprefix('session.')}"


async def declare_retry_queues(channel: AbstractChannel, names: Topology, retry: Retry) -> list[str]:
    declared = []
    for delay in retry_delays(retry):
        for command_type in CommandType:
            queue = await channel.declare_queue(
                retry_queue(names, command_type, delay),
                durable=True,
                arguments={
                    "x-queue-type": "classic",
                    "x-message-ttl": int(delay * 1000),
                    "x-dead-letter-exchange": names.commands_exchange,
                    "x-dead-letter-routing-key": command_type.value,
                },
            )
            declared.append(queue.name)
    return declared
