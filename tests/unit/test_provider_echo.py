"""S8 per adapter, against a real local server that answers every call with an error quoting back the request's
credentials and the account's configured secrets as bare values (no key, no scheme: only exact redaction can
catch them). Each adapter must hand its account's secrets to ``ProviderHttp`` so none reaches the message."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import msgspec
import pytest
from aiohttp import web

from contracts.codec import decode_create
from service.metrics import Metrics
from service.providers.acquired.adapter import AcquiredProvider
from service.providers.base import ProviderError
from service.providers.http import ProviderHttp
from service.providers.mpgs.adapter import MpgsProvider
from service.providers.primer.adapter import PrimerProvider
from service.providers.worldline.adapter import ApplePayProvider, WorldlineProvider
from service.secret import Secret
from service.settings import AcquiredAccount, MpgsAccount, PrimerAccount, WorldlineAccount

SECRETS = {
    "primer": "primer-key-3f9a1c",
    "worldline": "worldline-secret-77b2e0",
    "mpgs": "mpgs-password-c41d08",
    "acquired": "acquired-app-key-5e6f2a",
}
TOKEN = "acquired-bearer-token-9d8c7b6a"


def _bare_credentials(request: web.Request, body: bytes) -> list[str]:
    """Header credentials without their scheme, a Basic header decoded, and the body's string values."""
    found: list[str] = []
    for name in ("Authorization", "X-Api-Key"):
        value = request.headers.get(name, "")
        scheme, _, token = value.partition(" ")
        found.append(token or value)
        if scheme == "Basic":
            found.append(base64.b64decode(token).decode())
    decoded = msgspec.json.decode(body) if body else {}
    found += [value for value in decoded.values() if isinstance(value, str)] if isinstance(decoded, dict) else []
    return found


def _configured(path: str) -> str:
    """The configured secret of the account whose adapter calls ``path`` (as a misconfigured proxy might add)."""
    for prefix, provider in (("/client-session", "primer"), ("/api/rest", "mpgs"), ("/v1/login", "acquired")):
        if path.startswith(prefix):
            return SECRETS[provider]
    return SECRETS["acquired" if path.startswith("/v1/payment-sessions") else "worldline"]


async def echo(request: web.Request) -> web.Response:
    """Logs in (Acquired) unless the app id is ``echo-login``; everything else is a 400 that every adapter reads
    a message from (Primer ``description``, MPGS ``explanation``, Acquired ``title``, Worldline ``errors[0]``)."""
    body = await request.read()
    if request.path == "/v1/login" and msgspec.json.decode(body)["app_id"] != "echo-login":
        return web.json_response({"token_type": "Bearer", "expires_in": 3600, "access_token": TOKEN})
    text = "echo " + " ".join(
        value for value in [*_bare_credentials(request, body), _configured(request.path)] if value
    )
    reply = {
        "error": {"description": text, "explanation": text, "cause": "INVALID_REQUEST"},
        "status": "error",
        "error_type": "validation",
        "title": text,
        "errors": [{"code": "21000120", "message": text}],
    }
    return web.json_response(reply, status=400)


@pytest.fixture
async def base_url() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


@pytest.fixture
async def http() -> AsyncIterator[ProviderHttp]:
    async with aiohttp.ClientSession() as session:
        yield ProviderHttp(session, Metrics())


class FixedClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def command(provider: str, **fields: Any) -> Any:
    return decode_create(msgspec.json.encode({"provider": provider, "command_id": "cmd-echo-1", **fields}))


def worldline_account(base_url: str) -> WorldlineAccount:
    secret = Secret(SECRETS["worldline"])
    return WorldlineAccount(base_url=base_url, merchant_id="1234", api_key_id="key-1", secret_api_key=secret)


APPLE = {"validation_url": "https://apple-pay-gateway.apple.com/x", "domain_name": "shop.example", "display_name": "S"}
Call = Callable[[str, ProviderHttp], Awaitable[Any]]
CALLS: dict[str, Call] = {
    "primer": lambda url, http: PrimerProvider(
        PrimerAccount(base_url=url, api_key=Secret(SECRETS["primer"])), http
    ).create(command("primer", amount=100, currency="EUR")),
    "mpgs": lambda url, http: MpgsProvider(
        MpgsAccount(base_url=url, merchant_id="M1", api_password=Secret(SECRETS["mpgs"])), http, FixedClock()
    ).create(command("mpgs")),
    "acquired": lambda url, http: AcquiredProvider(
        AcquiredAccount(base_url=url, app_id="app-1", app_key=Secret(SECRETS["acquired"])), http, FixedClock()
    ).create(command("acquired", order_id="order-1", amount=1502, currency="GBP")),
    "worldline": lambda url, http: WorldlineProvider(worldline_account(url), http, FixedClock()).create(
        command("worldline")
    ),
    "worldline-applepay server API": lambda url, http: ApplePayProvider(
        worldline_account(url), http, FixedClock()
    ).create(command("worldline-applepay", options=APPLE)),
    "worldline-applepay client API": lambda url, http: ApplePayProvider(
        worldline_account(url), http, FixedClock()
    ).create(
        command(
            "worldline-applepay",
            options={
                **APPLE,
                "client_session_id": "cs-7a1b",
                "customer_id": "1234-c",
                "client_api_url": f"{url}/client",
            },
        )
    ),
}


@pytest.mark.parametrize("name", CALLS)
async def test_no_secret_and_no_credential_reaches_the_error(name: str, base_url: str, http: ProviderHttp) -> None:
    with pytest.raises(ProviderError) as caught:
        await CALLS[name](base_url, http)
    message = caught.value.message
    assert message.startswith("echo ") and "***" in message, message  # the echo came back, redacted
    assert not [secret for secret in [*SECRETS.values(), TOKEN, "cs-7a1b"] if secret in message], message


async def test_the_app_key_echoed_by_a_refused_login_is_redacted(base_url: str, http: ProviderHttp) -> None:
    account = AcquiredAccount(base_url=base_url, app_id="echo-login", app_key=Secret(SECRETS["acquired"]))
    provider = AcquiredProvider(account, http, FixedClock())
    with pytest.raises(ProviderError) as caught:
        await provider.create(command("acquired", order_id="order-1", amount=1502, currency="GBP"))
    message = caught.value.message
    assert message.startswith("login failed: echo echo-login ***"), message
    assert SECRETS["acquired"] not in message
