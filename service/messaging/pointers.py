"""Expiry pointers on the wire, and their group commit.

A pointer message's body is a JSON array of pointers ``[{key, expires_at, noted_at}, ...]`` (service.expiry);
a lone pointer object, as published before pointers were batched, is read too.

``PointerBatcher`` sends the pointers of many commands in one confirmed publish per tier queue: while a publish
to a queue waits for its confirm, the pointers that arrive for that queue wait for the next one, which carries
them all (``service.groupcommit``). With one command in flight nothing waits longer than
before; under load one publish and one broker write serve tens of commands. Every caller still returns only
once its own pointers are confirmed, and a publish that fails fails every caller it carried: their commands are
requeued, never acked without their pointer.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime

import msgspec
from msgspec import Struct

from contracts.codec import CONTENT_TYPE
from service.groupcommit import GroupCommit
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
    """One group commit (service.groupcommit) per tier queue; a flush over ``max_batch`` pointers is split."""

    def __init__(self, publisher: Publisher, *, max_batch: int = MAX_BATCH) -> None:
        self._publisher = publisher
        self._max_batch = max_batch
        self._queues: dict[str, GroupCommit[Sequence[Pointer], None]] = {}

    async def send(self, queue: str, pointers: Sequence[Pointer]) -> None:
        """Returns once ``pointers`` are confirmed in ``queue``; raises ``PublishFailed`` otherwise."""
        if (commit := self._queues.get(queue)) is None:
            commit = self._queues[queue] = GroupCommit(functools.partial(self._flush, queue))
        await commit.submit(pointers)

    async def _flush(self, queue: str, waiting: list[Sequence[Pointer]]) -> list[Exception | None]:
        results: list[Exception | None] = []
        start, size = 0, 0
        for end, pointers in enumerate(waiting):
            if end > start and size + len(pointers) > self._max_batch:
                results += await self._publish(queue, waiting[start:end])
                start, size = end, 0
            size += len(pointers)
        return results + await self._publish(queue, waiting[start:])

    async def _publish(self, queue: str, batch: list[Sequence[Pointer]]) -> list[Exception | None]:
        try:
            await self._publisher.schedule(queue, encode([p for pointers in batch for p in pointers]), {},
                                           content_type=CONTENT_TYPE)  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - every caller in this publish learns it; none is acked
            failure = exc if isinstance(exc, PublishFailed) else PublishFailed(f"{type(exc).__name__} to {queue}")
            return [failure] * len(batch)
        return [None] * len(batch)
