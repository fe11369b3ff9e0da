"""The ports the handlers depend on. Adapters implement them; tests use the real ones or simple fakes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from contracts.commands import CreateSession, UpdateSession
from contracts.events import Session

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
