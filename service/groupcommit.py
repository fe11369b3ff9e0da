"""Group commit: many callers' items sent in one round trip, as a database commits its log.

While one flush is on its way, the items that arrive wait for the next, which carries them all. One caller alone
waits for nobody (a flush of one); under load one round trip serves tens of callers. Each caller gets its own
result or error: ``flush`` returns one per item (an exception for an item that failed on its own) or raises,
and then every caller of that flush gets the error. A caller that gives up cancels only its own wait.

Used for expiry pointers (one confirmed publish per tier queue: service.messaging.pointers) and the Redis
store's calls (one pipeline: service.idempotency.redis_store).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    def __init__(self, flush: Callable[[list[T]], Awaitable[Sequence[R | Exception]]]) -> None:
        self._flush = flush
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._sending: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        done: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if self._sending is None:
            self._sending = asyncio.create_task(self._send_all())
        return await done

    async def _send_all(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    results: Sequence[R | Exception] = await self._flush([item for item, _ in batch])
                except Exception as exc:  # noqa: BLE001 - every caller of this flush learns it
                    results = [exc] * len(batch)
                for (_, done), result in zip(batch, results, strict=True):
                    if done.done():  # its caller gave up
                        continue
                    if isinstance(result, Exception):
                        done.set_exception(result)
                    else:
                        done.set_result(result)
        finally:
            self._sending = None
