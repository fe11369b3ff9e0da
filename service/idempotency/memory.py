"""In-process store for a single replica and for development. Same semantics as the Redis store, bounded:
beyond ``max_records`` the oldest finished outcomes are forgotten first (a duplicate arriving after that is
treated as new); leases in progress are never evicted."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from service.idempotency.records import Busy, Claim, Claimed, Done, Record


class MemoryStore:
    def __init__(
        self,
        retention: float,
        max_records: int = 200_000,
        clock: Callable[[], float] = time.monotonic,
        on_evict: Callable[[], None] = lambda: None,
    ) -> None:
        self._retention = retention
        self._max_records = max_records
        self._clock = clock
        self._on_evict = on_evict
        self._busy: dict[str, tuple[Busy, float]] = {}
        self._done: OrderedDict[str, tuple[Done, float]] = OrderedDict()  # oldest first: expiry order too
        self._sessions: dict[str, tuple[int, str, float]] = {}  # key -> (noted_at, record, forget at)

    def __len__(self) -> int:
        return len(self._busy) + len(self._done)

    def _get(self, command_id: str) -> Record | None:
        entry: tuple[Record, float] | None = self._busy.get(command_id) or self._done.get(command_id)
        if entry is None:
            return None
        if entry[1] <= self._clock():
            self._forget(command_id)
            return None
        return entry[0]

    def _forget(self, command_id: str) -> None:
        self._busy.pop(command_id, None)
        self._done.pop(command_id, None)

    def _lease(self, command_id: str, busy: Busy, ttl: float) -> None:
        self._busy[command_id] = (busy, self._clock() + ttl)
        self._bound()

    def _keep(self, command_id: str, done: Done) -> None:
        self._busy.pop(command_id, None)
        self._done[command_id] = (done, self._clock() + self._retention)
        self._done.move_to_end(command_id)
        self._bound()

    def _bound(self) -> None:
        """Drop expired outcomes, then the oldest ones while over the cap. Finished outcomes share one
        retention, so insertion order is expiry order and the sweep stops at the first live one."""
        now = self._clock()
        while self._done and next(iter(self._done.values()))[1] <= now:
            self._done.popitem(last=False)
        if len(self) > self._max_records:  # leases whose holder vanished: swept only when they matter
            for command_id in [key for key, (_, expiry) in self._busy.items() if expiry <= now]:
                del self._busy[command_id]
        while len(self) > self._max_records and self._done:
            self._done.popitem(last=False)
            self._on_evict()

    async def claim(
        self, command_id: str, fingerprint: str, token: str, lease: float, previous: str | None = None
    ) -> Claim:
        current = self._get(command_id)
        if current is None or (isinstance(current, Busy) and previous is not None and current.token == previous):
            self._lease(command_id, Busy(token, fingerprint), lease)
            return Claimed(token)
        return current

    async def extend(self, command_id: str, token: str, lease: float) -> bool:
        current = self._get(command_id)
        if isinstance(current, Busy) and current.token == token:
            self._lease(command_id, current, lease)
            return True
        return False

    async def finish(self, command_id: str, token: str, outcome: Done) -> Done | None:
        current = self._get(command_id)
        if isinstance(current, Done):
            return current
        if isinstance(current, Busy) and current.token != token:
            return None
        self._keep(command_id, outcome)
        return outcome

    async def release(self, command_id: str, token: str) -> None:
        current = self._get(command_id)
        if isinstance(current, Busy) and current.token == token:
            del self._busy[command_id]

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._busy.clear()
        self._done.clear()

    async def note_session(self, key: str, record: str, noted_at: int, ttl: float) -> None:
        now = self._clock()
        current = self._sessions.get(key)
        if current is None or current[2] <= now or current[0] <= noted_at:
            self._sessions[key] = (noted_at, record, now + ttl)
        if len(self._sessions) > self._max_records:  # bounded like the outcomes: the oldest noted go first
            for stale in sorted(self._sessions, key=lambda k: self._sessions[k][0])[: len(self._sessions) // 10]:
                del self._sessions[stale]

    async def session_note(self, key: str) -> str | None:
        current = self._sessions.get(key)
        if current is None or current[2] <= self._clock():
            return None
        return current[1]
