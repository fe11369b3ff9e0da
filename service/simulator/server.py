"""``payment-sessions simulate``: the simulator as a standalone server (demo, docker compose)."""

from __future__ import annotations

import asyncio
import signal

import msgspec
import structlog
from aiohttp import web

from service.settings import Settings
from service.simulator.app import build_app

log = structlog.get_logger("payment_sessions.simulator")


async def serve(settings: Settings, *, host: str | None, port: int | None, latency_ms: int | None) -> int:
    simulator = msgspec.structs.replace(
        settings.simulator,
        host=host or settings.simulator.host,
        port=settings.simulator.port if port is None else port,
        latency_ms=settings.simulator.latency_ms if latency_ms is None else latency_ms,
    )
    app = build_app(msgspec.structs.replace(settings, simulator=simulator))
    runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, simulator.host, simulator.port)
    await site.start()
    log.info("simulator listening", host=simulator.host, port=simulator.port, latency_ms=simulator.latency_ms)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()
    return 0
