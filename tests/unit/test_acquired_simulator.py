"""The Acquired simulator is as strict as documented: tokens, headers, field names, amounts, faults."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from aiohttp.test_utils import TestClient, TestServer

from service.settings import settings_from_mapping
from service.simulator.app import build_app, state_of
from service.simulator.state import SimulatorState

APP = {"app_id": "app-1", "app_key": "key-1"}
COMPANY_ID = "7b3f7c3e-5b1a-4f43-9c5e-2d8a1c0f6b11"
BODY: dict[str, Any] = {"transaction": {"order_id": "order-42", "amount": 15.02, "currency": "gbp"}}


@pytest.fixture
async def client() -> AsyncIterator[TestClient[Any, Any]]:
    settings = settings_from_mapping(
        {"accounts": {"default": {"acquired": {"base_url": "http://127.0.0.1", **APP}}}}, {}
    )
    async with TestClient(TestServer(build_app(settings, hang_seconds=0.1))) as test_client:
        yield test_client


def state(client: TestClient[Any, Any]) -> SimulatorState:
    return state_of(client.app)  # type: ignore[arg-type]


async def token(client: TestClient[Any, Any]) -> str:
    response = await client.post("/v1/login", json=APP)
    assert response.status == 200
    reply = await response.json()
    assert reply["token_type"] == "Bearer"
    assert reply["expires_in"] == state(client).extra.get("acquired_token_ttl", 3600)
    return str(reply["access_token"])


async def post(client: TestClient[Any, Any], body: Any, **headers: str) -> tuple[int, Any]:
    auth = {"Authorization": f"Bearer {await token(client)}", "Content-Type": "application/json"}
    data = body if isinstance(body, bytes) else msgspec.json.encode(body)
    response = await client.post("/v1/payment-sessions", data=data, headers={**auth, **headers})
    return response.status, await response.json() if response.content_type == "application/json" else None


async def test_login_checks_the_configured_credentials(client: TestClient[Any, Any]) -> None:
    response = await client.post("/v1/login", json={**APP, "app_key": "nope"})
    assert response.status == 401
    assert (await response.json())["error_type"] == "unauthorized"
    response = await client.post("/v1/login", json={"app_id": "app-1"})
    assert response.status == 400
    assert [c.status for c in state(client).calls] == [401, 400]
    assert {c.operation for c in state(client).calls} == {"login"}


async def test_create_stores_the_session(client: TestClient[Any, Any]) -> None:
    status, reply = await post(client, BODY, **{"Company-Id": COMPANY_ID, "Mid": COMPANY_ID})
    assert status == 201
    stored = state(client).sessions[f"acquired:{reply['session_id']}"]
    assert stored["transaction"] == {"order_id": "order-42", "amount": "15.02", "currency": "gbp"}
    assert [(c.operation, c.status) for c in state(client).calls] == [("login", 200), ("create", 201)]


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer made-up"}, 401), ({"Authorization": "Basic abc"}, 401)],
)
async def test_session_calls_need_a_valid_token(
    client: TestClient[Any, Any], headers: dict[str, str], status: int
) -> None:
    response = await client.post("/v1/payment-sessions", json=BODY, headers=headers)
    assert response.status == status
    assert (await response.json())["error_type"] == "unauthorized"


async def test_tokens_expire(client: TestClient[Any, Any]) -> None:
    state(client).extra["acquired_token_ttl"] = 0
    status, reply = await post(client, BODY)
    assert status == 401
    assert reply["error_type"] == "unauthorized"


@pytest.mark.parametrize("header", ["Company-Id", "Mid"])
async def test_company_id_and_mid_must_be_uuids(client: TestClient[Any, Any], header: str) -> None:
    status, reply = await post(client, BODY, **{header: "not-a-uuid"})
    assert status == 400
    assert reply["invalid_parameters"] == [{"parameter": header, "reason": "must be a UUID"}]


@pytest.mark.parametrize(
    ("transaction", "parameter"),
    [
        ({"order_id": "order-42", "amount": 15.02, "currency": "gbp", "colour": "red"}, "transaction.colour"),
        ({"amount": 15.02, "currency": "gbp"}, "transaction.order_id"),
        ({"order_id": "o", "amount": 15.02, "currency": "gbp"}, "transaction.order_id"),
        ({"order_id": "o" * 51, "amount": 15.02, "currency": "gbp"}, "transaction.order_id"),
        ({"order_id": "order-42", "amount": "15.02", "currency": "gbp"}, "transaction.amount"),
        ({"order_id": "order-42", "amount": 15.021, "currency": "gbp"}, "transaction.amount"),
        ({"order_id": "order-42", "amount": 100.0, "currency": "jpy"}, "transaction.amount"),
        ({"order_id": "order-42", "amount": -1, "currency": "gbp"}, "transaction.amount"),
        ({"order_id": "order-42", "amount": 15.02, "currency": "GBP"}, "transaction.currency"),
        ({"order_id": "order-42", "amount": 15.02, "currency": "bhd"}, "transaction.currency"),
        ({"order_id": "order-42", "amount": 15.02, "currency": "gbp", "capture": "yes"}, "transaction.capture"),
    ],
)
async def test_transaction_is_validated(
    client: TestClient[Any, Any], transaction: dict[str, Any], parameter: str
) -> None:
    status, reply = await post(client, {"transaction": transaction})
    assert status == 400
    assert reply["error_type"] == "validation"
    assert reply["invalid_parameters"][0]["parameter"] == parameter


@pytest.mark.parametrize(
    ("extra", "parameter"),
    [
        ({"tds": {"is_active": True, "challenge_preference": "always"}}, "tds.challenge_preference"),
        ({"payment_methods": ["card", "paypal"]}, "payment_methods"),
        ({"customer": {"billing": {"address": {"country_code": "GBR"}}}}, "customer.billing.address.country_code"),
        (
            {"customer": {"billing": {"address": {"state": "LN", "country_code": "GB"}}}},
            "customer.billing.address.state",
        ),
        ({"customer": {"shipping": {"phone": {"country_code": "+44"}}}}, "customer.shipping.phone.country_code"),
        ({"customer": {"billing": {"phone": {"number": "020 7946"}}}}, "customer.billing.phone.number"),
        ({"customer": {"dob": "10/03/1988"}}, "customer.dob"),
        ({"customer": {"customer_id": "cust-1"}}, "customer.customer_id"),
        ({"customer": {"custom_data": "not base64!"}}, "customer.custom_data"),
        ({"transaction": {**BODY["transaction"], "custom1": "x" * 51}}, "transaction.custom1"),
        ({"tds": {"challenge_window_size": "huge"}}, "tds.challenge_window_size"),
        ({"customer": {"email": "ada@example.com"}}, "customer.email"),
        ({"metadata": {}}, "metadata"),
        ({"save_card": None}, "save_card"),
    ],
)
async def test_other_parameters_are_validated(
    client: TestClient[Any, Any], extra: dict[str, Any], parameter: str
) -> None:
    status, reply = await post(client, {**BODY, **extra})
    assert status == 400
    assert reply["invalid_parameters"][0]["parameter"] == parameter


@pytest.mark.parametrize("country", ["GB", "gb"])
async def test_country_codes_of_either_case_are_accepted(client: TestClient[Any, Any], country: str) -> None:
    """Acquired's reference examples send GB, its WooCommerce plugin gb (tests/providers/acquired/README.md)."""
    customer = {"billing": {"address": {"country_code": country}}, "shipping": {"address": {"country_code": country}}}
    assert (await post(client, {**BODY, "customer": customer}))[0] == 201


