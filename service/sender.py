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

import msgspec
from yarl import URL

from contracts.client import PublishRefused, SessionsClient
from contracts.codec import decode_command
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

    With ``validate`` a command the service would refuse is refused here, before it is published. Raises
    ``PublishRefused`` when the broker does not take it and ``TimeoutError`` when no event comes in ``timeout``.
    """
    payload = msgspec.json.encode(body)
    command = decode_command(command_type, payload) if validate else None
    connection = await connect(settings.broker, name="payment-sessions-send")
    user_id = URL(settings.broker.url.reveal()).user  # who we connect as: accounts may be limited to publishers
    async with connection, SessionsClient(connection, topology=settings.topology, user_id=user_id) as client:
        reply = await client.publish(command_type, payload if command is None else command, timeout=timeout)
    return reply.body


async def send_from_args(settings: Settings, args: argparse.Namespace) -> int:
    command_type = CommandType.CREATE if args.type == "create" else CommandType.UPDATE
    try:
        body = command_body(args)
        event = await asyncio.wait_for(
            send(settings, command_type, body, args.timeout, validate=not args.no_validate), args.timeout + 5
        )
    except TimeoutError:  # before OSError, its base class
        print(f"payment-sessions send: no event within {args.timeout:g}s", file=sys.stderr)
        return 3
    except (msgspec.ValidationError, ValueError, OSError) as exc:  # ValueError: bad JSON, no command_id
        print(f"payment-sessions send: {exc}", file=sys.stderr)
        return 2
    except PublishRefused as exc:
        print(f"payment-sessions send: refused by the broker: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(json.loads(event), indent=2))
    return 0
