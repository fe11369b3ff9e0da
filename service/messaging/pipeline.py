"""One delivery, start to finish: intake, idempotency claim, handler, outcome stored, event published.

Returns the disposition for ``settle``; every broker write it makes (event, retry, dead letter) is
confirmed before the command can be acked. The order matters: the outcome is stored *before* the event is
published, so a crash after publishing (or after storing) republishes the stored event on redelivery and
never calls the provider twice.
"""

from __future__ import annotations

import functools
import hashlib
import math
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import structlog
from aio_pika.abc import AbstractIncomingMessage
from msgspec import Struct

from contracts.codec import CONTENT_TYPE, decode_event, encode
from contracts.events import Event, SessionFailed
from contracts.names import CommandType
from service.handlers import Completed, Operation, Outcome, RetryLater, SessionHandlers, envelope_of
from service.idempotency.records import Busy, Claimed, Done, StoreUnavailable, fingerprint
from service.messaging.disposition import Ack, DeadLetter, Disposition, Requeue
from service.messaging.intake import Accepted, Invalid, Poison
from service.messaging.publisher import EventPublisher, PublishFailed
from service.messaging.topology import retry_queue
from service.ports import IdempotencyStore
from service.settings import Settings

log = structlog.get_logger("payment_sessions.pipeline")

ATTEMPTS_HEADER = "x-payment-sessions-attempts"
LEASE_HEADER = "x-payment-sessions-lease"
DEFERRALS_HEADER = "x-payment-sessions-deferrals"
_DROPPED_ON_RETRY = ("x-death", "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason",
                     "x-last-death-exchange", "x-last-death-queue", "x-last-death-reason")  # fmt: skip


class Result(Struct):
    disposition: Disposition
    error_code: str | None = None


