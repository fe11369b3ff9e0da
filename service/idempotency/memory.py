"""In-process store for a single replica (the default). Same semantics as the Redis store."""

from __future__ import annotations

import time
from collections.abc import Callable

from service.idempotency.records import Busy, Claim, Claimed, Done, Record


class MemoryStore:
    def __init__(self, retention: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._retention = retention
        self._clock = clock
        self._records: dict[str, tuple[Record, float]] = {}

    def _get(self, command_id: str) -> Record | None:
        entry = self._records.get(command_id)
        if entry is None:
            return None
        if entry[1] <= self._clock():
            del self._records[command_id]
            return None
        return entry[0]

    def _put(self, command_id: str, record: Record, ttl: float) -> None:
        self._records[command_id] = (record, self._clock() + ttl)
        if len(self._records) % 1024 == 0:
            self._sweep()

    def _sweep(self) -> None:
        now = self._clock()
        for key in [key for key, (_, expiry) in self._records.items() if expiry <= now]:
            del self._records[key]

    async def claim(
        self, command_id: str, fingerprint: str, token: str, lease: float, previous: str | None = None
    ) -> Claim:
        current = self._get(command_id)
        if current is None or (isinstance(current, Busy) and previous is not None and current.token == previous):
            self._put(command_id, Busy(token, fingerprint), lease)
            return Claimed(token)
        return current

    async def extend(self, command_id: str, token: str, lease: float) -> bool:
        current = self._get(command_id)
        if isinstance(current, Busy) and current.token == token:
            self._put(command_id, current, lease)
            return True
        return False

    async def finish(self, command_id: str, token: str, outcome: Done) -> Done | None:
        current = self._get(command_id)
        if isinstance(current, Done):
            return current
        if isinstance(current, Busy) and current.token != token:
            return None
        self._put(command_id, outcome, self._retention)
        return outcome

    async def release(self, command_id: str, token: str) -> None:
        current = self._get(command_id)
        if isinstance(current, Busy) and current.token == token:
            del self._records[command_id]

    async def close(self) -> None:
        self._records.clear()
