"""One delivery, start to finish: intake, tenancy, idempotency claim, handler, outcome stored.

Takes a plain ``Delivery`` and returns what to do with it (``outcomes``); it never talks to the broker, so it
runs in unit tests with fakes of the store, the providers and no broker at all. ``disposition`` carries the
outcome out. The order matters: the outcome is stored *before* it is returned for publishing, so a crash
after publishing (or after storing) republishes the stored event on redelivery and never calls the provider
twice.
"""

from __future__ import annotations

import functools
import hashlib
import math
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import structlog
from msgspec import Struct

from contracts.codec import decode_event, encode
from contracts.commands import provider_of
from contracts.events import Event
from contracts.names import CommandType
from service.expiry import ExpiryWatch
from service.handlers import Completed, Operation, RetryLater, SessionHandlers, envelope_of, operation_of
from service.handlers import Outcome as HandlerOutcome
from service.idempotency.records import Busy, Claimed, Done, StoreUnavailable, fingerprint
from service.messaging import pointers
from service.messaging.delivery import (
    ATTEMPTS_HEADER,
    DEFERRALS_HEADER,
    LEASE_HEADER,
    Delivery,
    int_header,
    str_header,
)
from service.messaging.intake import Accepted, Invalid, Poison, take
from service.messaging.outcomes import Answer, Hop, Later, Outcome, Processed, Reject, Retry
from service.messaging.topology import EXPIRY_ROUTING_KEY, expiry_queue
from service.ports import IdempotencyStore
from service.settings import Settings
from service.tenancy import Tenancy, account_scope, scoped_id

log = structlog.get_logger("payment_sessions.pipeline")

Work = Callable[[int], Awaitable[HandlerOutcome]]


