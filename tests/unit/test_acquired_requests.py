"""Acquired request bodies from our commands: exact field names, JSON-number amounts, lower-case codes."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from contracts.codec import decode_create, decode_update
from contracts.commands import CreateAcquiredSession, UpdateAcquiredSession
from contracts.names import ErrorCode
from service.providers.acquired import login, transformers
from service.providers.base import ProviderError

SESSION_ID = "5d7f3a2e-8c1b-4f6a-9e0d-3b2c1a4f5e6d"


def create_command(**fields: Any) -> CreateAcquiredSession:
    base = {"provider": "acquired", "command_id": "c-1", "order_id": "order-42", "amount": 1502, "currency": "GBP"}
    command = decode_create(msgspec.json.encode({**base, **fields}))
    assert isinstance(command, CreateAcquiredSession)
    return command


def update_command(**fields: Any) -> UpdateAcquiredSession:
    body = {"provider": "acquired", "command_id": "c-2", "session_id": SESSION_ID, **fields}
    command = decode_update(msgspec.json.encode(body))
    assert isinstance(command, UpdateAcquiredSession)
    return command


def as_json(body: bytes) -> Any:
    return msgspec.json.decode(body)


def refusal(call: Any) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        call()
    return caught.value


def test_minimal_create_body() -> None:
    assert as_json(transformers.create_body(create_command())) == {
        "transaction": {"order_id": "order-42", "amount": 15.02, "currency": "gbp", "capture": True, "moto": False}
    }


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (1502, "GBP", b'"amount":15.02,"currency":"gbp"'),
        (1500, "GBP", b'"amount":15.00,"currency":"gbp"'),
        (5, "EUR", b'"amount":0.05,"currency":"eur"'),
        (100, "JPY", b'"amount":100,"currency":"jpy"'),
        (1234, "BHD", b'"amount":1.234,"currency":"bhd"'),
        (1000, "BHD", b'"amount":1.000,"currency":"bhd"'),
        (0, "GBP", b'"amount":0.00,"currency":"gbp"'),
        (10**15, "USD", b'"amount":10000000000000.00,"currency":"usd"'),
    ],
)
def test_amount_is_a_json_number_with_the_currency_decimals(amount: int, currency: str, text: bytes) -> None:
    body = transformers.create_body(create_command(amount=amount, currency=currency))
    assert text in body  # the exact JSON text: a number (no quotes), never a float's rounding


def test_full_create_body_names_every_field_as_acquired_does() -> None:
    command = create_command(
        customer={
            "id": "cust-7",
            "email": "ada@example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "phone": "+44 20 7946 0000",
            "billing_address": {
                "line1": "1 High Street",
                "line2": "Flat 2",
                "city": "London",
                "postal_code": "E1 7RT",
                "state": "Greater London",
                "country_code": "GB",
            },
            "shipping_address": {"line1": "5 Main St", "city": "Austin", "state": "TX", "country_code": "US"},
        },
        metadata={"channel": "web"},
        options={
            "capture": False,
            "moto": True,
            "custom1": "basket-9",
            "tds": {
                "is_active": True,
                "challenge_preference": "challenge_mandated",
                "contact_url": "https://shop.example/contact",
                "redirect_url": "https://shop.example/3ds",
                "webhook_url": "https://shop.example/hook",
            },
            "payment_methods": ["card", "google_pay"],
            "is_recurring": True,
            "save_card": True,
        },
    )
    assert as_json(transformers.create_body(command)) == {
        "transaction": {
            "order_id": "order-42",
            "amount": 15.02,
            "currency": "gbp",
            "capture": False,
            "moto": True,
            "custom1": "basket-9",
        },
        "tds": {
            "is_active": True,
            "challenge_preference": "challenge_mandated",
            "contact_url": "https://shop.example/contact",
            "redirect_url": "https://shop.example/3ds",
            "webhook_url": "https://shop.example/hook",
        },
        "customer": {
            "reference": "cust-7",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "billing": {
                "address": {
                    "line_1": "1 High Street",
                    "line_2": "Flat 2",
                    "city": "London",
                    "postcode": "E1 7RT",
                    "country_code": "gb",  # state is for US addresses only
                },
                "email": "ada@example.com",
            },
            "shipping": {"address": {"line_1": "5 Main St", "city": "Austin", "state": "tx", "country_code": "us"}},
        },
        "is_recurring": True,
        "save_card": True,
        "payment_methods": ["card", "google_pay"],
    }


def test_customer_without_mappable_fields_is_left_out() -> None:
    body = as_json(transformers.create_body(create_command(customer={"phone": "+44 20 7946 0000"})))
    assert "customer" not in body


def test_tds_defaults_are_sent_when_tds_is_given() -> None:
    body = as_json(transformers.create_body(create_command(options={"tds": {}})))
    assert body["tds"] == {"is_active": True, "challenge_preference": "no_preference"}


@pytest.mark.parametrize("field", ["order_id", "amount", "currency"])
def test_create_needs_order_id_amount_and_currency(field: str) -> None:
    command = create_command(**{field: None})
    error = refusal(lambda: transformers.create_body(command))
    assert error.code is ErrorCode.INVALID_COMMAND
    assert error.field == field
    assert not error.retryable


@pytest.mark.parametrize("order_id", ["x", "x" * 51])
def test_create_refuses_an_order_id_outside_2_to_50(order_id: str) -> None:
    error = refusal(lambda: transformers.create_body(create_command(order_id=order_id)))
    assert error.code is ErrorCode.INVALID_COMMAND
    assert error.field == "order_id"


@pytest.mark.parametrize("order_id", ["ab", "x" * 50])
def test_create_accepts_order_ids_at_the_bounds(order_id: str) -> None:
    assert as_json(transformers.create_body(create_command(order_id=order_id)))["transaction"]["order_id"] == order_id


def test_update_sends_only_what_changed() -> None:
    assert transformers.update_body(update_command()) == b"{}"
    assert as_json(transformers.update_body(update_command(options={"save_card": False}))) == {"save_card": False}


def test_update_amount_goes_with_its_currency() -> None:
    body = transformers.update_body(update_command(amount=100, currency="JPY"))
    assert body == b'{"transaction":{"amount":100,"currency":"jpy"}}'


def test_update_amount_without_currency_is_refused() -> None:
    error = refusal(lambda: transformers.update_body(update_command(amount=100)))
    assert error.code is ErrorCode.INVALID_COMMAND
    assert error.field == "currency"


def test_update_of_every_option() -> None:
    command = update_command(
        order_id="order-43",
        customer={"email": "ada@example.com"},
        options={
            "capture": False,
            "custom1": "again",
            "tds": {"challenge_preference": "no_challenge_requested"},
            "payment_methods": ["card"],
            "is_recurring": False,
        },
    )
    assert as_json(transformers.update_body(command)) == {
        "transaction": {"order_id": "order-43", "capture": False, "custom1": "again"},
        "tds": {"is_active": True, "challenge_preference": "no_challenge_requested"},
        "customer": {"billing": {"email": "ada@example.com"}},
        "is_recurring": False,
        "payment_methods": ["card"],
    }


def test_update_clears_custom1_with_an_empty_string() -> None:
    assert as_json(transformers.update_body(update_command(options={"custom1": None}))) == {
        "transaction": {"custom1": ""}
    }


def test_update_cannot_remove_the_customer() -> None:
    error = refusal(lambda: transformers.update_body(update_command(customer=None)))
    assert error.code is ErrorCode.INVALID_COMMAND
    assert error.field == "customer"


def test_update_refuses_a_short_order_id() -> None:
    error = refusal(lambda: transformers.update_body(update_command(order_id="x")))
    assert error.field == "order_id"


def test_metadata_is_not_sent() -> None:
    assert "metadata" not in as_json(transformers.create_body(create_command(metadata={"a": 1})))
    assert transformers.update_body(update_command(metadata={"a": 1})) == b"{}"


def test_login_body() -> None:
    assert as_json(login.login_body("app-1", "key-1")) == {"app_id": "app-1", "app_key": "key-1"}
