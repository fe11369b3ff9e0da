"""The idempotency store (Redis) goes away and comes back."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time

from tests.faults.commands import CREATE, new_id, worldline
from tests.faults.conftest import FaultRun


class RedisSwitch:
    """A local port with nothing behind it (connections refused) until ``on()``: then it forwards to Redis."""

    def __init__(self, target: tuple[str, int] = ("127.0.0.1", 6379)) -> None:
        self.target = target
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self._server: asyncio.Server | None = None

    async def on(self) -> None:
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pump(reader, upstream_writer), pump(upstream_reader, writer))


async def test_store_outage_requeues_commands(faults: FaultRun) -> None:
    """The idempotency store is unreachable: commands wait in the broker (requeued, not dead-lettered, not
    answered); once the store is back they all complete, and the ledger passes."""
    switch = RedisSwitch()
    try:
        replicas = await faults.start(
            1, idempotency={"url": f"redis://127.0.0.1:{switch.port}/0"}, broker={"delivery_limit": 1000}
        )
        commands = [worldline(new_id("store")) for _ in range(5)]
        await faults.ledger.send_all([(CREATE, body) for body in commands])
        deadline = time.monotonic() + 15
        while len(outcomes := [r["outcome"] for r in replicas.log_records() if r.get("event") == "command"]) < 5:
            assert time.monotonic() < deadline, outcomes
            await asyncio.sleep(0.1)
        assert "dead_letter" not in outcomes, outcomes
        await switch.on()
        faults.ledger.faults = 1
        await faults.ledger.check(replicas)
    finally:
        await switch.close()
