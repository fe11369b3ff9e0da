"""The provider stand-in: Primer's ``POST /client-session`` after a fixed latency, in its own process.

Two handlers behind the same latency-and-timing middleware:

- ``simulator`` (default): the service's own Primer simulator (``service/simulator/primer.py``: API key and
  version checked, strict body, 409 on a reused idempotency key), registered on this app without the simulator's
  jittered latency (±50%, which would swamp the added latency the bench measures);
- ``minimal``: a reply with just what the Primer adapter reads (``clientToken``, ``clientTokenExpirationDate``,
  ``warnings``; ``service/providers/primer/wire.py``) plus the echoed order fields.

Each request's service time (middleware entry to reply, so including any scheduling delay in this process) is
recorded under the body's ``orderId``: the bench sets ``order_id`` to the command id and subtracts, per command,
the time spent in here from the end-to-end latency.

Control (not Primer): ``GET /_bench/times`` answers ``{orderId: ms}`` and forgets them (and the simulator's
sessions); ``POST /_bench/latency`` ``{"latency_ms": N}`` changes the latency. Binds a free port and prints
``listening <port>``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import signal
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from service.settings import settings_from_mapping
from service.simulator import primer
from service.simulator.state import SimulatorState

EXPIRES = (datetime.now(UTC) + timedelta(hours=24)).replace(tzinfo=None).isoformat()  # "UTC, no timezone info"
LATENCY = web.AppKey("latency_s", list)
TIMES = web.AppKey("times_ms", dict)
RESET = web.AppKey("reset", list)
API_KEY = web.AppKey("api_key", str)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def fixed_latency(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(("/_bench", "/v1/traces")):
        return await handler(request)
    started = time.perf_counter()
    order_id = json.loads(await request.read()).get("orderId")  # read once: aiohttp keeps it for the handler
    await asyncio.sleep(request.app[LATENCY][0])
    response = await handler(request)
    request.app[TIMES][order_id] = (time.perf_counter() - started) * 1000
    return response


async def minimal_session(request: web.Request) -> web.Response:
    if request.headers.get("X-Api-Key") != request.app[API_KEY]:
        return web.json_response({"error": {"errorId": "Unauthorized", "description": "bad key"}}, status=401)
    body = json.loads(await request.read())
    reply = {
        "clientToken": "bench_" + secrets.token_urlsafe(18),
        "clientTokenExpirationDate": EXPIRES,
        "orderId": body.get("orderId"),
        "currencyCode": body.get("currencyCode"),
        "amount": body.get("amount"),
        "warnings": [],
    }
    return web.json_response(reply)


def add_simulator(app: web.Application, api_key: str) -> Callable[[], Any]:
    """The simulator's Primer routes on ``app``; returns what forgets its sessions and call ledger."""
    account = {"primer": {"base_url": "http://127.0.0.1", "api_key": api_key}}
    state = SimulatorState(settings_from_mapping({"accounts": {"default": account}}, {}))
    primer.register(app, state)
    return state.reset


async def times(request: web.Request) -> web.Response:
    recorded, request.app[TIMES] = request.app[TIMES], {}
    for reset in request.app[RESET]:
        reset()
    return web.json_response(recorded)


async def otlp_traces(request: web.Request) -> web.Response:
    """An OTLP/HTTP collector that takes every batch and keeps nothing."""
    await request.read()
    return web.Response(status=200, content_type="application/x-protobuf")


async def set_latency(request: web.Request) -> web.Response:
    request.app[LATENCY][0] = json.loads(await request.read())["latency_ms"] / 1000
    return web.Response(status=204)


def build(handler: str, latency_ms: float, api_key: str) -> web.Application:
    app = web.Application(middlewares=[fixed_latency])
    app[LATENCY], app[TIMES], app[API_KEY], app[RESET] = [latency_ms / 1000], {}, api_key, []
    if handler == "simulator":
        app[RESET].append(add_simulator(app, api_key))
    else:
        app.router.add_post("/client-session", minimal_session)
    app.router.add_get("/_bench/times", times)
    app.router.add_post("/_bench/latency", set_latency)
    app.router.add_post("/v1/traces", otlp_traces)  # `--otel`: the service's spans land here and are dropped
    return app


async def serve(app: web.Application) -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    print(f"listening {runner.addresses[0][1]}", flush=True)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--api-key", default="bench-key")
    parser.add_argument("--handler", choices=["simulator", "minimal"], default="simulator")
    args = parser.parse_args()
    asyncio.run(serve(build(args.handler, args.latency_ms, args.api_key)))


if __name__ == "__main__":
    main()
