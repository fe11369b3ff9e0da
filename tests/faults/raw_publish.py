"""A publisher for what no well-behaved AMQP client sends but RabbitMQ accepts from anyone.

The client libraries refuse to encode a short string that is not UTF-8 or a timestamp past the year 9999, so
the message is published with placeholders through a TCP hop that replaces them, byte for byte and of the same
length, on the way to the broker. RabbitMQ stores and delivers such properties unchanged (checked on 3.10).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import struct
from typing import Final

from yarl import URL

# Placeholders and what replaces them on the wire (same length each).
MESSAGE_ID: Final = "MSGID-PLACEHOLDER"
REPLY_TO: Final = "REPLYTO-PLACEHOLDER"
HEADER_NAME: Final = "HNAME-PLACEHOLDER"
TIMESTAMP: Final = dt.datetime(2001, 2, 3, 4, 5, 6, tzinfo=dt.UTC)
_REPLACEMENTS: Final = {
    MESSAGE_ID.encode(): b"MSGID-\xff\xfe\xfd\xc3\x28HOLDER",
    REPLY_TO.encode(): b"REPLYTO-\xff\xfe\xc3\x28\x80HOLDER",
    HEADER_NAME.encode(): b"HNAME-\xff\xfe\xfd\xfc\x80HOLDER",
    struct.pack(">Q", int(TIMESTAMP.timestamp())): struct.pack(">Q", 2**63 - 1),
}
assert all(len(a) == len(b) for a, b in _REPLACEMENTS.items())


class RewritingHop:
    """Listens on a free local port and forwards to the broker, rewriting placeholders client → broker."""

    def __init__(self, broker_url: str) -> None:
        url = URL(broker_url)
        self._upstream = (url.host or "127.0.0.1", url.port or 5672)
        self._broker_url = url
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> str:
        """Starts the hop; returns the broker URL that goes through it."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = int(self._server.sockets[0].getsockname()[1])
        return str(self._broker_url.with_host("127.0.0.1").with_port(port))

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self._upstream)
        pumps = [
            asyncio.ensure_future(_pump(reader, upstream_writer, rewrite=True)),
            asyncio.ensure_future(_pump(upstream_reader, writer, rewrite=False)),
        ]
        self._tasks.update(pumps)
        await asyncio.gather(*pumps, return_exceptions=True)


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter, *, rewrite: bool) -> None:
    with contextlib.suppress(ConnectionError, asyncio.CancelledError):
        while data := await source.read(65536):
            if rewrite:
                for placeholder, raw in _REPLACEMENTS.items():
                    data = data.replace(placeholder, raw)
            sink.write(data)
            await sink.drain()
    sink.close()
