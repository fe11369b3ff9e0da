"""The Bearer token of one Acquired account: cached, refreshed shortly before expiry, fetched single-flight."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from msgspec import Struct

from service.ports import Clock

MAX_REFRESH_MARGIN = 60.0  # seconds before expiry to log in again (or 10% of the lifetime if smaller)

Login = Callable[[], Awaitable[tuple[str, int]]]  # -> (access_token, expires_in seconds)


class AccessToken(Struct, frozen=True):
    value: str
    refresh_at: datetime

    def __repr__(self) -> str:  # the token is a credential: never show it
        return f"AccessToken(refresh_at={self.refresh_at.isoformat()})"


def refresh_time(issued_at: datetime, expires_in: int) -> datetime:
    """When to stop using a token: ``expires_in`` minus min(60 s, 10% of ``expires_in``)."""
    lifetime = max(expires_in, 0)
    margin = min(MAX_REFRESH_MARGIN, lifetime / 10)
    return issued_at + timedelta(seconds=lifetime - margin)


class TokenCache:
    """One per adapter (so one per account). Concurrent callers share one login through a lock."""

    def __init__(self, clock: Clock, login: Login) -> None:
        self._clock = clock
        self._login = login
        self._token: AccessToken | None = None
        self._lock = asyncio.Lock()

    def _fresh(self) -> str | None:
        token = self._token
        if token is not None and self._clock.now() < token.refresh_at:
            return token.value
        return None

    async def get(self) -> str:
        """A valid token, logging in when none is cached or the cached one is due for refresh."""
        cached = self._fresh()
        if cached is not None:
            return cached
        async with self._lock:
            cached = self._fresh()  # another caller may have logged in while we waited
            if cached is not None:
                return cached
            value, expires_in = await self._login()
            self._token = AccessToken(value, refresh_time(self._clock.now(), expires_in))
            return value

    def discard(self, value: str) -> None:
        """Forget ``value`` after Acquired refused it (401); a newer token from another caller stays."""
        if self._token is not None and self._token.value == value:
            self._token = None
