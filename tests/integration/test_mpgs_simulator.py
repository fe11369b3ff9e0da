"""The MPGS adapter against the in-process simulator over real HTTP (no broker): create then the order PUT (whose
reply, as MPGS documents it, has no ``result``), optimistic locking, addresses in alpha-3, the simulator's
strictness about auth, API versions and bodies, and its fault triggers."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import msgspec
import pytest
from aiohttp.test_utils import TestServer

from contracts.codec import decode_create, decode_update
from contracts.commands import CreateMpgsSession, UpdateMpgsSession
from contracts.names import ErrorCode
from service.metrics import Metrics
from service.providers.base import ProviderError
from service.providers.http import ProviderHttp
from service.providers.mpgs.adapter import MpgsProvider
from service.settings import MpgsAccount, settings_from_mapping
from service.simulator.app import build_app, state_of
from service.simulator.state import SimulatorState

MERCHANT = "TESTMERCHANT01"
PASSWORD = "sim-mpgs-password-4242"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class FixedClock:
    def now(self) -> datetime:
        return NOW


@dataclass
class Rig:
    url: str
    state: SimulatorState
    http: ProviderHttp
    client: aiohttp.ClientSession

    def provider(self, **overrides: Any) -> MpgsProvider:
        table = {"base_url": self.url, "merchant_id": MERCHANT, "api_password": PASSWORD, **overrides}
        account = settings_from_mapping({"accounts": {"default": {"mpgs": table}}}, {}).accounts["default"].mpgs
        assert isinstance(account, MpgsAccount)
        return MpgsProvider(account, self.http, FixedClock())

    def path(self, suffix: str = "", version: int | str = 100, merchant: str = MERCHANT) -> str:
        return f"{self.url}/api/rest/version/{version}/merchant/{merchant}/session{suffix}"


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    settings = settings_from_mapping(
        {
            "accounts": {
                "default": {"mpgs": {"base_url": "http://x", "merchant_id": MERCHANT, "api_password": PASSWORD}}
            }
        },
        {},
    )
    app = build_app(settings, hang_seconds=2.0)
    async with TestServer(app) as server, aiohttp.ClientSession() as client:
        url = str(server.make_url("")).rstrip("/")
        yield Rig(url, state_of(app), ProviderHttp(client, Metrics()), client)


def create(**fields: Any) -> CreateMpgsSession:
    command = decode_create(msgspec.json.encode({"provider": "mpgs", "command_id": "c-1", **fields}))
    assert isinstance(command, CreateMpgsSession)
    return command


def update(session_id: str, **fields: Any) -> UpdateMpgsSession:
    body = {"provider": "mpgs", "command_id": "c-2", "session_id": session_id, **fields}
    command = decode_update(msgspec.json.encode(body))
    assert isinstance(command, UpdateMpgsSession)
    return command


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


AUTH = basic(f"merchant.{MERCHANT}", PASSWORD)


async def test_create_without_order_is_one_post(rig: Rig) -> None:
    created = await rig.provider().create(create(options={"authentication_limit": 3}))
    assert 31 <= len(created.id) <= 35
    assert (created.update_status, created.authentication_limit) == ("NO_UPDATE", 3)
    assert created.expires_at == NOW + timedelta(minutes=15)
    assert created.aes256_key is None
    assert [(c.operation, c.status) for c in rig.state.calls] == [("create", 201)]


async def test_create_with_order_puts_it_in_the_same_operation(rig: Rig) -> None:
    """Defect 1: the PUT's reply carries no ``result`` (as MPGS documents); the create still succeeds at once."""
    provider = rig.provider(include_aes256_key=True)
    command = create(
        order_id="order-1",
        correlation_id="checkout-7f3a",
        amount=1234,
        currency="BHD",
        customer={
            "email": "ada@example.com",
            "billing_address": {"line1": "1 High Street", "postal_code": "EC1A 1AA", "country_code": "GB"},
            "shipping_address": {"city": "Prishtina", "country_code": "XK"},
        },
        options={"order_reference": "basket-88", "order_description": "Two tickets"},
    )
    session = await provider.create(command)
    stored = rig.state.sessions[f"mpgs:{session.id}"]
    assert stored["order"] == {
        "amount": "1.234",
        "currency": "BHD",
        "id": "order-1",
        "reference": "basket-88",
        "description": "Two tickets",
    }
    assert stored["customer"] == {"email": "ada@example.com"}
    assert stored["billing"] == {"address": {"street": "1 High Street", "postcodeZip": "EC1A 1AA", "country": "GBR"}}
    assert stored["shipping"] == {"address": {"city": "Prishtina", "country": "XKX"}}
    assert (session.update_status, session.version) == ("SUCCESS", stored["version"])
    assert (session.aes256_key, session.authentication_limit) == (stored["aes256Key"], 5)  # from the POST's reply
    assert [(c.operation, c.status) for c in rig.state.calls] == [("create", 201), ("update", 200)]


