"""``run``: the service until SIGTERM or SIGINT; ``topology``: declare and exit.

SIGTERM is honoured from the first moment: while the broker connection is still being retried at start, the
start-up is abandoned (what it opened is closed) and the process exits 0 within ``shutdown_grace``. A start-up
failure is one log line and an exit code from ``service.exits``, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal

import structlog

from service.bootstrap import Service, running_service
from service.exits import Exit, ProbePortUnavailable, broker_failure
from service.messaging.connection import connect
from service.messaging.topology import TopologyError, declare
from service.settings import Settings

log = structlog.get_logger("payment_sessions")


# Allocations between young-generation collections (CPython's default is 700; a command allocates thousands).
GC_THRESHOLD = 20_000


async def run(settings: Settings) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with contextlib.AsyncExitStack() as stack:
        try:
            service = await _start(stack, settings, stop)
        except ProbePortUnavailable as exc:
            log.error(str(exc))
            return Exit.HTTP_PORT
        except Exception as exc:  # noqa: BLE001 - _broker_failed raises again what is not a broker failure
            return _broker_failed(exc, settings)
        if service is None:
            log.info("stopped", reason="signal during start-up")
            return Exit.OK
        gc.freeze()  # what start-up made lives as long as the process: the collector need not look at it again
        gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
        log.info("ready", http_port=service.http_port, event_loop=type(loop).__module__.split(".")[0])
        await stop.wait()
        log.info("stopping", reason="signal")
        drained = await service.drain()
    return Exit.OK if drained else Exit.FAILED


async def _start(stack: contextlib.AsyncExitStack, settings: Settings, stop: asyncio.Event) -> Service | None:
    """The started service, or None when ``stop`` came first (start-up is then cancelled and unwound)."""
    starting = asyncio.ensure_future(stack.enter_async_context(running_service(settings)))
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if starting.done():
        return starting.result()
    starting.cancel()
    # closing what start-up opened is quick; the bound keeps the promise of exiting within shutdown_grace
    await asyncio.wait({starting}, timeout=settings.shutdown_grace)
    return None


async def declare_topology(settings: Settings) -> int:
    try:
        connection = await connect(settings.broker, name="payment-sessions-topology")
    except Exception as exc:  # noqa: BLE001 - _broker_failed raises again what is not a broker failure
        return _broker_failed(exc, settings)
    async with connection:
        channel = await connection.channel()
        try:
            await declare(
                channel,
                settings.topology,
                delivery_limit=settings.broker.delivery_limit,
                retry=settings.retry,
                expiry=settings.expiry,
            )
        except TopologyError as exc:  # a mismatch with what exists: one line saying how to migrate
            log.error(str(exc))
            return Exit.USAGE
    log.info("topology declared", **dict(_names(settings)))
    return Exit.OK


def _names(settings: Settings) -> list[tuple[str, str]]:
    topology = settings.topology
    return [(name, getattr(topology, name)) for name in topology.__struct_fields__]


def _broker_failed(exc: Exception, settings: Settings) -> int:
    """The exit code of a broker failure, logged in one line; anything else is raised again."""
    failed = broker_failure(exc, settings.broker.where)
    if failed is None:
        raise exc
    log.error(failed[1])
    return failed[0]
