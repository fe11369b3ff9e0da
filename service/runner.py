"""``run``: the service until SIGTERM or SIGINT; ``topology``: declare and exit."""

from __future__ import annotations

import asyncio
import signal

import structlog

from service.bootstrap import running_service
from service.messaging.connection import connect
from service.messaging.topology import declare
from service.settings import Settings

log = structlog.get_logger("payment_sessions")


async def run(settings: Settings) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with running_service(settings) as service:
            log.info("ready", http_port=service.http_port)
            await stop.wait()
            log.info("stopping", reason="signal")
            drained = await service.drain()
    except ConnectionError as exc:
        log.error("broker unreachable", error=str(exc))
        return 1
    return 0 if drained else 1


async def declare_topology(settings: Settings) -> int:
    connection = await connect(settings.broker, name="payment-sessions-topology")
    async with connection:
        channel = await connection.channel()
        await declare(channel, settings.topology, delivery_limit=settings.broker.delivery_limit)
    log.info("topology declared", **dict(_names(settings)))
    return 0


def _names(settings: Settings) -> list[tuple[str, str]]:
    topology = settings.topology
    return [(name, getattr(topology, name)) for name in topology.__struct_fields__]