async def test_a_customer_id_or_unknown_country_is_refused_before_any_call(rig: Rig) -> None:
    for customer in ({"id": "cust-42"}, {"billing_address": {"country_code": "ZZ"}}):
        with pytest.raises(ProviderError) as refused:
            await rig.provider().create(create(order_id="o-1", customer=customer))
        assert refused.value.code is ErrorCode.INVALID_COMMAND
    assert rig.state.calls == []


async def test_update_status_failure_is_a_refusal(rig: Rig) -> None:
    provider = rig.provider()
    created = await provider.create(create())
    with pytest.raises(ProviderError) as refused:
        await provider.update(update(created.id, options={"order_reference": "sim-update-failure"}))
    assert (refused.value.code, refused.value.provider_code, refused.value.retryable) == (
        ErrorCode.VALIDATION_FAILED,
        "FAILURE",
        False,
    )


async def test_update_with_session_version_locks_optimistically(rig: Rig) -> None:
    provider = rig.provider()
    created = await provider.create(create())
    assert created.version is not None
    assert len(created.version) == 10
    options = {"session_version": created.version, "order_reference": "ref-1", "authentication_limit": 7}
    updated = await provider.update(update(created.id, amount=100, currency="JPY", options=options))
    assert updated.version != created.version
    assert updated.update_status == "SUCCESS"
    assert rig.state.sessions[f"mpgs:{created.id}"]["authenticationLimit"] == 7
    assert updated.authentication_limit == 7  # the reply does not echo it; MPGS said SUCCESS to what we sent
    assert rig.state.sessions[f"mpgs:{created.id}"]["order"] == {
        "amount": "100",
        "currency": "JPY",
        "reference": "ref-1",
    }
    with pytest.raises(ProviderError) as stale:
        await provider.update(update(created.id, order_id="o-2", options={"session_version": created.version}))
    assert (stale.value.code, stale.value.field, stale.value.retryable) == (
        ErrorCode.VALIDATION_FAILED,
        "session.version",
        False,
    )


async def test_unknown_session_is_not_found(rig: Rig) -> None:
    with pytest.raises(ProviderError) as caught:
        await rig.provider().update(update("nosuchsession", order_id="o"))
    assert (caught.value.code, caught.value.provider_status, caught.value.field) == (
        ErrorCode.NOT_FOUND,
        400,
        "session.id",
    )


async def test_wrong_password_is_authentication_failed(rig: Rig) -> None:
    with pytest.raises(ProviderError) as caught:
        await rig.provider(api_password="wrong-password").create(create())
    assert (caught.value.code, caught.value.provider_status) == (ErrorCode.AUTHENTICATION_FAILED, 401)
    assert "wrong-password" not in caught.value.message
    assert PASSWORD not in caught.value.message


@pytest.mark.parametrize(
    "headers",
    [
        basic(MERCHANT, PASSWORD),  # user must be merchant.<id>
        basic("merchant.OTHERMERCHANT", PASSWORD),
        basic(f"merchant.{MERCHANT}", ""),
        {"Authorization": "Basic !!!"},
        {},
    ],
)
async def test_simulator_refuses_bad_credentials(rig: Rig, headers: dict[str, str]) -> None:
    async with rig.client.post(rig.path(), headers=headers) as response:
        body = await response.json()
    assert response.status == 401
    assert body["result"] == "ERROR"
    assert body["error"]["cause"] == "INVALID_REQUEST"


async def test_simulator_refuses_another_merchants_path(rig: Rig) -> None:
    async with rig.client.post(rig.path(merchant="OTHERMERCHANT"), headers=AUTH) as response:
        assert response.status == 401


@pytest.mark.parametrize(("version", "status"), [(100, 201), (57, 201), (1, 201), (101, 400), (0, 400), ("v1", 400)])
async def test_simulator_api_versions(rig: Rig, version: int | str, status: int) -> None:
    async with rig.client.post(rig.path(version=version), headers=AUTH) as response:
        assert response.status == status


async def test_older_api_version_through_the_adapter(rig: Rig) -> None:
    assert (await rig.provider(api_version=61).create(create())).id.startswith("SESSION0002")


