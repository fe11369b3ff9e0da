"""The simulator's web application: every provider's routes on one port, plus a small control API.

Control API (not part of any provider): ``GET /_simulator/calls`` lists every call with its idempotency
key; ``POST /_simulator/reset`` forgets sessions, keys and calls; ``POST /_simulator/faults`` with
``{"path_prefix": "/client-session", "provider": "primer", "status": 503, "count": 2}`` makes the next
``count`` calls under that path answer ``status`` (a provider outage that ends by itself).
"""

from __future__ import annotations

import asyncio
import random

import msgspec
from aiohttp import web

from service.settings import Settings
from service.simulator import acquired, mpgs, primer, worldline
from service.simulator.state import Handler, SimulatorState

REGISTER = (primer.register, mpgs.register, acquired.register, worldline.register)
STATE = web.AppKey("simulator_state", SimulatorState)


class Outage(msgspec.Struct):
    path_prefix: str
    provider: str
    status: int = 503
    count: int = 1


@web.middleware
async def _latency_and_outages(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = request.app[STATE]
    if request.path.startswith("/_simulator"):
        return await handler(request)
    state.traceparents.append(request.headers.get("traceparent"))
    if state.latency_ms:
        await asyncio.sleep(state.latency_ms * random.uniform(0.5, 1.5) / 1000)  # noqa: S311 - jitter only
    for outage in state.outages:
        if outage.count > 0 and request.path.startswith(outage.path_prefix):
            outage.count -= 1
            key = request.headers.get("X-Idempotency-Key") or request.headers.get("X-GCS-Idempotence-Key")
            state.record(outage.provider, "outage", outage.status, key)
            return web.Response(status=outage.status, text="simulated outage")
    return await handler(request)


async def _faults(request: web.Request) -> web.Response:
    request.app[STATE].outages.append(msgspec.json.decode(await request.read(), type=Outage))
    return web.Response(status=204)


async def _calls(request: web.Request) -> web.Response:
    return web.Response(body=msgspec.json.encode(request.app[STATE].calls), content_type="application/json")


async def _reset(request: web.Request) -> web.Response:
    request.app[STATE].reset()
    return web.Response(status=204)


def build_app(settings: Settings, *, hang_seconds: float = 60.0) -> web.Application:
    state = SimulatorState(settings, hang_seconds=hang_seconds)
    app = web.Application(middlewares=[_latency_and_outages], client_max_size=1024 * 1024)
    app[STATE] = state
    for register in REGISTER:
        register(app, state)
    app.router.add_get("/_simulator/calls", _calls)
    app.router.add_post("/_simulator/reset", _reset)
    app.router.add_post("/_simulator/faults", _faults)
    return app


def state_of(app: web.Application) -> SimulatorState:
    return app[STATE]
