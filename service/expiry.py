"""``session.expired``: durable, with no scheduler process of our own.

When the service answers a command with ``session.created`` / ``session.updated`` whose session has an
``expires_at``, it notes the session in the idempotency store (its expiry and the envelope of that event; an
update that says nothing of the expiry, as Primer's, keeps the known one) and, once the event is confirmed,
publishes a small pointer ``{key, expires_at, noted_at}`` (batched with other commands' pointers:
service.messaging.pointers) into a TTL queue (``[expiry] tiers``: 1, 10, 100,
1,000, 10,000 s). The broker dead-letters it back into the commands queue under ``session.expiry`` when its tier
runs out; the service sends it on to the largest tier that still fits in the time left (about 35 hops for a day)
until the session's time has come. Then it publishes ``session.expired`` if the store's note is still the one the
pointer was made for, i.e. the service published nothing later about the session (a later update notes a later
``noted_at`` and sends its own pointer, for its new expiry or the known one): the event carries the envelope of
the latest command about the session. Pointers live in the broker's quorum queues, so they survive restarts, node
losses and any number of replicas, and a pointer is acked only after its next hop (or the event) is confirmed.
The notes live in the store: with the memory store they go with the process (as its outcomes do).

The event is built from the store's note, never from the pointer: a pointer someone else publishes can at most
make the service look at a session it made, and publish an expiry that is true. Its ``event_id`` is derived
from the session and its expiry, so a pointer that arrives twice yields the same event.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from datetime import datetime
from typing import Any

import msgspec
import structlog
from msgspec import Struct

from contracts.events import Event, SessionCreated, SessionExpired, SessionUpdated
from contracts.names import EventType
from service.handlers import event_id_for
from service.messaging.delivery import Delivery
from service.messaging.outcomes import Answer, Drop, Hop, Later, Reject
from service.messaging.pointers import Pointer, decode
from service.messaging.topology import expiry_queue
from service.ports import Clock, IdempotencyStore
from service.settings import Settings
from service.tenancy import account_scope

_ENVELOPE = ("command_id", "correlation_id", "provider", "account", "order_id", "amount", "currency")


class Note(Struct, frozen=True):
    """What the store keeps per session: its expiry and the envelope of the latest event the service published about
    it (an update that says nothing of the expiry keeps the one known and brings its own envelope)."""

    session_id: str
    expires_at: datetime
    noted_at: int
    envelope: dict[str, Any]


def tier_for(remaining: float, tiers: tuple[float, ...]) -> float | None:
    """The largest tier that fits in ``remaining`` seconds (the smallest when none does); None when it is time."""
    if remaining <= 0:
        return None
    fitting = [tier for tier in tiers if tier <= remaining]
    return fitting[-1] if fitting else tiers[0]


def session_key(event: SessionCreated | SessionUpdated) -> str:
    """Account, provider and session id, hashed: session ids run to kilobytes (Primer's client tokens)."""
    provider = type(event.session).__struct_config__.tag  # the session's tag: its provider
    raw = f"{account_scope(event.account)}\x1f{provider}\x1f{event.session.id}"
    return hashlib.sha256(raw.encode()).hexdigest()


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class ExpiryWatch:
    def __init__(self, store: IdempotencyStore, clock: Clock, settings: Settings) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings
        self._tiers = settings.expiry.tiers

    async def follow(self, answer: Answer) -> Answer:
        """``answer`` with the first hop of its session's expiry pointer, noted in the store first; unchanged for
        any other event. Raises ``StoreUnavailable`` like every store call (the command is then parked)."""
        event: Event = answer.event
        if not isinstance(event, SessionCreated | SessionUpdated):
            return answer
        key = session_key(event)
        expires_at = event.session.expires_at
        if expires_at is None:  # an update that says nothing of the expiry (Primer's) leaves the known one in place
            known = await self._store.session_note(key)
            if known is None:
                return answer
            expires_at = msgspec.json.decode(known, type=Note).expires_at
        noted_at = _ms(event.occurred_at)
        envelope = {name: getattr(event, name) for name in _ENVELOPE}
        note = Note(session_id=event.session.id, expires_at=expires_at, noted_at=noted_at, envelope=envelope)
        remaining = (expires_at - self._clock.now()).total_seconds()
        keep = max(remaining, 0.0) + self._settings.idempotency.retention
        await self._store.note_session(key, msgspec.json.encode(note).decode(), noted_at, keep)
        pointer = Pointer(key=key, expires_at=expires_at, noted_at=noted_at)
        return msgspec.structs.replace(answer, follow_up=self._hop(pointer))

    async def process(self, delivery: Delivery) -> Later | Drop | Reject:
        """Pointers back from their tier: for each, the next hop, the event, or nothing (a later update
        superseded it). Hops to the same tier go together; a lone pointer keeps its own label."""
        try:
            pointers = decode(delivery.body)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return Reject(reason=f"unreadable expiry pointer: {str(exc)[:200]}")
        if len(pointers) == 1:
            structlog.contextvars.bind_contextvars(session_key=pointers[0].key)  # its log line names the session
        else:
            structlog.contextvars.bind_contextvars(pointers=len(pointers))
        due = [pointer for pointer in pointers if self._tier(pointer) is None]
        notes = await asyncio.gather(*(self._store.session_note(pointer.key) for pointer in due))
        expired = dict(zip(due, notes, strict=True))
        hops: dict[str, list[Pointer]] = {}
        events: list[Event] = []
        labels: list[str] = []
        for pointer in pointers:
            if pointer not in expired:
                queue, label = self._hop_to(pointer)
                hops.setdefault(queue, []).append(pointer)
            elif (outcome := self._expired(pointer, expired[pointer])) is None:
                label = "expiry_superseded"
            elif isinstance(outcome, str):
                label = outcome
            else:
                events.append(outcome)
                label = EventType.EXPIRED.value
            labels.append(label)
        if len(labels) == 1:
            label = labels[0]
        else:  # the batch's line says what became of its pointers
            label = "expiry_batch"
            structlog.contextvars.bind_contextvars(fates=dict(Counter(labels)))
        if not hops and not events:
            return Drop(label=label)
        return Later(label=label, hops=tuple(Hop(queue, tuple(group)) for queue, group in hops.items()),
                     events=tuple(events))  # fmt: skip

    def _expired(self, pointer: Pointer, raw: str | None) -> SessionExpired | str | None:
        """The event for a pointer whose time has come; a label when there is none to publish."""
        if raw is None:
            return "expiry_forgotten"
        note = msgspec.json.decode(raw, type=Note)
        if note.noted_at != pointer.noted_at or note.expires_at != pointer.expires_at:
            return None
        return SessionExpired(
            event_id=event_id_for(pointer.key, EventType.EXPIRED, pointer.expires_at.isoformat()),
            occurred_at=self._clock.now(),
            session_id=note.session_id,
            expires_at=pointer.expires_at,
            **note.envelope,
        )

    def _tier(self, pointer: Pointer) -> float | None:
        """The tier for ``pointer``'s next hop; None when its time has come."""
        return tier_for((pointer.expires_at - self._clock.now()).total_seconds(), self._tiers)

    def _hop_to(self, pointer: Pointer) -> tuple[str, str]:
        tier = self._tier(pointer) or self._tiers[0]
        return expiry_queue(self._settings.topology, tier), f"expiry_in_{tier:g}s"

    def _hop(self, pointer: Pointer) -> Hop:
        queue, _ = self._hop_to(pointer)
        return Hop(queue, (pointer,))