@pytest.mark.parametrize(
    ("body", "field", "validation_type"),
    [
        ({"order": {"amount": "15.02", "currency": "GBP", "colour": "red"}}, "order.colour", "UNSUPPORTED"),
        ({"customer": {"emailAddress": "a@b.c"}}, "customer.emailAddress", "UNSUPPORTED"),
        ({"interaction": {}}, "interaction", "UNSUPPORTED"),
        ({"metadata": {"k": "v"}}, "metadata", "UNSUPPORTED"),
        ({"billing": {"address": {"country": "GB"}}}, "billing.address.country", "INVALID"),
        ({"session": {"authenticationLimit": 26}}, "session.authenticationLimit", "INVALID"),
        ({"correlationId": "x" * 101}, "correlationId", "INVALID"),
        ({"order": {"amount": "15.025", "currency": "GBP"}}, "order.amount", "INVALID"),
        ({"order": {"amount": "100.5", "currency": "JPY"}}, "order.amount", "INVALID"),
        ({"order": {"amount": 15.02, "currency": "GBP"}}, "order.amount", "INVALID"),
        ({"order": {"amount": "15.02", "currency": "gbp"}}, "order.currency", "INVALID"),
        ({"order": {"amount": "15.02"}}, "order.currency", "MISSING"),
        ({"session": {"version": "short"}}, "session.version", "INVALID"),
    ],
)
async def test_simulator_validates_put_bodies_strictly(
    rig: Rig, body: dict[str, Any], field: str, validation_type: str
) -> None:
    session = await rig.provider().create(create())
    async with rig.client.put(rig.path("/" + session.id), headers=AUTH, json=body) as response:
        reply = await response.json()
    assert response.status == 400
    assert reply["error"]["cause"] == "INVALID_REQUEST"
    assert (reply["error"]["field"], reply["error"]["validationType"]) == (field, validation_type)


@pytest.mark.parametrize(
    ("command", "code", "status", "cause"),
    [
        ({"correlation_id": "sim-busy"}, ErrorCode.PROVIDER_UNAVAILABLE, 503, "SERVER_BUSY"),  # the POST
        ({"correlation_id": "sim-500"}, ErrorCode.PROVIDER_UNAVAILABLE, 500, "SERVER_FAILED"),
        ({"order_id": "sim-busy"}, ErrorCode.PROVIDER_UNAVAILABLE, 503, "SERVER_BUSY"),  # the PUT that follows
        ({"order_id": "sim-500"}, ErrorCode.PROVIDER_UNAVAILABLE, 500, "SERVER_FAILED"),
        ({"order_id": "o-1", "amount": 50000, "currency": "GBP"}, ErrorCode.PROVIDER_UNAVAILABLE, 500, "SERVER_FAILED"),
        ({"order_id": "o-1", "amount": 40000, "currency": "GBP"}, ErrorCode.VALIDATION_FAILED, 400, "INVALID_REQUEST"),
        ({"order_id": "o-1", "amount": 50300, "currency": "GBP"}, ErrorCode.PROVIDER_UNAVAILABLE, 503, "SERVER_BUSY"),
    ],
)
async def test_fault_triggers(rig: Rig, command: dict[str, Any], code: ErrorCode, status: int, cause: str) -> None:
    with pytest.raises(ProviderError) as caught:
        await rig.provider().create(create(**command))
    error = caught.value
    assert (error.code, error.provider_status, error.provider_code) == (code, status, cause)
    assert error.retryable == (status >= 500)


async def test_busy_trigger_in_the_put(rig: Rig) -> None:
    provider = rig.provider()
    session = await provider.create(create())
    with pytest.raises(ProviderError) as caught:
        await provider.update(update(session.id, options={"order_reference": "sim-busy"}))
    assert (caught.value.code, caught.value.provider_code, caught.value.retryable) == (
        ErrorCode.PROVIDER_UNAVAILABLE,
        "SERVER_BUSY",
        True,
    )
    assert rig.state.calls[-1].status == 503


async def test_garbage_and_reset_faults(rig: Rig) -> None:
    provider = rig.provider()
    with pytest.raises(ProviderError) as garbage:
        await provider.create(create(order_id="o-1", amount=59100, currency="GBP"))
    assert (garbage.value.code, garbage.value.retryable) == (ErrorCode.PROVIDER_ERROR, True)
    with pytest.raises(ProviderError) as reset:
        await provider.create(create(correlation_id="sim-reset"))
    assert (reset.value.code, reset.value.retryable) == (ErrorCode.PROVIDER_UNAVAILABLE, True)
