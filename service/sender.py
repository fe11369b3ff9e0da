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

from contracts.client import NoOutcome, PublishRefused, SessionsClient
from contracts.codec import decode_command
from contracts.names import CommandType
from service.exits import Exit, broker_failure
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


class NotPublished(Exception):
    """The broker did not take the command: unreachable, it refused the login, or it did not confirm in time."""

    def __init__(self, message: str, code: Exit) -> None:
        super().__init__(message)
        self.code = code


async def send(
    settings: Settings, command_type: CommandType, body: dict[str, Any], timeout: float, *, validate: bool = True
) -> bytes:
    """Publish ``body`` and return the raw event published for it.

    With ``validate`` a command the service would refuse is refused here, before it is published. The connection
    is tried for at most ``timeout`` seconds (or ``[broker] connect_timeout`` when shorter), then the publish and
    the wait for the event get ``timeout`` seconds together. Raises ``NotPublished`` when nothing was published,
    ``PublishRefused`` when the broker refused the command itself (no exchange, no queue bound, a nack) and
    ``TimeoutError`` when it was published but no event came in time.
    """
    payload = msgspec.json.encode(body)
    command = decode_command(command_type, payload) if validate else None
    broker = msgspec.structs.replace(settings.broker, connect_timeout=min(settings.broker.connect_timeout, timeout))
    try:
        connection = await connect(broker, name="payment-sessions-send")
    except Exception as exc:
        failed = broker_failure(exc, settings.broker.where)
        if failed is None:
            raise
        raise NotPublished(failed[1], failed[0]) from None
    user_id = settings.broker.nodes[0].user  # who we connect as: accounts may be limited to publishers
    async with connection, SessionsClient(connection, topology=settings.topology, user_id=user_id) as client:
        try:
            reply = await client.publish(command_type, payload if command is None else command, timeout=timeout)
        except NoOutcome:  # the broker has it: the service will answer, we just did not hear it
            raise
        except (TimeoutError, ConnectionError) as exc:
            why = (
                "did not confirm it" if isinstance(exc, TimeoutError) else "dropped the connection before confirming it"
            )
            raise NotPublished(f"the broker {why} (within {timeout:g}s)", Exit.UNREACHABLE) from None
    return reply.body


async def send_from_args(settings: Settings, args: argparse.Namespace) -> int:
    """Print the event and exit 0, or say on stderr why not: not published (2, 4, 5) or no outcome yet (3)."""
    command_type = CommandType.CREATE if args.type == "create" else CommandType.UPDATE
    # each step is bounded; this guards against a broker that takes the connection and then stops answering
    guard = asyncio.timeout(2 * args.timeout + 10)
    command_id = "-"
    try:
        body = command_body(args)
        command_id = str(body["command_id"])
        async with guard:
            event = await send(settings, command_type, body, args.timeout, validate=not args.no_validate)
    except NotPublished as exc:
        return _fail(f"not published: {exc}", exc.code)
    except TimeoutError:  # before OSError, its base class
        if guard.expired():
            return _fail("the broker stopped answering: the command may not have been published", Exit.UNREACHABLE)
        return _fail(
            f"published (confirmed by the broker), but no event within {args.timeout:g}s: the outcome is unknown; "
            f"sending the same command again (--command-id {command_id}) is safe",
            Exit.NO_OUTCOME,
        )
    except (msgspec.ValidationError, ValueError, OSError) as exc:  # ValueError: bad JSON, no command_id
        return _fail(f"not published: {exc}", Exit.USAGE)
    except PublishRefused as exc:
        return _fail(f"not published, refused by the broker: {exc}", Exit.USAGE)
    print(json.dumps(json.loads(event), indent=2))
    return Exit.OK


def _fail(line: str, code: Exit) -> int:
    print(f"payment-sessions send: {line}", file=sys.stderr)
    return code
