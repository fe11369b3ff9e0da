"""``ProviderHttp`` against a real local aiohttp server: replies are read whole (chunked or not, however slowly
they arrive), a reply over the cap is refused without parsing, and an error body loses every credential."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
from collections.abc import AsyncIterator

import aiohttp
import msgspec
import pytest
from aiohttp import web

from contracts.names import ErrorCode
from service.bootstrap import provider_session
from service.metrics import Metrics
from service.providers.base import ProviderError
from service.providers.http import MAX_REPLY_BYTES, ProviderHttp
from tests.unit.fakes import unit_settings

REPLY_BYTES = 250 * 1024  # the Primer reply that was read as 108 KB
SMALL_CAP = 64 * 1024


def payload(size: int) -> bytes:
    return bytes(ord("a") + i % 26 for i in range(size))


async def _write_slowly(response: web.StreamResponse, request: web.Request, body: bytes) -> web.StreamResponse:
    await response.prepare(request)
    with contextlib.suppress(ConnectionResetError):  # a client that refused the reply hangs up
        for start in range(0, len(body), 2048):
            await response.write(body[start : start + 2048])
            await asyncio.sleep(0.001)  # the client sees the body arrive in pieces
        await response.write_eof()
    return response


async def chunked(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    response.enable_chunked_encoding()
    return await _write_slowly(response, request, payload(int(request.query["size"])))


async def sized(request: web.Request) -> web.StreamResponse:
    body = payload(int(request.query["size"]))
    response = web.StreamResponse()
    response.content_length = len(body)
    return await _write_slowly(response, request, body)


async def declared_huge(request: web.Request) -> web.StreamResponse:
    """Declares 10 MiB, sends 1 KB, then stalls: only an early refusal answers quickly."""
    response = web.StreamResponse()
    response.content_length = 10 * 1024 * 1024
    await response.prepare(request)
    await response.write(payload(1024))
    await asyncio.sleep(30)
    return response


async def echo(request: web.Request) -> web.Response:
    """Quotes the request back in its JSON error, headers and body, like a reflecting WAF; ``?status=``."""
    headers = "; ".join(f"{name}: {value}" for name, value in request.headers.items())
    quoted = f"{headers} {(await request.read()).decode()}"
    return web.json_response({"error": {"description": quoted}}, status=int(request.query["status"]))


async def sets_cookie(request: web.Request) -> web.Response:
    """Sets a cookie, as a provider's load balancer may, and says which cookie the request carried."""
    response = web.json_response({"cookie": request.headers.get("Cookie")})
    response.set_cookie("sticky", "shop-a-node-3", path="/")
    return response


@pytest.fixture
async def server() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/cookie", sets_cookie)
    app.router.add_get("/chunked", chunked)
    app.router.add_get("/sized", sized)
    app.router.add_get("/declared-huge", declared_huge)
    app.router.add_post("/echo", echo)
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with provider_session(unit_settings()) as client:  # the service's own
        yield client


async def test_no_cookie_a_provider_set_rides_along_on_the_next_call(
    server: str, session: aiohttp.ClientSession
) -> None:
    """One session serves every account: a cookie set on one account's call must not reach another's."""
    http = ProviderHttp(session, Metrics())
    assert msgspec.json.decode(await get(http, f"{server}/cookie")) == {"cookie": None}
    assert msgspec.json.decode(await get(http, f"{server}/cookie")) == {"cookie": None}


async def get(http: ProviderHttp, url: str) -> bytes:
    reply = await http.send("primer", "create", "GET", url, headers={}, timeout=5)
    assert reply.status == 200
    return reply.body


@pytest.mark.parametrize("route", ["chunked", "sized"])
async def test_a_large_reply_arriving_in_pieces_is_read_whole(
    server: str, session: aiohttp.ClientSession, route: str
) -> None:
    http = ProviderHttp(session, Metrics())
    assert MAX_REPLY_BYTES == 1024 * 1024
    assert await get(http, f"{server}/{route}?size={REPLY_BYTES}") == payload(REPLY_BYTES)


@pytest.mark.parametrize("route", ["chunked", "sized"])
async def test_a_reply_of_exactly_the_cap_is_accepted(server: str, session: aiohttp.ClientSession, route: str) -> None:
    http = ProviderHttp(session, Metrics(), max_reply_bytes=SMALL_CAP)
    assert await get(http, f"{server}/{route}?size={SMALL_CAP}") == payload(SMALL_CAP)


def assert_over_cap(error: ProviderError, status: int = 200) -> None:
    assert error.code is ErrorCode.PROVIDER_ERROR and not error.retryable
    assert error.provider_status == status
    assert error.message == f"primer answered {status} with a body over the {SMALL_CAP}-byte limit"


@pytest.mark.parametrize("size", [SMALL_CAP + 1, 3 * SMALL_CAP])
async def test_a_chunked_reply_over_the_cap_is_refused_not_truncated(
    server: str, session: aiohttp.ClientSession, size: int
) -> None:
    http = ProviderHttp(session, Metrics(), max_reply_bytes=SMALL_CAP)
    with pytest.raises(ProviderError) as caught:
        await get(http, f"{server}/chunked?size={size}")
    assert_over_cap(caught.value)


async def test_a_declared_length_over_the_cap_is_refused_before_reading(
    server: str, session: aiohttp.ClientSession
) -> None:
    http = ProviderHttp(session, Metrics(), max_reply_bytes=SMALL_CAP)
    started = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        await get(http, f"{server}/declared-huge")
    assert_over_cap(caught.value)
    assert time.monotonic() - started < 2  # the stalled body was never waited for


PASSWORD = 'pa$$w0rd/with"quote'
API_KEY = "primer-key-5c1d9e"
TOKEN = "acq-token-8f2e7d6c5b4a"


async def send_echo(http: ProviderHttp, url: str, status: int) -> bytes:
    basic = base64.b64encode(f"merchant.M1:{PASSWORD}".encode()).decode()
    reply = await http.send(
        "mpgs",
        "create",
        "POST",
        f"{url}/echo?status={status}",
        headers={"Authorization": f"Basic {basic}", "X-Api-Key": API_KEY, "X-Session-Token": TOKEN},
        body=msgspec.json.encode({"app_key": "configured-app-key", "password": PASSWORD}),
        timeout=5,
        secrets=("configured-app-key",),
    )
    assert reply.status == status
    return reply.body


async def test_an_error_body_loses_every_credential_of_the_request(server: str, session: aiohttp.ClientSession) -> None:
    body = await send_echo(ProviderHttp(session, Metrics()), server, 401)
    quoted = msgspec.json.decode(body)["error"]["description"]
    assert "Authorization: ***;" in quoted and "X-Api-Key: ***;" in quoted and "X-Session-Token: ***" in quoted
    assert msgspec.json.decode(quoted[quoted.index("{") :]) == {"app_key": "***", "password": "***"}
    for text in (body.decode(), quoted):
        for secret in (PASSWORD, "pa$$w0rd", API_KEY, TOKEN, "configured-app-key"):
            assert secret not in text


async def test_a_success_body_is_left_as_it_came(server: str, session: aiohttp.ClientSession) -> None:
    body = await send_echo(ProviderHttp(session, Metrics()), server, 200)
    assert API_KEY in body.decode()  # only error bodies are redacted: a 2xx is data the adapter needs
