"""MPGS request bodies from our commands: exact field names, decimal-string amounts, nothing absent sent."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from contracts.codec import decode_create, decode_update
from contracts.commands import CreateMpgsSession, UpdateMpgsSession
from contracts.names import ErrorCode
from service.providers.base import ProviderError
from service.providers.mpgs import transformers


def create_command(**fields: Any) -> CreateMpgsSession:
    command = decode_create(msgspec.json.encode({"provider": "mpgs", "command_id": "c-1", **fields}))
    assert isinstance(command, CreateMpgsSession)
    return command


def update_command(**fields: Any) -> UpdateMpgsSession:
    body = {"provider": "mpgs", "command_id": "c-2", "session_id": "SESSION0002a1b2c3d4e5f6a7b8c9d0e1f2a3b4", **fields}
    command = decode_update(msgspec.json.encode(body))
    assert isinstance(command, UpdateMpgsSession)
    return command


def as_json(body: bytes | None) -> Any:
    assert body is not None
    return msgspec.json.decode(body)


def test_create_body_may_be_empty() -> None:
    assert transformers.create_body(create_command()) == b"{}"


def test_create_body_uses_order_id_as_correlation_id_and_authentication_limit() -> None:
    command = create_command(order_id="order-42", options={"authentication_limit": 3})
    assert as_json(transformers.create_body(command)) == {
        "correlationId": "order-42",
        "session": {"authenticationLimit": 3},
    }


def test_create_body_leaves_out_an_order_id_too_long_for_correlation_id() -> None:
    assert as_json(transformers.create_body(create_command(order_id="x" * 101))) == {}
    assert as_json(transformers.create_body(create_command(order_id="x" * 100))) == {"correlationId": "x" * 100}


def test_create_without_order_or_customer_needs_no_put() -> None:
    assert transformers.create_order_body(create_command(options={"authentication_limit": 5})) is None
    assert transformers.create_order_body(create_command(customer={"id": "only-an-id"})) is None


def test_create_order_body_holds_order_and_customer() -> None:
    command = create_command(
        order_id="order-42",
        amount=1502,
        currency="GBP",
        customer={
            "id": "cust-1",
            "email": "ada@example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "phone": "+44 20 7946 0000",
            "billing_address": {"line1": "1 Main St", "country_code": "GB"},
        },
    )
    assert as_json(transformers.create_order_body(command)) == {
        "order": {"amount": "15.02", "currency": "GBP", "id": "order-42"},
        "customer": {
            "email": "ada@example.com",
            "firstName": "Ada",
            "lastName": "Lovelace",
            "mobilePhone": "+44 20 7946 0000",
        },
    }


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (1502, "GBP", "15.02"),
        (5, "GBP", "0.05"),
        (40000, "GBP", "400.00"),
        (100, "JPY", "100"),
        (0, "JPY", "0"),
        (1234, "BHD", "1.234"),
        (5, "BHD", "0.005"),
        (10**15, "USD", "10000000000000.00"),
    ],
)
def test_amount_is_a_decimal_string_with_the_currency_exponent(amount: int, currency: str, expected: str) -> None:
    body = as_json(transformers.update_body(update_command(amount=amount, currency=currency)))
    assert body == {"order": {"amount": expected, "currency": currency}}
    assert isinstance(body["order"]["amount"], str)


def test_update_body_sends_only_present_fields() -> None:
    assert transformers.update_body(update_command()) == b"{}"
    assert as_json(transformers.update_body(update_command(order_id="o-9"))) == {"order": {"id": "o-9"}}
    assert as_json(transformers.update_body(update_command(currency="EUR"))) == {"order": {"currency": "EUR"}}


def test_update_body_with_options_and_session_version() -> None:
    command = update_command(
        amount=2000,
        currency="EUR",
        options={"order_reference": "ref-7", "order_description": "Two tickets", "session_version": "e3f1a2b4c5"},
    )
    assert as_json(transformers.update_body(command)) == {
        "order": {"amount": "20.00", "currency": "EUR", "reference": "ref-7", "description": "Two tickets"},
        "session": {"version": "e3f1a2b4c5"},
    }


def test_update_body_never_removes_fields() -> None:
    """MPGS cannot remove a field: a null customer, empty strings and addresses send nothing."""
    assert transformers.update_body(update_command(customer=None)) == b"{}"
    command = update_command(customer={"email": "", "first_name": "Ada", "shipping_address": {"city": "Leeds"}})
    assert as_json(transformers.update_body(command)) == {"customer": {"firstName": "Ada"}}


def test_amount_without_currency_is_an_invalid_command() -> None:
    create, update = create_command(amount=1502), update_command(amount=1502)
    with pytest.raises(ProviderError) as on_create:
        transformers.create_body(create)
    with pytest.raises(ProviderError) as on_update:
        transformers.update_body(update)
    for error in (on_create.value, on_update.value):
        assert (error.code, error.field, error.retryable) == (ErrorCode.INVALID_COMMAND, "currency", False)
