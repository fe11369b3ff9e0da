"""The one place that turns an outcome into a broker action, and carries it out exactly once.

| outcome  | broker action                                                     | label                      |
|----------|-------------------------------------------------------------------|----------------------------|
| Answer   | publish the event (+ reply queue, best effort), confirmed; ack     | event type, duplicate, ... |
| Retry    | publish to the retry queue of its delay, confirmed; ack            | retry_in_Ns, deferred, ... |
| Reject   | publish the original message to the dead-letter exchange; ack      | dead_letter                |
| Later    | publish due session.expired events, pointers to their next tier; ack | expiry_in_Ns, ...         |
| Drop     | ack                                                                | expiry_superseded, ...     |

An Answer's ``follow_up`` (its session's expiry pointer, service.expiry) is sent after the event and before the
ack: a confirmed event without its pointer is requeued like any unconfirmed write. Pointers go through one
``PointerBatcher`` (group commit: the pointers of many commands in one confirmed publish).
| any of them not confirmed | nack with requeue after ``broker.republish_delay`` | requeued                 |
| the channel died before the ack | nothing: the broker redelivers          | unsettled                  |

Every delay comes from settings: retry delays from ``[retry]``, the requeue delay from ``[broker]``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final, Protocol

import structlog

from contracts.codec import CONTENT_TYPE
from service.messaging.delivery import DEFERRALS_HEADER, Delivery
from service.messaging.outcomes import Answer, Drop, Later, Outcome, Reject, Retry
from service.messaging.pointers import PointerBatcher
from service.messaging.publisher import PublishFailed, encodable_headers
from service.messaging.topology import retry_queue
from service.ports import Publisher
from service.settings import Settings
from service.tracing import current

log = structlog.get_logger(__name__)

REASON_HEADER = "x-payment-sessions-reason"
_OURS = (
    REASON_HEADER,
    "x-payment-sessions-original-exchange",
    "x-payment-sessions-original-routing-key",
    "x-payment-sessions-redelivered",
)
# The broker's own dead-lettering history: a command that comes back from a retry queue starts afresh.
_DROPPED_ON_RETRY: Final = frozenset(
    ("x-death", "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason",
     "x-last-death-exchange", "x-last-death-queue", "x-last-death-reason")
)  # fmt: skip


class Action(StrEnum):
    PUBLISH_EVENT = "publish_event"
    RETRY_QUEUE = "retry_queue"
    DEAD_LETTER = "dead_letter"
    SCHEDULE = "schedule"
    ACK = "ack"
    DELAYED_REQUEUE = "delayed_requeue"


ACTIONS: Final[Mapping[type[Outcome], Action]] = {
    Answer: Action.PUBLISH_EVENT,
    Retry: Action.RETRY_QUEUE,
    Reject: Action.DEAD_LETTER,
    Later: Action.SCHEDULE,
    Drop: Action.ACK,
}


class Settlement(Protocol):
    """Ack or requeue one delivery at the broker (an aio-pika message, or a fake in unit tests)."""

    async def ack(self) -> None: ...

    async def requeue(self) -> None: ...


def dead_letter_headers(delivery: Delivery, reason: str) -> dict[str, Any]:
    headers = {k: v for k, v in encodable_headers(delivery.headers).items() if k not in _OURS}
    headers.update(
        {
            REASON_HEADER: reason,
            "x-payment-sessions-original-exchange": delivery.exchange,
            "x-payment-sessions-original-routing-key": delivery.routing_key,
            "x-payment-sessions-redelivered": delivery.redelivered,
        }
    )
    return headers


def retry_headers(delivery: Delivery, extra: Mapping[str, Any]) -> dict[str, Any]:
    """The command's headers for its next round: broker history dropped, a deferral count only when deferring."""
    headers = {k: v for k, v in encodable_headers(delivery.headers).items() if k not in _DROPPED_ON_RETRY}
    if DEFERRALS_HEADER not in extra:
        headers.pop(DEFERRALS_HEADER, None)
    headers.update(extra)
    return headers


def _properties(delivery: Delivery) -> dict[str, Any]:
    return {
        "message_id": delivery.message_id,
        "correlation_id": delivery.correlation_id,
        "reply_to": delivery.reply_to,
    }


class Disposition:
    def __init__(self, publisher: Publisher, settings: Settings) -> None:
        self._publisher = publisher
        self._settings = settings
        self._pointers = PointerBatcher(publisher)

    async def settle(self, delivery: Delivery, outcome: Outcome, settlement: Settlement) -> str:
        """Carry out ``outcome``; returns the label it is logged and counted under."""
        try:
            await self._write(ACTIONS[type(outcome)], delivery, outcome)
        except PublishFailed as exc:
            log.warning("broker did not confirm", error=str(exc))
            return await self._requeue(settlement)
        except Exception as exc:  # a bug in building the message: still settled, and the delivery limit bounds it
            log.exception("broker write failed", error=type(exc).__name__)
            return await self._requeue(settlement)
        try:
            await settlement.ack()
        except Exception as exc:  # noqa: BLE001 - the channel died; the broker redelivers, the store answers
            log.warning("ack failed", error=type(exc).__name__)
            return "unsettled"
        return "dead_letter" if isinstance(outcome, Reject) else outcome.label

    async def _write(self, action: Action, delivery: Delivery, outcome: Outcome) -> None:
        # The command's span (``tracing``): the event, a retry and a dead letter carry it onward.
        trace = current.get()
        traced = trace.headers() if trace is not None else {}
        if action is Action.PUBLISH_EVENT:
            assert isinstance(outcome, Answer)
            event = outcome.event
            correlation_id = event.correlation_id or delivery.correlation_id or event.command_id
            await self._publisher.publish_event(
                event, correlation_id=correlation_id, reply_to=outcome.reply_to, trace=traced
            )
            if outcome.follow_up is not None:
                await self._pointers.send(outcome.follow_up.queue, outcome.follow_up.pointers)
        elif action is Action.SCHEDULE:
            assert isinstance(outcome, Later)
            await asyncio.gather(
                *(self._publisher.publish_event(event, correlation_id=event.correlation_id or event.command_id,
                                                reply_to=None, trace=traced) for event in outcome.events),
                *(self._pointers.send(hop.queue, hop.pointers) for hop in outcome.hops),
            )  # fmt: skip
        elif action is Action.ACK:
            assert isinstance(outcome, Drop)
        elif action is Action.RETRY_QUEUE:
            assert isinstance(outcome, Retry)
            await self._publisher.schedule(
                retry_queue(self._settings.topology, outcome.command_type, outcome.delay),
                delivery.body,
                retry_headers(delivery, {**outcome.headers, **traced}),
                content_type=delivery.content_type or CONTENT_TYPE,
                **_properties(delivery),
            )
        else:
            assert isinstance(outcome, Reject)
            await self._publisher.dead_letter(
                delivery.body,
                delivery.routing_key,
                {**dead_letter_headers(delivery, outcome.reason), **traced},
                content_type=delivery.content_type,
                **_properties(delivery),
            )

    async def _requeue(self, settlement: Settlement) -> str:
        """Action.DELAYED_REQUEUE: the broker keeps the command; it comes back after ``republish_delay``."""
        await asyncio.sleep(self._settings.broker.republish_delay)
        try:
            await settlement.requeue()
        except Exception as exc:  # noqa: BLE001 - the channel died: the broker redelivers by itself
            log.warning("requeue failed", error=type(exc).__name__)
            return "unsettled"
        return "requeued"
