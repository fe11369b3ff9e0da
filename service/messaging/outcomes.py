"""What the pipeline decided about a delivery. ``disposition`` maps each kind to one broker action.

The pipeline never touches the broker: it returns one of these values, and ``disposition.settle`` carries it
out (publish, then ack; or requeue when the broker did not confirm the publish).
"""

from __future__ import annotations

from typing import Any

from msgspec import Struct

from contracts.events import Event, SessionFailed
from contracts.names import CommandType
from service.messaging.pointers import Pointer


class Hop(Struct, frozen=True):
    """Expiry pointers for the TTL queue ``queue``: their next hop (service.expiry)."""

    queue: str
    pointers: tuple[Pointer, ...]


class Later(Struct, frozen=True, kw_only=True):
    """Expiry pointers back from their tier (service.expiry): publish the ``session.expired`` events that are due
    and send the other pointers on to their next tier, all confirmed, then ack."""

    label: str  # expiry_in_<tier>s, session.expired, expiry_batch or parked
    hops: tuple[Hop, ...] = ()
    events: tuple[Event, ...] = ()
    error_code: None = None
    provider_reference: None = None


class Drop(Struct, frozen=True, kw_only=True):
    """Nothing to publish: ack (an expiry pointer a later update superseded)."""

    label: str
    error_code: None = None
    provider_reference: None = None


class Answer(Struct, frozen=True, kw_only=True):
    """Publish ``event`` (stored first where it must be), then ack. ``reply_to`` is an allowed queue or None.
    ``follow_up``: also send this (the session's expiry pointer) once the event is confirmed, before the ack."""

    event: Event
    label: str  # the event type, or duplicate / conflict / forbidden
    reply_to: str | None = None
    follow_up: Hop | None = None

    @property
    def error_code(self) -> str | None:
        return self.event.error.code if isinstance(self.event, SessionFailed) else None

    @property
    def provider_reference(self) -> str | None:
        return self.event.error.provider_reference if isinstance(self.event, SessionFailed) else None


class Retry(Struct, frozen=True, kw_only=True):
    """Park the command in the retry queue of ``delay`` with ``headers`` added, then ack. The TTL queue
    brings it back; a new publish does not count against the commands queue's delivery limit."""

    command_type: CommandType
    delay: float
    headers: dict[str, Any]
    label: str  # retry_in_<delay>s, deferred or parked
    error_code: str | None = None
    provider_reference: str | None = None  # the provider's reference of the failed attempt


class Reject(Struct, frozen=True, kw_only=True):
    """Nothing to answer: dead-letter the original message with ``reason``, then ack."""

    reason: str
    error_code: str | None = None
    provider_reference: str | None = None


Outcome = Answer | Retry | Reject | Later | Drop


class Processed(Struct, frozen=True, kw_only=True):
    """An outcome with the labels the consumer counts it under."""

    outcome: Outcome
    command_type: str = "unknown"  # session.create, session.update, session.expiry or unknown
    provider: str = "unknown"
    store_unavailable: bool = False  # the idempotency store could not be reached: pause consuming
