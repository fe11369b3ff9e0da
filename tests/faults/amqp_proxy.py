"""A TCP hop between one replica and the broker that reads AMQP 0-9-1 frames, to crash at an exact point.

R2 needs a crash *after the event is confirmed and before the command is acked*: a SIGKILL at a random
moment hits that window by luck only. The proxy makes it deterministic. Once armed, it watches the
replica's frames for a ``basic.publish`` to the events exchange; from the next method frame on it forwards
nothing more from the replica (so the ack never reaches the broker), while the broker's frames still flow
(so the event's confirm reaches the replica). ``confirmed`` is set when that confirm has gone through. The
test then SIGKILLs the replica: the broker sees the connection drop with the command unacked.

``hold="publish"`` instead holds from the event's ``basic.publish`` itself: the crash falls between storing
the outcome and publishing it.

Frame layout (AMQP 0-9-1 §4.2.3): type (1 byte), channel (2), size (4), payload, 0xCE. A method payload
starts with class id and method id (2 bytes each); ``basic.publish`` (60, 40) carries a reserved short and
then the exchange name as a short string; ``basic.ack`` (60, 80) from the broker is a publisher confirm.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from typing import Literal

METHOD, HEARTBEAT = 1, 8
BASIC_PUBLISH, BASIC_ACK = (60, 40), (60, 80)
PROTOCOL_HEADER_SIZE = 8


def _method(payload: bytes) -> tuple[int, int]:
    cls, method = struct.unpack(">HH", payload[:4])
    return cls, method


def _publish_exchange(payload: bytes) -> str:
    length = payload[6]
    return payload[7 : 7 + length].decode(errors="replace")


class AmqpProxy:
    def __init__(self, upstream_host: str, upstream_port: int, events_exchange: str) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.events_exchange = events_exchange
        self.hold: Literal["ack", "publish"] = "ack"
        self.armed = False
        self.published = asyncio.Event()  # the event's publish reached the broker (hold="ack")
        self.held = asyncio.Event()  # from now on nothing of the replica's reaches the broker
        self.confirmed = asyncio.Event()  # the broker confirmed the event to the replica
        self._holding = False
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    def arm(self, hold: Literal["ack", "publish"] = "ack") -> None:
        self.hold = hold
        self.armed = True

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in self._writers:
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        broker_reader, broker_writer = await asyncio.open_connection(*self.upstream)
        self._writers += [client_writer, broker_writer]
        pumps = {
            asyncio.ensure_future(self._replica_to_broker(client_reader, broker_writer)),
            asyncio.ensure_future(self._broker_to_replica(broker_reader, client_writer)),
        }
        self._tasks |= pumps
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        for task in pumps:
            task.cancel()
        for writer in (client_writer, broker_writer):
            writer.close()

    async def _replica_to_broker(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            writer.write(await reader.readexactly(PROTOCOL_HEADER_SIZE))
            while True:
                header = await reader.readexactly(7)
                kind, _, size = struct.unpack(">BHI", header)
                payload = await reader.readexactly(size + 1)
                if self._should_hold(kind, payload):
                    self._holding = True
                    self.held.set()
                if self._holding:
                    continue  # swallowed: the broker never sees it
                writer.write(header + payload)
                await writer.drain()

    def _should_hold(self, kind: int, payload: bytes) -> bool:
        if not self.armed or self._holding:
            return False
        if kind == METHOD and _method(payload) == BASIC_PUBLISH and _publish_exchange(payload) == self.events_exchange:
            if self.hold == "publish":
                return True
            self.published.set()
            return False
        # the first method (or heartbeat) frame after the event's content frames: the ack, or anything later
        return self.published.is_set() and kind in (METHOD, HEARTBEAT)

    async def _broker_to_replica(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                header = await reader.readexactly(7)
                kind, _, size = struct.unpack(">BHI", header)
                payload = await reader.readexactly(size + 1)
                writer.write(header + payload)
                await writer.drain()
                if kind == METHOD and self.published.is_set() and _method(payload) == BASIC_ACK:
                    self.confirmed.set()
