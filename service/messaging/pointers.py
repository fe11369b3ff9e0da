"""Expiry pointers on the wire, and their group commit.

A pointer message's body is a JSON array of pointers ``[{key, expires_at, noted_at}, ...]`` (service.expiry);
a lone pointer object, as published before pointers were batched, is read too.

``PointerBatcher`` sends the pointers of many commands in one confirmed publish per tier queue: while a publish
to a queue waits for its confirm, the pointers that arrive for that queue wait for the next one, which carries
them all (group commit, as a database commits its log). With one command in flight nothing waits longer than
before; under load one publish and one broker write serve tens of commands. Every caller still returns only
once its own pointers are confirmed, and a publish that fails fails every caller it carried: their commands are
requeued, never acked without their pointer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

import msgspec
from msgspec import Struct

from contracts.codec import CONTENT_TYPE
from service.messaging.publisher import PublishFailed
from service.ports import Publisher

MAX_BATCH = 1000  # pointers per message: ~150 KB, far below any broker's frame and message limits


class Pointer(Struct, frozen=True, forbid_unknown_fields=True):
    """One session's expiry on its way through the tier queues."""

    key: str  # the session's key in the store
    expires_at: datetime
    noted_at: int  # ms: ``occurred_at`` of the event that set this expiry


_decoder = msgspec.json.Decoder(list[Pointer] | Pointer)
_encoder = msgspec.json.Encoder()


def encode(pointers: Sequence[Pointer]) -> bytes:
    return _encoder.encode(pointers)


def decode(body: bytes) -> tuple[Pointer, ...]:
    """The pointers of a message body; raises ``msgspec.DecodeError`` / ``ValidationError`` for anything else."""
    decoded = _decoder.decode(body)
    return (decoded,) if isinstance(decoded, Pointer) else tuple(decoded)


class PointerBatcher:
    def __init__(self, publisher: Publisher, *, max_batch: int = MAX_BATCH) -> None:
        self._publisher = publisher
        self._max_batch = max_batch
        self._waiting: dict[str, list[tuple[Sequence[Pointer], asyncio.Future[None]]]] = {}
        self._sending: dict[str, asyncio.Task[None]] = {}

    async def send(self, queue: str, pointers: Sequence[Pointer]) -> None:
        """Returns once ``pointers`` are confirmed in ``queue``; raises ``PublishFailed`` otherwise."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(queue, []).append((pointers, done))
        if queue not in self._sending:
            self._sending[queue] = asyncio.create_task(self._send_all(queue))
        await done  # a caller that gives up cancels only its own wait: the publish goes on for the others

    async def _send_all(self, queue: str) -> None:
        try:
            while waiting := self._waiting.pop(queue, None):
                batch: list[tuple[Sequence[Pointer], asyncio.Future[None]]] = []
                size = 0
                for item in waiting:
                    if batch and size + len(item[0]) > self._max_batch:
                        await self._publish(queue, batch)
                        batch, size = [], 0
                    batch.append(item)
                    size += len(item[0])
                await self._publish(queue, batch)
        finally:
            del self._sending[queue]

    async def _publish(self, queue: str, batch: list[tuple[Sequence[Pointer], asyncio.Future[None]]]) -> None:
        body = encode([pointer for pointers, _ in batch for pointer in pointers])
        try:
            await self._publisher.schedule(queue, body, {}, content_type=CONTENT_TYPE)
        except Exception as exc:  # noqa: BLE001 - every caller learns it; none is acked
            failure = exc if isinstance(exc, PublishFailed) else PublishFailed(f"{type(exc).__name__} to {queue}")
            for _, done in batch:
                if not done.done():
                    done.set_exception(failure)
        else:
            for _, done in batch:
                if not done.done():
                    done.set_result(None)