class Pipeline:
    def __init__(
        self, handlers: SessionHandlers, store: IdempotencyStore, publisher: EventPublisher, settings: Settings
    ) -> None:
        self._handlers = handlers
        self._store = store
        self._publisher = publisher
        self._settings = settings
        self._max_deferrals = math.ceil(2 * settings.idempotency.lease / settings.retry.busy_delay) + 10

    async def process(self, message: AbstractIncomingMessage, intake: Accepted | Invalid | Poison) -> Result:
        if isinstance(intake, Poison):
            return Result(DeadLetter(intake.reason))
        operation: Operation = "create" if intake.command_type is CommandType.CREATE else "update"
        try:
            if isinstance(intake, Invalid):
                # Answered through the store too: a later valid payload under this id is a conflict, not a
                # second outcome.
                event = self._handlers.invalid_command(operation, intake.envelope, intake.message, intake.field)
                refused = "body:" + hashlib.sha256(message.body).hexdigest()
                return await self._run(message, operation, intake.envelope, refused, _already(event))
            command = intake.command
            return await self._run(
                message,
                operation,
                envelope_of(command),
                fingerprint(command),
                functools.partial(self._handlers.handle, operation, command),
            )
        except PublishFailed as exc:
            return Result(Requeue(f"not confirmed: {exc}", self._settings.broker.republish_delay))
        except StoreUnavailable as exc:  # not the command's fault: try it again shortly
            log.warning("idempotency store unavailable", error=str(exc))
            return Result(Requeue(f"idempotency store unavailable ({exc})", self._settings.retry.busy_delay))

    async def _run(
        self,
        message: AbstractIncomingMessage,
        operation: Operation,
        envelope: Mapping[str, Any],
        fingerprint_: str,
        work: Callable[[int], Awaitable[Outcome]],
    ) -> Result:
        headers = message.headers or {}
        command_id: str = envelope["command_id"]
        # A fresh token per delivery: a lease handed over through a retry queue (``previous``) is taken over once,
        # so a second copy of the same retried message (a redelivery after a connection blip) cannot claim too.
        token = uuid.uuid4().hex
        previous = headers.get(LEASE_HEADER)
        lease = self._settings.idempotency.lease
        claim = await self._store.claim(
            command_id, fingerprint_, token, lease, previous if isinstance(previous, str) else None
        )
        if not isinstance(claim, Claimed):
            return await self._answer_existing(message, operation, envelope, fingerprint_, claim)
        try:
            outcome = await work(_int_header(headers, ATTEMPTS_HEADER))
        except Exception:
            await self._store.release(command_id, token)
            raise
        if isinstance(outcome, RetryLater):
            return await self._retry_later(message, operation, command_id, token, outcome)
        ours = Done(fingerprint_, encode(outcome.event).decode())
        stored = await self._store.finish(command_id, token, ours)
        if stored is None:  # our lease ran out and another replica owns the command now
            return await self._defer(message, operation)
        event = outcome.event if stored == ours else decode_event(stored.event)  # an earlier outcome stands
        return await self._publish(message, event, _event_type(event))

    async def _answer_existing(
        self,
        message: AbstractIncomingMessage,
        operation: Operation,
        envelope: Mapping[str, Any],
        fingerprint_: str,
        existing: Busy | Done,
    ) -> Result:
        """A duplicate: republish the stored outcome, refuse another payload, or look again later."""
        if existing.fingerprint != fingerprint_:
            return await self._publish(message, self._handlers.conflict(operation, envelope, fingerprint_), "conflict")
        if isinstance(existing, Done):
            return await self._publish(message, decode_event(existing.event), "duplicate")
        return await self._defer(message, operation)

    async def _publish(self, message: AbstractIncomingMessage, event: Event, outcome: str) -> Result:
        correlation_id = event.correlation_id or message.correlation_id or event.command_id
        await self._publisher.publish_event(event, correlation_id=correlation_id, reply_to=message.reply_to)
        error_code = event.error.code if isinstance(event, SessionFailed) else None
        return Result(Ack(outcome), error_code)

    async def _retry_later(
        self, message: AbstractIncomingMessage, operation: Operation, command_id: str, token: str, later: RetryLater
    ) -> Result:
        delays = self._settings.retry.delays
        delay = delays[min(later.attempts, len(delays)) - 1]
        await self._store.extend(command_id, token, delay + self._settings.idempotency.lease)
        headers = {ATTEMPTS_HEADER: later.attempts, LEASE_HEADER: token}
        await self._schedule(message, operation, delay, headers)
        return Result(Ack(f"retry_in_{delay:g}s"), later.error.code)

    async def _defer(self, message: AbstractIncomingMessage, operation: Operation) -> Result:
        """Another replica is on it: look again after ``busy_delay``; never call the provider twice."""
        deferrals = _int_header(message.headers or {}, DEFERRALS_HEADER) + 1
        if deferrals > self._max_deferrals:
            return Result(DeadLetter(f"still in progress elsewhere after {deferrals - 1} looks"))
        await self._schedule(message, operation, self._settings.retry.busy_delay, {DEFERRALS_HEADER: deferrals})
        return Result(Ack("deferred"))

    async def _schedule(
        self, message: AbstractIncomingMessage, operation: Operation, delay: float, extra: dict[str, Any]
    ) -> None:
        headers = {k: v for k, v in (message.headers or {}).items() if k not in _DROPPED_ON_RETRY}
        if DEFERRALS_HEADER not in extra:
            headers.pop(DEFERRALS_HEADER, None)
        headers.update(extra)
        command_type = CommandType.CREATE if operation == "create" else CommandType.UPDATE
        await self._publisher.schedule(
            retry_queue(self._settings.topology, command_type, delay),
            message.body,
            headers,
            content_type=message.content_type or CONTENT_TYPE,
            message_id=message.message_id,
            correlation_id=message.correlation_id,
            reply_to=message.reply_to,
        )


def _already(event: Event) -> Callable[[int], Awaitable[Outcome]]:
    async def work(_: int) -> Outcome:
        return Completed(event)

    return work


def _int_header(headers: Mapping[str, Any], name: str) -> int:
    value = headers.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _event_type(event: Event) -> str:
    tag = type(event).__struct_config__.tag
    assert isinstance(tag, str)
    return tag
