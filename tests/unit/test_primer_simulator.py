"""The Primer simulator behaves as Primer's reference describes: what a PATCH changes and keeps, computed amounts,
idempotency keys, versions and strictness (the shapes themselves are checked in test_primer_conformance.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from service.settings import settings_from_mapping
from service.simulator.app import build_app, state_of
from service.simulator.state import SimulatorState

API_KEY = "sim-primer-key-unit"
HEADERS = {"X-Api-Key": API_KEY, "X-Api-Version": "2.4"}
CUSTOMER = {
    "emailAddress": "ada@example.com",
    "firstName": "Ada",
    "mobileNumber": "+441234",
    "billingAddress": {"addressLine1": "1 High St", "city": "London", "countryCode": "GB"},
}


@pytest.fixture
async def client() -> AsyncIterator[TestClient[Any, Any]]:
    accounts = {"default": {"primer": {"base_url": "http://x", "api_key": API_KEY}}}
    async with TestClient(TestServer(build_app(settings_from_mapping({"accounts": accounts}, {})))) as test_client:
        yield test_client


def state(client: TestClient[Any, Any]) -> SimulatorState:
    return state_of(client.app)  # type: ignore[arg-type]


async def call(client: TestClient[Any, Any], method: str, body: Any, **headers: str) -> tuple[int, Any]:
    response = await client.request(method, "/client-session", json=body, headers={**HEADERS, **headers})
    return response.status, await response.json()


async def created(client: TestClient[Any, Any], **fields: Any) -> str:
    status, reply = await call(client, "POST", {"currencyCode": "EUR", "amount": 1250, **fields})
    assert status == 200, reply
    return str(reply["clientToken"])


async def test_a_patch_of_one_customer_field_keeps_the_others(client: TestClient[Any, Any]) -> None:
    token = await created(client, customer=CUSTOMER)
    status, reply = await call(client, "PATCH", {"clientToken": token, "customer": {"emailAddress": "new@x.io"}})
    assert status == 200
    assert reply["customer"] == {**CUSTOMER, "emailAddress": "new@x.io"}


async def test_null_clears_and_nested_objects_are_replaced_whole(client: TestClient[Any, Any]) -> None:
    token = await created(client, customer=CUSTOMER, metadata={"a": 1, "b": 2})
    change = {"mobileNumber": None, "billingAddress": {"city": "Leeds"}}
    status, reply = await call(client, "PATCH", {"clientToken": token, "customer": change, "metadata": {"c": 3}})
    assert status == 200
    assert reply["customer"] == {
        "emailAddress": "ada@example.com",
        "firstName": "Ada",
        "billingAddress": {"city": "Leeds"},
    }
    assert reply["metadata"] == {"c": 3}  # replaced whole
    status, reply = await call(client, "PATCH", {"clientToken": token, "customer": None, "customerId": None})
    assert status == 200 and "customer" not in reply


async def test_line_items_are_replaced_whole_and_the_amount_follows_them(client: TestClient[Any, Any]) -> None:
    items = [{"itemId": "a", "amount": 500, "quantity": 2}, {"itemId": "b", "amount": 100, "discountAmount": 50}]
    status, reply = await call(client, "POST", {"currencyCode": "EUR", "order": {"lineItems": items}})
    assert (status, reply["amount"]) == (200, 1050)
    token = reply["clientToken"]
    status, reply = await call(
        client, "PATCH", {"clientToken": token, "order": {"lineItems": items[:1], "fees": [{"amount": 5}]}}
    )
    assert (status, reply["amount"], len(reply["order"]["lineItems"])) == (200, 1005, 1)
    status, reply = await call(client, "PATCH", {"clientToken": token, "amount": 7})
    assert reply["amount"] == 7  # a given amount overrides the computed one
    assert state(client).sessions[f"primer:{token}"]["amount"] == 7


async def test_payment_method_fields_patch_but_its_options_do_not(client: TestClient[Any, Any]) -> None:
    method = {"vaultOnSuccess": False, "descriptor": "SHOP", "options": {"GOOGLE_PAY": {"surcharge": {"amount": 20}}}}
    token = await created(client, paymentMethod=method)
    status, reply = await call(client, "PATCH", {"clientToken": token, "paymentMethod": {"vaultOnSuccess": True}})
    assert status == 200
    assert reply["paymentMethod"] == {**method, "vaultOnSuccess": True}
    status, reply = await call(client, "PATCH", {"clientToken": token, "paymentMethod": {"options": {}}})
    assert status == 422
    assert reply["error"]["validationErrors"][0]["errors"][0]["path"] == "$.paymentMethod.options"


async def test_a_reused_idempotency_key_is_refused(client: TestClient[Any, Any]) -> None:
    body = {"currencyCode": "EUR", "amount": 100}
    assert (await call(client, "POST", body, **{"X-Idempotency-Key": "k-1"}))[0] == 200
    status, reply = await call(client, "POST", body, **{"X-Idempotency-Key": "k-1"})
    assert (status, reply["error"]["errorId"]) == (409, "IdempotencyKeyAlreadyExists")


@pytest.mark.parametrize(
    ("body", "status", "path"),
    [
        ({"clientToken": "t"}, 422, "$.clientToken"),  # not a field of ClientSessionAPIRequest
        ({"order": {"countryCode": "gb"}}, 422, "$.order.countryCode"),
        ({"order": {"lineItems": [{"itemId": "a"}]}}, 422, "$.order.lineItems[0]"),  # amount is required
        ({"order": {"lineItems": [{"amount": -1}]}}, 422, "$.order.lineItems[0].amount"),
        (
            {"paymentMethod": {"orderedAllowedCardNetworks": ["VISA", "BOGUS"]}},
            422,
            "$.paymentMethod.orderedAllowedCardNetworks[1]",
        ),
        ({"paymentMethod": {"options": {"PAYMENT_CARD": {"networks": {"EFTPOS": {}}}}}}, 422, None),
        ({"customer": {"email": "a@b.c"}}, 422, "$.customer"),
    ],
)
async def test_the_simulator_is_strict(client: TestClient[Any, Any], body: Any, status: int, path: str | None) -> None:
    answer, reply = await call(client, "POST", body)
    assert answer == status, reply
    if path is not None:
        assert reply["error"]["validationErrors"][0]["errors"][0]["path"] == path


async def test_versions_and_keys(client: TestClient[Any, Any]) -> None:
    assert (await call(client, "POST", {}, **{"X-Api-Version": "2.0"}))[0] == 410
    assert (await call(client, "POST", {}, **{"X-Api-Key": "nope"}))[0] == 401
    response = await client.post("/client-session", json={}, headers={"X-Api-Key": API_KEY})
    assert response.status == 400


async def test_retrieve_answers_the_session_without_its_token(client: TestClient[Any, Any]) -> None:
    token = await created(client, orderId="o-1")
    response = await client.get("/client-session", params={"clientToken": token}, headers=HEADERS)
    reply = await response.json()
    assert response.status == 200 and reply["orderId"] == "o-1" and "clientToken" not in reply
    response = await client.get("/client-session", params={"clientToken": "nope"}, headers=HEADERS)
    assert response.status == 400
