"""What the simulator remembers: sessions per provider, idempotency keys, and every call (the ledger)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from msgspec import Struct

from service.settings import Settings
from service.simulator.triggers import HTML_ERROR_PAGE, Fault


class Call(Struct, frozen=True):
    provider: str
    operation: str
    status: int
    idempotency_key: str | None = None
    at: float = 0.0


class SimulatorState:
    def __init__(self, settings: Settings, *, hang_seconds: float = 60.0) -> None:
        self.settings = settings
        self.hang_seconds = hang_seconds
        self.latency_ms = settings.simulator.latency_ms
        self.calls: list[Call] = []
        self.sessions: dict[str, dict[str, Any]] = {}  # "<provider>:<id>" -> stored session
        self.idempotency: dict[str, Any] = {}  # "<provider>:<key>" -> what the first request got
        self.extra: dict[str, Any] = {}  # per-provider state (tokens, counters)
        self.outages: list[Any] = []  # app.Outage: the next calls under a path fail

    def record(self, provider: str, operation: str, status: int, idempotency_key: str | None = None) -> None:
        self.calls.append(Call(provider, operation, status, idempotency_key, time.time()))

    def reset(self) -> None:
        self.calls.clear()
        self.sessions.clear()
        self.idempotency.clear()
        self.extra.clear()
        self.outages.clear()


ErrorBody = Callable[[int], web.Response]


async def apply_fault(
    fault: Fault, state: SimulatorState, request: web.Request, error_body: ErrorBody
) -> web.StreamResponse:
    """Carry out a triggered fault; the caller has already recorded the call."""
    if fault.kind == "hang":
        await asyncio.sleep(state.hang_seconds)
        return web.Response(status=504, text="simulator hang ended")
    if fault.kind == "garbage":
        return web.Response(status=200, body=b'{"truncated": ', content_type="application/json")
    if fault.kind == "reset":
        if request.transport is not None:
            request.transport.abort()
        raise ConnectionResetError("simulated connection reset")
    if fault.html:
        return web.Response(status=fault.status, body=HTML_ERROR_PAGE, content_type="text/html")
    return error_body(fault.status)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