class Pipeline:
    def __init__(
        self,
        handlers: SessionHandlers,
        store: IdempotencyStore,
        tenancy: Tenancy,
        settings: Settings,
        *,
        expiry: ExpiryWatch | None = None,
    ) -> None:
        self._handlers = handlers
        self._expiry = expiry
        self._store = store
        self._tenancy = tenancy
        self._settings = settings
        self._max_deferrals = math.ceil(2 * settings.idempotency.lease / settings.retry.busy_delay) + 10

    async def process(self, delivery: Delivery) -> Processed:
        """Never raises: whatever the delivery holds, the result says how to settle it."""
        if delivery.routing_key == EXPIRY_ROUTING_KEY and self._expiry is not None:
            return await self._pointer(self._expiry, delivery)
        try:
            intake = take(
                delivery.routing_key,
                delivery.content_type,
                delivery.body,
                max_body_bytes=self._settings.broker.max_body_bytes,
            )
        except Exception as exc:
            log.exception("intake failed", error=type(exc).__name__)
            return Processed(outcome=Reject(reason=f"unhandled {type(exc).__name__} while reading the command"))
        if isinstance(intake, Poison):
            return Processed(outcome=Reject(reason=intake.reason))
        command_type = intake.command_type.value
        provider = _bind(intake)
        try:
            outcome = await self._decide(delivery, intake)
        except StoreUnavailable as exc:  # not the command's fault: it waits, uncounted, until the store is back
            log.warning("idempotency store unavailable", error=str(exc))
            # A lease we took goes with the parked command, so that copy resumes it without waiting it out.
            headers = {LEASE_HEADER: exc.lease} if isinstance(exc, _LeaseHeld) else {}
            parked = Retry(command_type=intake.command_type, delay=self._settings.retry.store_delay, headers=headers,
                           label="parked")  # fmt: skip
            return Processed(outcome=parked, command_type=command_type, provider=provider, store_unavailable=True)
        except Exception as exc:
            log.exception("command processing failed", error=type(exc).__name__)
            outcome = Reject(reason=f"unhandled {type(exc).__name__} while processing")
        return Processed(outcome=outcome, command_type=command_type, provider=provider)

    async def _pointer(self, expiry: ExpiryWatch, delivery: Delivery) -> Processed:
        """An expiry pointer back from its tier queue (service.expiry)."""
        kind = EXPIRY_ROUTING_KEY
        try:
            return Processed(outcome=await expiry.process(delivery), command_type=kind)
        except StoreUnavailable as exc:  # look again in a moment, like a parked command
            log.warning("idempotency store unavailable", error=str(exc))
            queue = expiry_queue(self._settings.topology, self._settings.expiry.tiers[0])
            later = Later(label="parked", hops=(Hop(queue, pointers.decode(delivery.body)),))  # read before the store
            return Processed(outcome=later, command_type=kind, store_unavailable=True)
        except Exception as exc:
            log.exception("expiry pointer failed", error=type(exc).__name__)
            return Processed(outcome=Reject(reason=f"unhandled {type(exc).__name__} while reading an expiry pointer"),
                             command_type=kind)  # fmt: skip

    async def _decide(self, delivery: Delivery, intake: Accepted | Invalid) -> Outcome:
        operation = operation_of(intake.command_type)
        if isinstance(intake, Invalid):
            envelope: Mapping[str, Any] = intake.envelope
            # Answered through the store too: a later valid payload under this id is a conflict, not a second
            # outcome. The refusal is fixed by the body, whatever it holds.
            event = self._handlers.invalid_command(operation, envelope, intake.message, intake.field)
            work: Work = _already(event)
            fingerprint_ = "body:" + hashlib.sha256(delivery.body).hexdigest()
        else:
            envelope = envelope_of(intake.command)
            fingerprint_ = fingerprint(intake.command)
            work = functools.partial(self._handlers.handle, intake.command)

        account = account_scope(envelope.get("account"))
        if not self._tenancy.may_publish(account, delivery.user_id):
            # Not stored: a publisher that may not use the account must not take its command ids either.
            return Answer(event=self._handlers.forbidden(operation, envelope, delivery.user_id), label="forbidden")
        running = _Command(intake.command_type, operation, envelope, scoped_id(account, envelope["command_id"]))
        outcome = await self._run(delivery, running, fingerprint_, work)
        if self._expiry is not None and isinstance(outcome, Answer):  # duplicates too: the pointer may be lost
            outcome = await self._expiry.follow(outcome)
        return outcome

    async def _run(self, delivery: Delivery, command: _Command, fingerprint_: str, work: Work) -> Outcome:
        key = command.key
        # A fresh token per delivery: a lease handed over through a retry queue (``previous``) is taken over once,
        # so a second copy of the same retried message (a redelivery after a connection blip) cannot claim too.
        token = uuid.uuid4().hex
        previous = str_header(delivery.headers, LEASE_HEADER)
        claim = await self._store.claim(key, fingerprint_, token, self._settings.idempotency.lease, previous)
        if not isinstance(claim, Claimed):
            return self._answer_existing(delivery, command, fingerprint_, claim)
        try:
            outcome = await work(int_header(delivery.headers, ATTEMPTS_HEADER))
        except Exception:
            await self._store.release(key, token)
            raise
        try:
            if isinstance(outcome, RetryLater):
                return await self._retry_later(command.command_type, key, token, outcome)
            ours = Done(fingerprint_, encode(outcome.event).decode(), delivery.user_id)
            stored = await self._store.finish(key, token, ours)
        except StoreUnavailable as exc:
            raise _LeaseHeld(str(exc), token) from None
        if stored is None:  # our lease ran out and another replica owns the command now
            return self._defer(delivery, command.command_type)
        if stored != ours:  # an earlier outcome stands
            return self._answer_stored(delivery, stored, "duplicate")
        return Answer(event=outcome.event, label=_event_type(outcome.event), reply_to=self._reply_to(delivery))

    def _answer_existing(
        self, delivery: Delivery, command: _Command, fingerprint_: str, existing: Busy | Done
    ) -> Outcome:
        """A duplicate: republish the stored outcome, refuse another payload, or look again later."""
        if existing.fingerprint != fingerprint_:
            event = self._handlers.conflict(command.operation, command.envelope, fingerprint_)
            return Answer(event=event, label="conflict", reply_to=self._reply_to(delivery))
        if isinstance(existing, Done):
            return self._answer_stored(delivery, existing, "duplicate")
        return self._defer(delivery, command.command_type)

    def _answer_stored(self, delivery: Delivery, stored: Done, label: str) -> Answer:
        """The stored event, to the copy's reply queue only when the copy comes from the original's publisher:
        a copy of someone else's command does not get their session's client data delivered to its queue."""
        reply_to = self._reply_to(delivery) if stored.publisher == delivery.user_id else None
        return Answer(event=decode_event(stored.event), label=label, reply_to=reply_to)

    def _reply_to(self, delivery: Delivery) -> str | None:
        allowed = self._tenancy.reply_queue(delivery.reply_to)
        if delivery.reply_to and allowed is None:
            log.warning("reply_to not allowed by [commands] reply_to_pattern", reply_to=delivery.reply_to[:64])
        return allowed

    async def _retry_later(self, command_type: CommandType, key: str, token: str, later: RetryLater) -> Retry:
        delays = self._settings.retry.delays
        delay = delays[min(later.attempts, len(delays)) - 1]
        await self._store.extend(key, token, delay + self._settings.idempotency.lease)
        headers = {ATTEMPTS_HEADER: later.attempts, LEASE_HEADER: token}
        label = f"retry_in_{delay:g}s"
        error = later.error
        return Retry(command_type=command_type, delay=delay, headers=headers, label=label, error_code=error.code,
                     provider_reference=error.provider_reference)  # fmt: skip

    def _defer(self, delivery: Delivery, command_type: CommandType) -> Retry | Reject:
        """Another replica is on it: look again after ``busy_delay``; never call the provider twice."""
        deferrals = int_header(delivery.headers, DEFERRALS_HEADER) + 1
        if deferrals > self._max_deferrals:  # a person should look at it: kept whole in the dead-letter queue
            return Reject(reason=f"still in progress elsewhere after {deferrals - 1} looks")
        delay = self._settings.retry.busy_delay
        return Retry(command_type=command_type, delay=delay, headers={DEFERRALS_HEADER: deferrals}, label="deferred")


class _LeaseHeld(StoreUnavailable):
    """The store went away while we held the command's lease."""

    def __init__(self, message: str, lease: str) -> None:
        super().__init__(message)
        self.lease = lease


class _Command(Struct, frozen=True):
    """What the pipeline keeps of a command (valid or not) while it runs it."""

    command_type: CommandType
    operation: Operation
    envelope: Mapping[str, Any]
    key: str  # the command id scoped by its account: the idempotency store's key


def _bind(intake: Accepted | Invalid) -> str:
    """Bind the command's identity to every log line of this delivery; returns the provider label."""
    if isinstance(intake, Accepted):
        command = intake.command
        provider = provider_of(command)
        structlog.contextvars.bind_contextvars(
            command_id=command.command_id,
            correlation_id=command.correlation_id,
            provider=provider,
            account=command.account,
        )
        return provider
    structlog.contextvars.bind_contextvars(command_id=intake.envelope["command_id"])
    return "unknown"


def _already(event: Event) -> Work:
    async def work(_: int) -> HandlerOutcome:
        return Completed(event)

    return work


def _event_type(event: Event) -> str:
    tag = type(event).__struct_config__.tag
    assert isinstance(tag, str)
    return tag
