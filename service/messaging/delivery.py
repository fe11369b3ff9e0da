"""A delivery as a plain value: what the pipeline reads, with no broker object attached.

``delivery_of`` copies what the pipeline needs out of a delivered AMQP message (aiormq's, as the frames
brought it) and cannot fail on anything a publisher can put there (odd property types, header tables of any
shape), so that every delivery reaches the one place that settles it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiormq.abc import DeliveredMessage
from msgspec import Struct

# Headers of ours that a command carries through retry queues.
ATTEMPTS_HEADER = "x-payment-sessions-attempts"  # provider attempts made so far
LEASE_HEADER = "x-payment-sessions-lease"  # the idempotency lease handed over to the next round
DEFERRALS_HEADER = "x-payment-sessions-deferrals"  # looks at a command another replica holds


class Delivery(Struct, frozen=True, kw_only=True):
    body: bytes
    routing_key: str = ""
    exchange: str = ""
    headers: Mapping[str, Any] = {}
    content_type: str | None = None
    message_id: str | None = None
    correlation_id: str | None = None
    reply_to: str | None = None
    user_id: str | None = None  # checked by RabbitMQ against the publishing connection's user
    redelivered: bool = False


def _text(value: object) -> str | None:
    """A short-string property as it can be sent again: lenient decoding (``wire``) may have made a hostile
    255-byte value longer in UTF-8 (each undecodable byte became U+FFFD), so it is cut back to 255 bytes."""
    if not isinstance(value, str):
        return None
    encoded = value.encode("utf-8", errors="replace")
    return value if len(encoded) <= 255 else encoded[:255].decode("utf-8", errors="ignore")


def delivery_of(message: DeliveredMessage) -> Delivery:
    properties = message.header.properties
    headers = properties.headers
    return Delivery(
        body=bytes(message.body) if isinstance(message.body, bytes | bytearray | memoryview) else b"",
        routing_key=_text(message.routing_key) or "",
        exchange=_text(message.exchange) or "",
        headers={str(key): value for key, value in headers.items()} if isinstance(headers, Mapping) else {},
        content_type=_text(properties.content_type),
        message_id=_text(properties.message_id),
        correlation_id=_text(properties.correlation_id),
        reply_to=_text(properties.reply_to),
        user_id=_text(properties.user_id),
        redelivered=message.redelivered is True,
    )


def int_header(headers: Mapping[str, Any], name: str) -> int:
    """A non-negative integer header of ours, 0 when absent or of any other type."""
    value = headers.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31 else 0


def str_header(headers: Mapping[str, Any], name: str) -> str | None:
    value = headers.get(name)
    return value if isinstance(value, str) else None
