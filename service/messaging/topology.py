"""Exchanges and queues of the public contract, declared idempotently by every replica."""

from __future__ import annotations

from aio_pika import ExchangeType
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue
from msgspec import Struct

from contracts.names import CommandType, Topology


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
        names.dead_letter_queue, durable=True, arguments={"x-queue-type": "quorum"}
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
