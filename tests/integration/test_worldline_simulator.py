"""The Worldline adapters against the simulator over real HTTP (no broker): how strict the simulator is, and
that the adapter satisfies it. Raw requests are signed with the adapter's own signing module."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import msgspec
import pytest
from aiohttp.test_utils import TestServer

from contracts.commands import CreateApplePaySession, CreateWorldlineSession
from contracts.names import ErrorCode
from service.metrics import Metrics
from service.ports import SystemClock
from service.providers.base import ProviderError
from service.providers.http import ProviderHttp
from service.providers.worldline import signing, transformers
from service.providers.worldline.adapter import ApplePayProvider, WorldlineProvider
from service.settings import Settings, WorldlineAccount, settings_from_mapping
from service.simulator.app import build_app, state_of
from service.simulator.state import SimulatorState

SECRET = "sim-secret-8c1f"
VALIDATION_URL = "https://apple-pay-gateway.apple.com/paymentservices/startSession"


class Sim:
    def __init__(self, base_url: str, state: SimulatorState, http: ProviderHttp, client: aiohttp.ClientSession):
        self.base_url = base_url
        self.state = state
        self.http = http
        self.client = client

    def account(self, **extra: Any) -> WorldlineAccount:
        table = {"base_url": self.base_url, "merchant_id": "1234", "api_key_id": "key-1", "secret_api_key": SECRET}
        settings = settings_from_mapping({"accounts": {"a": {"worldline": {**table, **extra}}}}, {})
        account = settings.accounts["a"].worldline
        assert account is not None
        return account

    async def raw(
        self, path: str, body: bytes, *, date: datetime | None = None, **headers: str
    ) -> aiohttp.ClientResponse:
        """A v1HMAC-signed POST; ``headers`` override or add to what is signed and sent."""
        sent = {"Content-Type": "application/json", "Date": signing.http_date(date or datetime.now(UTC)), **headers}
        signed = {name.replace("_", "-"): value for name, value in sent.items()}
        signed["Authorization"] = signing.authorization("key-1", SECRET, "POST", path, signed)
        return await self.client.post(self.base_url + path, data=body, headers=signed)


def _settings() -> Settings:
    table = {"base_url": "http://127.0.0.1:1", "merchant_id": "1234", "api_key_id": "key-1", "secret_api_key": SECRET}
    return settings_from_mapping({"accounts": {"a": {"worldline": table}}}, {})


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    app = build_app(_settings(), hang_seconds=0.5)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as client:
        http = ProviderHttp(client, Metrics())
        yield Sim(f"http://127.0.0.1:{server.port}", state_of(app), http, client)
    await server.close()


def worldline_command(command_id: str = "cmd-1", tokens: list[str] | None = None) -> CreateWorldlineSession:
    return msgspec.convert({"command_id": command_id, "options": {"tokens": tokens or []}}, CreateWorldlineSession)


def apple_pay_command(command_id: str = "cmd-ap", **extra: str) -> CreateApplePaySession:
    options = {"validation_url": VALIDATION_URL, "domain_name": "shop.example", "display_name": "Shop", **extra}
    return msgspec.convert({"command_id": command_id, "options": options}, CreateApplePaySession)


async def test_session_is_created_stored_and_recorded_with_the_idempotence_key(sim: Sim) -> None:
    provider = WorldlineProvider(sim.account(), sim.http, SystemClock())
    session = await provider.create(worldline_command(tokens=["t-1", "expired-t-2"]))
    assert session.invalid_tokens == ["expired-t-2"]
    assert session.client_api_url == f"{sim.base_url}/client"
    assert sim.state.sessions[f"worldline:{session.client_session_id}"]["customerId"] == session.customer_id
    (call,) = sim.state.calls
    assert (call.provider, call.operation, call.status) == ("worldline", "create", 201)
    assert call.idempotency_key == hashlib.sha256(b"cmd-1").hexdigest()[:40]


async def test_a_repeated_key_replays_the_first_response_with_its_timestamp(sim: Sim) -> None:
    provider = WorldlineProvider(sim.account(), sim.http, SystemClock())
    first = await provider.create(worldline_command())
    again = await provider.create(worldline_command())
    assert again.client_session_id == first.client_session_id
    replay = await sim.raw("/v1/1234/sessions", b"{}", X_GCS_Idempotence_Key=signing.idempotence_key("cmd-1"))
    assert replay.status == 201
    assert replay.headers["X-GCS-Idempotence-Request-Timestamp"].isdigit()
    assert (await replay.json())["clientSessionId"] == first.client_session_id


async def test_in_progress_once_then_the_retry_with_the_same_key_succeeds(sim: Sim) -> None:
    provider = WorldlineProvider(sim.account(), sim.http, SystemClock())
    with pytest.raises(ProviderError) as caught:
        await provider.create(worldline_command(tokens=["sim-1409"]))
    assert (caught.value.code, caught.value.retryable, caught.value.provider_code) == (ErrorCode.CONFLICT, True, "1409")
    await provider.create(worldline_command(tokens=["sim-1409"]))
    assert [call.status for call in sim.state.calls] == [409, 201]
    assert len({call.idempotency_key for call in sim.state.calls}) == 1


class OldClock:
    def now(self) -> datetime:
        return datetime.now(UTC) - timedelta(minutes=20)


@pytest.mark.parametrize(
    ("account", "clock", "status"),
    [
        ({"secret_api_key": "wrong"}, SystemClock(), 401),
        ({"api_key_id": "unknown-key"}, SystemClock(), 401),
        ({"merchant_id": "9999"}, SystemClock(), 403),
        ({}, OldClock(), 401),
    ],
)
async def test_authentication_refusals(sim: Sim, account: dict[str, str], clock: Any, status: int) -> None:
    provider = WorldlineProvider(sim.account(**account), sim.http, clock)
    with pytest.raises(ProviderError) as caught:
        await provider.create(worldline_command())
    assert (caught.value.code, caught.value.provider_status) == (ErrorCode.AUTHENTICATION_FAILED, status)
    assert [call.status for call in sim.state.calls] == [status]


async def test_content_type_sent_must_be_the_one_signed(sim: Sim) -> None:
    sent = {"Content-Type": "application/json", "Date": signing.http_date(datetime.now(UTC))}
    authorization = signing.authorization("key-1", SECRET, "POST", "/v1/1234/sessions", sent)
    headers = {**sent, "Content-Type": "application/json; charset=utf-8", "Authorization": authorization}
    response = await sim.client.post(f"{sim.base_url}/v1/1234/sessions", data=b"{}", headers=headers)
    assert response.status == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"tokenz": []}', "tokenz"),
        (b'{"tokens": [1]}', "tokens[0]"),
        (
            b'{"paymentProductFilters": {"restrictTo": {"products": ["1"]}}}',
            "paymentProductFilters.restrictTo.products[0]",
        ),
        (b'{"paymentProductFilters": {"restrict_to": {}}}', "paymentProductFilters.restrict_to"),
    ],
)
async def test_unknown_fields_and_wrong_types_name_the_property(sim: Sim, body: bytes, field: str) -> None:
    response = await sim.raw("/v1/1234/sessions", body)
    error = transformers.parse_error(response.status, await response.read())
    assert (error.code, error.field, error.provider_status) == (ErrorCode.VALIDATION_FAILED, field, 400)


async def test_apple_pay_server_api(sim: Sim) -> None:
    provider = ApplePayProvider(sim.account(), sim.http, SystemClock())
    session = await provider.create(apple_pay_command())
    apple = msgspec.json.decode(session.session_object)
    assert session.id == apple["merchantSessionIdentifier"]
    assert {"epochTimestamp", "expiresAt", "nonce", "merchantIdentifier", "signature"} <= set(apple)
    assert (apple["domainName"], apple["displayName"]) == ("shop.example", "Shop")


async def test_apple_pay_client_api_needs_the_customers_own_session(sim: Sim) -> None:
    worldline = WorldlineProvider(sim.account(), sim.http, SystemClock())
    mine, other = await worldline.create(worldline_command("c-1")), await worldline.create(worldline_command("c-2"))
    assert mine.client_api_url is not None
    apple_pay = ApplePayProvider(sim.account(secret_api_key="not-needed"), sim.http, SystemClock())
    ids = {"client_session_id": mine.client_session_id, "client_api_url": mine.client_api_url}
    assert await apple_pay.create(apple_pay_command("ap-1", customer_id=mine.customer_id, **ids))
    with pytest.raises(ProviderError) as caught:
        await apple_pay.create(apple_pay_command("ap-2", customer_id=other.customer_id, **ids))
    assert (caught.value.code, caught.value.provider_status) == (ErrorCode.AUTHENTICATION_FAILED, 403)
    unknown = {**ids, "client_session_id": "no-such-session"}
    with pytest.raises(ProviderError) as caught:
        await apple_pay.create(apple_pay_command("ap-3", customer_id=mine.customer_id, **unknown))
    assert caught.value.provider_status == 401


async def test_products_without_sessions_answer_1426(sim: Sim) -> None:
    body = b'{"paymentProductSession302SpecificInput": {"displayName": "S", "domainName": "d", "validationUrl": "x"}}'
    response = await sim.raw("/v1/1234/products/320/sessions", body)
    error = transformers.parse_error(response.status, await response.read())
    assert (error.code, error.provider_code, error.retryable) == (ErrorCode.UNSUPPORTED, "1426", False)


async def test_apple_pay_faults_by_display_name(sim: Sim) -> None:
    provider = ApplePayProvider(sim.account(), sim.http, SystemClock())
    with pytest.raises(ProviderError) as caught:
        await provider.create(apple_pay_command(display_name="sim-400"))
    assert caught.value.field == "paymentProductSession302SpecificInput.displayName"
    with pytest.raises(ProviderError) as caught:
        await provider.create(apple_pay_command("ap-2", display_name="sim-garbage"))
    assert (caught.value.code, caught.value.retryable) == (ErrorCode.PROVIDER_ERROR, True)
