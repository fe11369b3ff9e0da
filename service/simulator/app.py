"""The simulator's web application: every provider's routes on one port, plus a small control API.

Control API (not part of any provider): ``GET /_simulator/calls`` lists every call with its idempotency
key; ``POST /_simulator/reset`` forgets sessions, keys and calls.
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


@web.middleware
async def _latency(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = request.app[STATE]
    if state.latency_ms and not request.path.startswith("/_simulator"):
        await asyncio.sleep(state.latency_ms * random.uniform(0.5, 1.5) / 1000)  # noqa: S311 - jitter only
    return await handler(request)


async def _calls(request: web.Request) -> web.Response:
    return web.Response(body=msgspec.json.encode(request.app[STATE].calls), content_type="application/json")


async def _reset(request: web.Request) -> web.Response:
    request.app[STATE].reset()
    return web.Response(status=204)


def build_app(settings: Settings, *, hang_seconds: float = 60.0) -> web.Application:
    state = SimulatorState(settings, hang_seconds=hang_seconds)
    app = web.Application(middlewares=[_latency], client_max_size=1024 * 1024)
    app[STATE] = state
    for register in REGISTER:
        register(app, state)
    app.router.add_get("/_simulator/calls", _calls)
    app.router.add_post("/_simulator/reset", _reset)
    return app


def state_of(app: web.Application) -> SimulatorState:
    return app[STATE]
