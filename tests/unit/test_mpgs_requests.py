"""MPGS request bodies from our commands: exact field names, decimal-string amounts, alpha-3 countries, nothing
absent sent, and what MPGS cannot take refused naming the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from contracts.codec import decode_create, decode_update
from contracts.commands import CreateMpgsSession, UpdateMpgsSession
from contracts.names import ErrorCode
from service.messaging.intake import split_error
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
    assert transformers.create_body(create_command(order_id="order-42", amount=1502, currency="GBP")) == b"{}"


def test_create_body_carries_the_correlation_id_and_authentication_limit() -> None:
    command = create_command(order_id="order-42", correlation_id="checkout-7f3a", options={"authentication_limit": 3})
    assert as_json(transformers.create_body(command)) == {
        "correlationId": "checkout-7f3a",
        "session": {"authenticationLimit": 3},
    }


def test_an_authentication_limit_of_zero_is_sent() -> None:
    assert as_json(transformers.create_body(create_command(options={"authentication_limit": 0}))) == {
        "session": {"authenticationLimit": 0}
    }


def test_create_without_order_or_customer_needs_no_put() -> None:
    assert transformers.create_order_body(create_command(options={"authentication_limit": 5})) is None
    assert transformers.create_order_body(create_command(correlation_id="c-9")) is None


def test_create_order_body_holds_order_customer_and_addresses() -> None:
    command = create_command(
        order_id="order-42",
        correlation_id="checkout-7f3a",
        amount=1502,
        currency="GBP",
        customer={
            "email": "ada@example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "phone": "+44 20 7946 0000",
            "billing_address": {"line1": "1 Main St", "postal_code": "EC1A 1AA", "country_code": "GB"},
            "shipping_address": {"city": "Leeds", "state": "West Yorkshire", "country_code": "XK"},
        },
        options={"order_reference": "basket-88", "order_description": "Two tickets"},
    )
    assert as_json(transformers.create_order_body(command)) == {
        "correlationId": "checkout-7f3a",
        "order": {
            "amount": "15.02",
            "currency": "GBP",
            "id": "order-42",
            "reference": "basket-88",
            "description": "Two tickets",
        },
        "customer": {
            "email": "ada@example.com",
            "firstName": "Ada",
            "lastName": "Lovelace",
            "mobilePhone": "+44 20 7946 0000",
        },
        "billing": {"address": {"street": "1 Main St", "postcodeZip": "EC1A 1AA", "country": "GBR"}},
        "shipping": {"address": {"city": "Leeds", "stateProvince": "West Yorkshire", "country": "XKX"}},
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
    assert as_json(transformers.update_body(update_command(customer={"first_name": "Ada"}))) == {
        "customer": {"firstName": "Ada"}
    }
    assert as_json(transformers.update_body(update_command(customer={"billing_address": {"city": "Leeds"}}))) == {
        "billing": {"address": {"city": "Leeds"}}
    }


def test_update_body_with_options_correlation_id_and_session_version() -> None:
    command = update_command(
        amount=2000,
        currency="EUR",
        correlation_id="checkout-7f3a",
        options={
            "order_reference": "ref-7",
            "order_description": "Two tickets",
            "session_version": "e3f1a2b4c5",
            "authentication_limit": 7,
        },
    )
    assert as_json(transformers.update_body(command)) == {
        "correlationId": "checkout-7f3a",
        "order": {"amount": "20.00", "currency": "EUR", "reference": "ref-7", "description": "Two tickets"},
        "session": {"authenticationLimit": 7, "version": "e3f1a2b4c5"},
    }


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"customer": None}, "customer"),
        ({"customer": {"email": None}}, "customer.email"),
        ({"customer": {"email": ""}}, "customer.email"),
        ({"customer": {"billing_address": {"line2": ""}}}, "customer.billing_address.line2"),
        ({"metadata": {"k": "v"}}, "metadata"),
        ({"options": {"order_reference": None}}, "options.order_reference"),
        ({"options": {"session_version": "short"}}, "options.session_version"),
        ({"options": {"authentication_limit": 26}}, "options.authentication_limit"),
        ({"order_id": "x" * 41}, "order_id"),
        ({"correlation_id": "x" * 101}, "correlation_id"),
        ({"correlation_id": ""}, "correlation_id"),
    ],
)
def test_what_mpgs_cannot_take_is_refused_at_decoding(fields: dict[str, Any], field: str) -> None:
    """MPGS never removes a field (no null), has no metadata, and bounds its fields: refused, naming the field."""
    body = {"provider": "mpgs", "command_id": "c-2", "session_id": "SESSION0002a1b2c3d4e5f6a7b8c9d0e1f2a3b4", **fields}
    with pytest.raises(msgspec.ValidationError) as refused:
        decode_update(msgspec.json.encode(body))
    assert split_error(str(refused.value))[1] == field  # the field the service's invalid_command names


@pytest.mark.parametrize(
    ("customer", "field"),
    [
        ({"id": "cust-42"}, "customer.id"),
        ({"billing_address": {"country_code": "ZZ"}}, "customer.billing_address.country_code"),
        ({"shipping_address": {"country_code": "QQ"}}, "customer.shipping_address.country_code"),
    ],
)
def test_what_mpgs_has_no_field_for_is_an_invalid_command_before_any_request(
    customer: dict[str, Any], field: str
) -> None:
    with pytest.raises(ProviderError) as on_create:
        transformers.create_order_body(create_command(customer=customer))
    with pytest.raises(ProviderError) as on_update:
        transformers.update_body(update_command(customer=customer))
    for error in (on_create.value, on_update.value):
        assert (error.code, error.field, error.retryable) == (ErrorCode.INVALID_COMMAND, field, False)


def test_amount_without_currency_is_an_invalid_command() -> None:
    create, update = create_command(amount=1502), update_command(amount=1502)
    with pytest.raises(ProviderError) as on_create:
        transformers.create_order_body(create)
    with pytest.raises(ProviderError) as on_update:
        transformers.update_body(update)
    for error in (on_create.value, on_update.value):
        assert (error.code, error.field, error.retryable) == (ErrorCode.INVALID_COMMAND, "currency", False)


def test_the_v1_golden_create_still_decodes_but_its_customer_id_is_refused() -> None:
    """contracts/golden/v1/mpgs.session.create.json carries customer.id, which MPGS has no field for: it must keep
    decoding (frozen v1), so the type keeps ``id``, and the adapter refuses it before any request."""
    golden = (Path(__file__).parents[2] / "contracts" / "golden" / "v1" / "mpgs.session.create.json").read_bytes()
    command = decode_create(golden)
    assert isinstance(command, CreateMpgsSession)
    with pytest.raises(ProviderError) as refused:
        transformers.create_order_body(command)
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_COMMAND, "customer.id")
