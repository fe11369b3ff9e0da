"""``payment-sessions send``: publish one command with confirms and print the event it produces.

For order-service developers: the event comes back on a temporary reply queue (``reply_to``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from pathlib import Path
from typing import Any

import aio_pika
import msgspec

from contracts.codec import CONTENT_TYPE, decode_command, decode_event
from contracts.names import CommandType
from service.messaging.connection import connect
from service.settings import Settings

_FLAGS = {
    "provider": "provider",
    "account": "account",
    "command_id": "command_id",
    "session_id": "session_id",
    "order_id": "order_id",
    "amount": "amount",
    "currency": "currency",
}


def command_body(args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(Path(args.file).read_text()) if args.file else {}
    for attribute, field in _FLAGS.items():
        value = getattr(args, attribute)
        if value is not None:
            body[field] = value
    if args.options:
        body["options"] = json.loads(args.options)
    body.setdefault("command_id", str(uuid.uuid4()))
    return body


async def send(
    settings: Settings, command_type: CommandType, body: dict[str, Any], timeout: float, *, validate: bool = True
) -> bytes:
    """Publish ``body`` and return the raw event published for it.

    With ``validate`` a command the service would refuse is refused here, before it is published.
    """
    payload = msgspec.json.encode(body)
    if validate:
        decode_command(command_type, payload)
    connection = await connect(settings.broker, name="payment-sessions-send")
    async with connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        replies = await channel.declare_queue(exclusive=True, auto_delete=True)
        exchange = await channel.get_exchange(settings.topology.commands_exchange)
        await exchange.publish(
            aio_pika.Message(
                payload,
                content_type=CONTENT_TYPE,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=body["command_id"],
                correlation_id=body["command_id"],
                reply_to=replies.name,
            ),
            command_type.value,
        )
        async with replies.iterator(timeout=timeout) as messages:
            async for message in messages:
                await message.ack()
                if decode_event(message.body).command_id == body["command_id"]:
                    return message.body
    raise TimeoutError


async def send_from_args(settings: Settings, args: argparse.Namespace) -> int:
    command_type = CommandType.CREATE if args.type == "create" else CommandType.UPDATE
    try:
        body = command_body(args)
        event = await asyncio.wait_for(
            send(settings, command_type, body, args.timeout, validate=not args.no_validate), args.timeout + 5
        )
    except (msgspec.ValidationError, json.JSONDecodeError, OSError) as exc:
        print(f"payment-sessions send: {exc}", file=sys.stderr)
        return 2
    except TimeoutError:
        print(f"payment-sessions send: no event within {args.timeout:g}s", file=sys.stderr)
        return 3
    print(json.dumps(json.loads(event), indent=2))
    return 0
