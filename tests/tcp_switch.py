"""A switchable, optionally slow TCP hop (to Redis unless told otherwise) for faults of the store and the broker."""

from __future__ import annotations

import asyncio
import contextlib
import socket


class TcpSwitch:
    """A local port with nothing behind it (connections refused) until ``on()``: then it forwards to Redis,
    each reply ``delay`` seconds late (a slow store)."""

    def __init__(self, target: tuple[str, int] = ("127.0.0.1", 6379), *, delay: float = 0.0) -> None:
        self.target = target
        self.delay = delay
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def on(self) -> None:
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port)

    async def off(self) -> None:
        """Refuse new connections and cut the ones in use: Redis is gone for every client."""
        await self.close()
        for writer in self._writers:
            writer.close()
        self._writers.clear()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        self._writers += [writer, upstream_writer]

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter, delay: float = 0.0) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await source.read(65536):
                    await asyncio.sleep(delay)
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pump(reader, upstream_writer), pump(upstream_reader, writer, self.delay))
