"""create / update a session: pure orchestration over the provider port. No AMQP, no store, no HTTP here.

A provider's refusal is a fact (``Final`` with ``session.failed``); a retryable fault before the last attempt
is ``RetryLater``; only a bug escapes as an exception.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Final, Literal

from msgspec import Struct

from contracts.commands import Command, CreateCommand, command_type_of, provider_of
from contracts.events import ErrorInfo, Event, Session, SessionCreated, SessionFailed, SessionUpdated
from contracts.names import CommandType, ErrorCode, EventType
from service.breaker import CircuitBreaker
from service.ports import AnyProvider, Clock
from service.providers.base import ProviderError
from service.settings import Settings
from service.tenancy import account_scope, scoped_id

EVENT_NAMESPACE: Final = uuid.UUID("6f1d6e2a-6d1c-4c0a-9a53-2f8f3f1c9b71")

Operation = Literal["create", "update"]  # SessionFailed.operation


def operation_of(command_type: CommandType) -> Operation:
    """For what has no command class yet (an invalid command): its routing key says which operation it was."""
    return "create" if command_type is CommandType.CREATE else "update"


class Completed(Struct, frozen=True):
    event: Event


class RetryLater(Struct, frozen=True):
    error: ErrorInfo
    attempts: int  # provider attempts made so far


Outcome = Completed | RetryLater


def event_id_for(command_id: str, event_type: EventType, variant: str = "") -> str:
    """Deterministic: a redelivered command yields the same event id for the same outcome."""
    return str(uuid.uuid5(EVENT_NAMESPACE, f"{command_id}\x1f{event_type.value}\x1f{variant}"))


class SessionHandlers:
    def __init__(self, providers: Mapping[tuple[str, str], AnyProvider], clock: Clock, settings: Settings) -> None:
        self._providers = providers
        self._clock = clock
        self._settings = settings
        self._breakers = {
            key: CircuitBreaker(settings.breaker.failure_threshold, settings.breaker.cooldown) for key in providers
        }

    def breakers(self) -> Mapping[tuple[str, str], CircuitBreaker]:
        return self._breakers

    async def handle(self, command: Command, attempts_made: int) -> Outcome:
        """Create or update a session at the command's provider: the command's class says which."""
        operation = operation_of(command_type_of(command))
        key = (command.account, provider_of(command))
        adapter = self._providers.get(key)
        if adapter is None:
            message = f"account {command.account!r} has no {key[1]} configuration"
            error = ErrorInfo(code=ErrorCode.INVALID_COMMAND.value, message=message, retryable=False, field="account")
            return Completed(self._failed(operation, envelope_of(command), error))
        if self._expired(command):
            error = ErrorInfo(
                code=ErrorCode.EXPIRED.value,
                message=f"issued_at is older than the {self._settings.commands.max_age:g}s maximum age",
                retryable=False,
                field="issued_at",
            )
            return Completed(self._failed(operation, envelope_of(command), error))
        attempts = attempts_made + 1
        try:
            session = await self._call(command, adapter, self._breakers[key])
        except ProviderError as exc:
            if exc.retryable and attempts < self._settings.retry.max_attempts:
                return RetryLater(exc.to_error_info(), attempts)
            if exc.code is ErrorCode.INVALID_COMMAND:  # the adapter refused it before any request
                attempts = attempts_made
            return Completed(self._failed(operation, envelope_of(command), exc.to_error_info(), attempts))
        event_class = SessionCreated if isinstance(command, CreateCommand) else SessionUpdated
        event = event_class(
            event_id=event_id_for(scoped_id(command.account, command.command_id), EventType(_tag(event_class))),
            occurred_at=self._clock.now(),
            session=session,
            **envelope_of(command),
        )
        return Completed(event)

    async def _call(self, command: Command, adapter: AnyProvider, breaker: CircuitBreaker) -> Session:
        if not breaker.allow():
            raise ProviderError(
                ErrorCode.PROVIDER_UNAVAILABLE,
                f"{provider_of(command)} circuit is open after repeated failures; not called",
                retryable=True,
            )
        try:
            async with asyncio.timeout(self._settings.commands.deadline):
                match command:
                    case CreateCommand():
                        session = await adapter.create(command)
                    case _:
                        session = await adapter.update(command)
        except TimeoutError:
            breaker.failed()
            raise ProviderError(
                ErrorCode.TIMEOUT, f"command deadline of {self._settings.commands.deadline:g}s passed", retryable=True
            ) from None
        except ProviderError as exc:
            if not exc.counts_for_breaker:
                breaker.not_counted()  # a host the command chose failed: says nothing of the provider account
            elif exc.retryable:
                breaker.failed()
            else:
                breaker.succeeded()
            raise
        except BaseException:
            breaker.failed()
            raise
        breaker.succeeded()
        return session

    def _expired(self, command: Command) -> bool:
        max_age = self._settings.commands.max_age
        if max_age is None or command.issued_at is None:
            return False
        issued = command.issued_at
        if issued.tzinfo is None:
            return False  # a naive time cannot be compared safely; the contract asks for RFC 3339 with offset
        return self._clock.now() - issued > timedelta(seconds=max_age)

    def invalid_command(
        self, operation: Operation, envelope: Mapping[str, Any], message: str, field: str | None
    ) -> Event:
        """``session.failed`` for a command that decodes as JSON but breaks the contract."""
        error = ErrorInfo(code=ErrorCode.INVALID_COMMAND.value, message=message, retryable=False, field=field)
        return self._failed(operation, envelope, error)

    def forbidden(self, operation: Operation, envelope: Mapping[str, Any], user_id: str | None) -> Event:
        """The publishing AMQP user may not use the command's account (``[accounts.<name>] publishers``)."""
        who = "a publisher without user_id" if user_id is None else "this publisher (user_id)"
        error = ErrorInfo(
            code=ErrorCode.FORBIDDEN.value,
            message=f"{who} may not send commands for this account",
            retryable=False,
            field="account",
        )
        return self._failed(operation, envelope, error, 0, variant="forbidden")

    def conflict(self, operation: Operation, envelope: Mapping[str, Any], fingerprint: str) -> Event:
        """The same command_id arrived with another payload: refused; the first outcome stands."""
        error = ErrorInfo(
            code=ErrorCode.CONFLICT.value,
            message="command_id was already used for a different payload; the first outcome stands",
            retryable=False,
            field="command_id",
        )
        return self._failed(operation, envelope, error, 0, variant=f"conflict:{fingerprint}")

    def _failed(
        self,
        operation: Operation,
        envelope: Mapping[str, Any],
        error: ErrorInfo,
        attempts: int = 0,
        variant: str = "",
    ) -> SessionFailed:
        key = scoped_id(account_scope(envelope.get("account")), envelope["command_id"])
        return SessionFailed(
            event_id=event_id_for(key, EventType.FAILED, variant),
            occurred_at=self._clock.now(),
            operation=operation,
            error=error,
            attempts=attempts,
            **envelope,
        )


def envelope_of(command: Command) -> dict[str, Any]:
    """The command's identity, copied onto every event about it."""
    order_id = command.order_id if isinstance(command.order_id, str) else None
    amount, currency = getattr(command, "amount", None), getattr(command, "currency", None)  # UNSET: unchanged
    return {
        "command_id": command.command_id,
        "correlation_id": command.correlation_id,
        "provider": provider_of(command),
        "account": command.account,
        "order_id": order_id,
        "amount": amount if isinstance(amount, int) else None,
        "currency": currency if isinstance(currency, str) else None,
    }


def _tag(event_class: type[Event]) -> str:
    tag = event_class.__struct_config__.tag
    assert isinstance(tag, str)
    return tag
