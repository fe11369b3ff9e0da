"""Failures of a host the command chose (the Apple Pay client API) do not count for the circuit breaker: the
adapter marks them, and the breaker can let such a call pass without a verdict (also when it was the probe)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import msgspec
import pytest
from aiohttp import web

from contracts.commands import CreateApplePaySession
from service.breaker import BreakerState, CircuitBreaker
from service.metrics import Metrics
from service.providers.base import ProviderError
from service.providers.http import ProviderHttp
from service.providers.worldline.adapter import ApplePayProvider
from service.secret import Secret
from service.settings import WorldlineAccount


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_call_not_counted_leaves_the_failure_count_alone() -> None:
    breaker = CircuitBreaker(threshold=2, cooldown=5, clock=FakeClock())
    breaker.failed()
    for _ in range(10):
        breaker.not_counted()
    assert breaker.state is BreakerState.CLOSED
    breaker.failed()
    assert breaker.state is BreakerState.OPEN  # not reset by the calls in between either


def test_a_probe_not_counted_frees_the_probe_slot() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(threshold=1, cooldown=5, clock=clock)
    breaker.failed()
    clock.now = 6
    assert breaker.allow()  # the probe
    assert not breaker.allow()
    breaker.not_counted()  # its outcome said nothing about the provider
    assert breaker.state is BreakerState.HALF_OPEN and breaker.allow()  # the next command probes instead
    breaker.succeeded()
    assert breaker.state is BreakerState.CLOSED


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


async def failing(request: web.Request) -> web.Response:
    return web.Response(status=503, text="upstream down")


@pytest.fixture
async def down() -> AsyncIterator[str]:
    """A server where every call answers 503."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", failing)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


def closed_port_origin() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def command(client_api_url: str | None) -> CreateApplePaySession:
    options = {
        "validation_url": "https://apple-pay-gateway.apple.com/x",
        "domain_name": "d.example",
        "display_name": "S",
    }
    if client_api_url:
        options |= {"client_session_id": "cs-1", "customer_id": "1234-c", "client_api_url": client_api_url}
    raw = {"command_id": "cmd-1", "options": options}
    return msgspec.convert(raw, CreateApplePaySession)


async def failure(base_url: str, client_api: bool) -> ProviderError:
    account = WorldlineAccount(base_url=base_url, merchant_id="1234", api_key_id="k", secret_api_key=Secret("s"))
    async with aiohttp.ClientSession() as session:
        provider = ApplePayProvider(account, ProviderHttp(session, Metrics()), Clock())
        with pytest.raises(ProviderError) as caught:
            await provider.create(command(f"{base_url}/client" if client_api else None))
    return caught.value


async def test_client_api_failures_do_not_count_and_server_api_failures_do(down: str) -> None:
    for origin, code in ((down, "provider_unavailable"), (closed_port_origin(), "provider_unavailable")):
        client = await failure(origin, client_api=True)
        server = await failure(origin, client_api=False)
        assert client.code.value == server.code.value == code and client.retryable and server.retryable
        assert (client.counts_for_breaker, server.counts_for_breaker) == (False, True)
