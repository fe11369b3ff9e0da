"""The ports the handlers depend on. Adapters implement them; tests use the real ones or simple fakes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from contracts.commands import CreateSession, UpdateSession
from contracts.events import Event, Session
from service.idempotency.records import Claim, Done

CreateT_contra = TypeVar("CreateT_contra", bound=CreateSession, contravariant=True)
UpdateT_contra = TypeVar("UpdateT_contra", bound=UpdateSession, contravariant=True)


class SessionProvider(Protocol[CreateT_contra, UpdateT_contra]):
    """One provider for one merchant account. Raises ``ProviderError`` for every refusal or fault.

    Each adapter takes its own command types (``CreatePrimerSession``...); the handler routes by the
    command's ``provider`` tag, so the pairing is guaranteed by the registry key.
    """

    async def create(self, command: CreateT_contra) -> Session: ...

    async def update(self, command: UpdateT_contra) -> Session: ...


AnyProvider = SessionProvider[Any, Any]


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class IdempotencyStore(Protocol):
    """One outcome per command_id; see ``service.idempotency``."""

    async def claim(
        self, command_id: str, fingerprint: str, token: str, lease: float, previous: str | None = None
    ) -> Claim:
        """Take the command under the new ``token`` when nobody holds it or its holder is ``previous`` (a lease
        handed over through a retry queue); else say who holds it or what it became."""
        ...

    async def extend(self, command_id: str, token: str, lease: float) -> bool: ...

    async def finish(self, command_id: str, token: str, outcome: Done) -> Done | None:
        """Store ``outcome``; returns the outcome that stands (ours, or an earlier one), None if another
        replica owns the command now."""
        ...

    async def release(self, command_id: str, token: str) -> None: ...

    async def note_session(self, key: str, record: str, noted_at: int, ttl: float) -> None:
        """Keep ``record`` for the session ``key`` unless one noted later (``noted_at``, ms) is there already; it is
        forgotten ``ttl`` seconds on (service.expiry)."""
        ...

    async def session_note(self, key: str) -> str | None:
        """The record kept for the session ``key``, if any."""
        ...

    async def close(self) -> None: ...

    async def ping(self) -> None:
        """Raise ``StoreUnavailable`` unless the store answers (the consumer waits on this after an outage)."""
        ...


class Publisher(Protocol):
    """Confirmed broker writes; each raises ``PublishFailed`` when the broker does not confirm."""

    async def publish_event(
        self, event: Event, *, correlation_id: str | None, reply_to: str | None, trace: Mapping[str, str] = {}
    ) -> None:
        """``trace``: W3C trace context headers (``traceparent``, ``tracestate``) for the event."""
        ...

    async def schedule(self, queue: str, body: bytes, headers: Mapping[str, Any], **properties: Any) -> None: ...

    async def dead_letter(
        self, body: bytes, routing_key: str, headers: Mapping[str, Any], **properties: Any
    ) -> None: ...