async def test_whole_yen_and_integers_are_accepted(client: TestClient[Any, Any]) -> None:
    assert (await post(client, {"transaction": {"order_id": "o-1", "amount": 100, "currency": "jpy"}}))[0] == 201
    assert (await post(client, {"transaction": {"order_id": "o-2", "amount": 15, "currency": "gbp"}}))[0] == 201


async def test_update_merges_and_unknown_session_is_not_found(client: TestClient[Any, Any]) -> None:
    _, created = await post(client, BODY)
    headers = {"Authorization": f"Bearer {await token(client)}", "Content-Type": "application/json"}
    url = f"/v1/payment-sessions/{created['session_id']}"
    response = await client.put(url, json={"transaction": {"amount": 20, "currency": "gbp"}}, headers=headers)
    assert response.status == 200
    assert await response.json() == {"status": "Success"}
    stored = state(client).sessions[f"acquired:{created['session_id']}"]
    assert stored["transaction"] == {"order_id": "order-42", "amount": 20, "currency": "gbp"}
    response = await client.put(url, json={"transaction": {"amount": 20.001}}, headers=headers)
    assert response.status == 400  # decimals checked against the stored currency
    for create_only in ({"save_card": True}, {"is_recurring": True}, {"company_domains": ["https://s.example"]}):
        response = await client.put(url, json=create_only, headers=headers)  # not parameters of the update
        assert response.status == 400
        assert (await response.json())["invalid_parameters"][0]["parameter"] == next(iter(create_only))
    response = await client.put("/v1/payment-sessions/no-such-session", json={}, headers=headers)
    assert response.status == 404
    assert (await response.json())["error_type"] == "not_found"


@pytest.mark.parametrize(
    ("amount", "status", "content_type"),
    [
        (400.00, 400, "application/json"),
        (403.00, 403, "text/html"),
        (500.00, 500, "application/json"),
        (502, 502, "text/html"),
        (591, 200, "application/json"),
    ],
)
async def test_magic_amounts_trigger_faults(
    client: TestClient[Any, Any], amount: float, status: int, content_type: str
) -> None:
    headers = {"Authorization": f"Bearer {await token(client)}", "Content-Type": "application/json"}
    body = {"transaction": {"order_id": "order-42", "amount": amount, "currency": "gbp"}}
    response = await client.post("/v1/payment-sessions", json=body, headers=headers)
    assert response.status == status
    assert response.content_type == content_type
    assert state(client).calls[-1].status == (status if status != 200 else 0)
