"""The one function that turns a decision about a delivery into a broker action."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from aio_pika.abc import AbstractIncomingMessage
from msgspec import Struct

from service.messaging.publisher import EventPublisher, PublishFailed

log = structlog.get_logger(__name__)

REASON_HEADER = "x-payment-sessions-reason"
_OURS = (
    REASON_HEADER,
    "x-payment-sessions-original-exchange",
    "x-payment-sessions-original-routing-key",
    "x-payment-sessions-redelivered",
)


class Ack(Struct, frozen=True):
    outcome: str  # the event type published


class DeadLetter(Struct, frozen=True):
    reason: str


class Requeue(Struct, frozen=True):
    reason: str
    delay: float


Disposition = Ack | DeadLetter | Requeue


def dead_letter_headers(message: AbstractIncomingMessage, reason: str) -> dict[str, Any]:
    headers = {k: v for k, v in (message.headers or {}).items() if k not in _OURS}
    headers.update(
        {
            REASON_HEADER: reason,
            "x-payment-sessions-original-exchange": message.exchange or "",
            "x-payment-sessions-original-routing-key": message.routing_key or "",
            "x-payment-sessions-redelivered": bool(message.redelivered),
        }
    )
    return headers


async def settle(message: AbstractIncomingMessage, decision: Disposition, publisher: EventPublisher) -> str:
    """Ack, dead-letter or requeue ``message``; returns the outcome label for logs and metrics.

    Only a confirmed event or dead letter leads to an ack. When the channel is gone the broker
    redelivers on its own, which is the safe side.
    """
    if isinstance(decision, DeadLetter):
        try:
            await publisher.dead_letter(
                message.body,
                message.routing_key or "",
                dead_letter_headers(message, decision.reason),
                content_type=message.content_type,
                message_id=message.message_id,
                correlation_id=message.correlation_id,
                reply_to=message.reply_to,
            )
        except PublishFailed as exc:
            decision = Requeue(f"dead letter not confirmed: {exc}", delay=1.0)
    try:
        if isinstance(decision, Requeue):
            await asyncio.sleep(decision.delay)
            await message.nack(requeue=True)
            return "requeued"
        await message.ack()
    except Exception as exc:  # noqa: BLE001 - the channel died; the broker will redeliver
        log.warning("settle failed", error=type(exc).__name__, delivery_tag=message.delivery_tag)
        return "unsettled"
    return decision.outcome if isinstance(decision, Ack) else "dead_letter"
