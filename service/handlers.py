"""create_session / update_session: pure orchestration over the provider port. No AMQP, no HTTP here.

A provider's refusal is a fact and becomes ``session.failed``; only a bug escapes as an exception.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Final, Literal

from contracts.commands import CreateSession, UpdateSession, provider_of
from contracts.events import ErrorInfo, Event, SessionCreated, SessionFailed, SessionUpdated
from contracts.names import ErrorCode, EventType
from service.ports import AnyProvider, Clock
from service.providers.base import ProviderError

EVENT_NAMESPACE: Final = uuid.UUID("6f1d6e2a-6d1c-4c0a-9a53-2f8f3f1c9b71")

Operation = Literal["create", "update"]


def event_id_for(command_id: str, event_type: EventType, variant: str = "") -> str:
    """Deterministic: a redelivered command yields the same event id for the same outcome."""
    return str(uuid.uuid5(EVENT_NAMESPACE, f"{command_id}\x1f{event_type.value}\x1f{variant}"))


class SessionHandlers:
    def __init__(self, providers: Mapping[tuple[str, str], AnyProvider], clock: Clock) -> None:
        self._providers = providers
        self._clock = clock

    async def handle(self, operation: Operation, command: CreateSession | UpdateSession) -> Event:
        """Create or update a session at the command's provider; every refusal is a ``session.failed``."""
        provider_id = provider_of(command)
        adapter = self._providers.get((command.account, provider_id))
        if adapter is None:
            error = ErrorInfo(
                code=ErrorCode.INVALID_COMMAND.value,
                message=f"account {command.account!r} has no {provider_id} configuration",
                retryable=False,
                field="account",
            )
            return self._failed(operation, _envelope(command), error)
        try:
            if operation == "create":
                session = await adapter.create(command)
            else:
                session = await adapter.update(command)
        except ProviderError as exc:
            return self._failed(operation, _envelope(command), exc.to_error_info())
        event_type = EventType.CREATED if operation == "create" else EventType.UPDATED
        event_class = SessionCreated if operation == "create" else SessionUpdated
        return event_class(
            event_id=event_id_for(command.command_id, event_type),
            occurred_at=self._clock.now(),
            session=session,
            **_envelope(command),
        )

    def invalid_command(
        self, operation: Operation, envelope: Mapping[str, Any], message: str, field: str | None
    ) -> Event:
        """``session.failed`` for a command that decodes as JSON but breaks the contract."""
        error = ErrorInfo(code=ErrorCode.INVALID_COMMAND.value, message=message, retryable=False, field=field)
        return self._failed(operation, envelope, error)

    def _failed(self, operation: Operation, envelope: Mapping[str, Any], error: ErrorInfo) -> SessionFailed:
        return SessionFailed(
            event_id=event_id_for(envelope["command_id"], EventType.FAILED),
            occurred_at=self._clock.now(),
            operation=operation,
            error=error,
            **envelope,
        )


def _envelope(command: CreateSession | UpdateSession) -> dict[str, Any]:
    order_id = command.order_id if isinstance(command.order_id, str) else None
    return {
        "command_id": command.command_id,
        "correlation_id": command.correlation_id,
        "provider": provider_of(command),
        "account": command.account,
        "order_id": order_id,
    }
