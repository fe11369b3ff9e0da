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
        self.traceparents: list[str | None] = []  # each provider request's W3C traceparent header, in order

    def record(self, provider: str, operation: str, status: int, idempotency_key: str | None = None) -> None:
        self.calls.append(Call(provider, operation, status, idempotency_key, time.time()))

    def reset(self) -> None:
        self.calls.clear()
        self.sessions.clear()
        self.idempotency.clear()
        self.extra.clear()
        self.outages.clear()
        self.traceparents.clear()


ErrorBody = Callable[[int, str | None], web.Response]  # (status, message or None for the default)
_TRANSPORT_HEADERS = frozenset({"host", "user-agent", "accept-encoding", "content-length", "connection"})
_CREDENTIAL_HEADERS = ("authorization", "x-api-key")


async def echoed_request(request: web.Request) -> str:
    """The request quoted back as a reflecting WAF or a chatty API does: method, path, headers and body.
    Credentials come first (so the service's cap on message length cannot hide a leak) and transport headers
    are left out to keep it short. The service must redact every credential in it."""
    headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _TRANSPORT_HEADERS]
    headers.sort(key=lambda header: header[0].lower() not in _CREDENTIAL_HEADERS)
    body = (await request.read()).decode("utf-8", "replace")
    return f"{request.method} {request.path_qs} {'; '.join(f'{k}: {v}' for k, v in headers)} {body}"


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
    return error_body(fault.status, await echoed_request(request) if fault.echo else None)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def send_in_chunks(
    request: web.Request, status: int, body: bytes, *, chunk: int = 4096, pause: float = 0.001
) -> web.StreamResponse:
    """``body`` as a JSON reply in chunked transfer encoding, a little at a time with pauses: a large reply that
    reaches the client in pieces, as real ones do over a network."""
    stream = web.StreamResponse(status=status, headers={"Content-Type": "application/json"})
    stream.enable_chunked_encoding()
    await stream.prepare(request)
    for start in range(0, len(body), chunk):
        await stream.write(body[start : start + chunk])
        await asyncio.sleep(pause)
    await stream.write_eof()
    return stream
