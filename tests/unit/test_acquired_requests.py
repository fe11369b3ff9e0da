"""Acquired request bodies from our commands: exact field names, JSON-number amounts, lower-case currencies,
upper-case countries, and updates that send only what the command changes."""

from __future__ import annotations

import base64
from typing import Any

import msgspec
import pytest

from contracts.codec import decode_create, decode_update
from contracts.commands import CreateAcquiredSession, UpdateAcquiredSession
from contracts.names import ErrorCode
from service.providers.acquired import login, transformers
from service.providers.base import ProviderError

SESSION_ID = "5d7f3a2e-8c1b-4f6a-9e0d-3b2c1a4f5e6d"
CUSTOMER_ID = "4f3970f9-3cf8-424d-299e-631dea1b7d30"


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


def unbase64(text: str) -> Any:
    return msgspec.json.decode(base64.b64decode(text))


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
        (0, "GBP", b'"amount":0.00,"currency":"gbp"'),
        (10**15, "USD", b'"amount":10000000000000.00,"currency":"usd"'),
    ],
)
def test_amount_is_a_json_number_with_the_currency_decimals(amount: int, currency: str, text: bytes) -> None:
    body = transformers.create_body(create_command(amount=amount, currency=currency))
    assert text in body  # the exact JSON text: a number (no quotes), never a float's rounding


@pytest.mark.parametrize("currency", ["BHD", "NOK", "KRW"])
def test_a_currency_acquired_does_not_list_is_refused_before_any_call(currency: str) -> None:
    error = refusal(lambda: transformers.create_body(create_command(currency=currency)))
    assert (error.code, error.field) == (ErrorCode.INVALID_COMMAND, "currency")
    error = refusal(lambda: transformers.update_body(update_command(amount=100, currency=currency)))
    assert (error.code, error.field) == (ErrorCode.INVALID_COMMAND, "currency")


FULL_CUSTOMER = {
    "id": "cust-7",
    "customer_id": CUSTOMER_ID,
    "email": "ada@example.com",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "phone": {"country_code": "44", "number": "2079460000"},
    "dob": "1815-12-10",
    "ip": "203.0.113.7",
    "custom_data": {"loyalty": "gold"},
    "billing_address": {
        "line1": "1 High Street",
        "line2": "Flat 2",
        "city": "London",
        "postal_code": "E1 7RT",
        "country_code": "GB",
    },
    "shipping_address": {"line1": "5 Main St", "city": "Austin", "state": "TX", "country_code": "US"},
}
FULL_OPTIONS = {
    "capture": False,
    "moto": True,
    "custom1": "basket-9",
    "custom2": "web",
    "tds": {
        "is_active": True,
        "challenge_preference": "challenge_mandated",
        "challenge_window_size": "windowed_600x400",
        "contact_url": "https://shop.example/contact",
        "redirect_url": "https://shop.example/3ds",
        "webhook_url": "https://shop.example/hook",
    },
    "webhook_url": "https://shop.example/hooks/acquired",
    "company_domains": ["https://shop.example"],
    "payment_methods": ["card", "google_pay"],
    "is_recurring": True,
    "save_card": True,
}


def test_full_create_body_names_every_field_as_acquired_does() -> None:
    command = create_command(customer=FULL_CUSTOMER, metadata={"channel": "web"}, options=FULL_OPTIONS)
    body = as_json(transformers.create_body(command))
    assert unbase64(body["transaction"].pop("custom_data")) == {"channel": "web"}
    assert unbase64(body["customer"].pop("custom_data")) == {"loyalty": "gold"}
    assert body == {
        "transaction": {
            "order_id": "order-42",
            "amount": 15.02,
            "currency": "gbp",
            "capture": False,
            "moto": True,
            "custom1": "basket-9",
            "custom2": "web",
        },
        "customer": {
            "customer_id": CUSTOMER_ID,
            "reference": "cust-7",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "dob": "1815-12-10",
            "ip": "203.0.113.7",
            "billing": {
                "address": {
                    "line_1": "1 High Street",
                    "line_2": "Flat 2",
                    "city": "London",
                    "postcode": "E1 7RT",
                    "country_code": "GB",
                },
                "email": "ada@example.com",
                "phone": {"country_code": "44", "number": "2079460000"},
            },
            "shipping": {"address": {"line_1": "5 Main St", "city": "Austin", "state": "TX", "country_code": "US"}},
        },
        "tds": FULL_OPTIONS["tds"],
        "webhook_url": "https://shop.example/hooks/acquired",
        "is_recurring": True,
        "save_card": True,
        "payment_methods": ["card", "google_pay"],
        "company_domains": ["https://shop.example"],
    }


def test_an_empty_customer_is_left_out() -> None:
    assert "customer" not in as_json(transformers.create_body(create_command(customer={})))


@pytest.mark.parametrize("country", ["GB", None])
def test_a_state_outside_the_us_is_refused_not_dropped(country: str | None) -> None:
    address = {"line1": "1 High Street", "state": "LN", "country_code": country}
    error = refusal(lambda: transformers.create_body(create_command(customer={"billing_address": address})))
    assert (error.code, error.field) == (ErrorCode.INVALID_COMMAND, "customer.billing_address.state")


@pytest.mark.parametrize(
    ("customer", "field"),
    [
        ({"phone": "+44 20 7946 0000"}, "customer.phone"),  # Acquired's phone is a dialling code plus digits
        ({"phone": {"country_code": "+44", "number": "2079460000"}}, "customer.phone.country_code"),
        ({"phone": {"country_code": "44", "number": "020 7946"}}, "customer.phone.number"),
        ({"dob": "10/12/1815"}, "customer.dob"),
        ({"ip": "localhost"}, "customer.ip"),
        ({"customer_id": "cust-7"}, "customer.customer_id"),
        ({"billing_address": {"state": "tx", "country_code": "US"}}, "customer.billing_address.state"),
    ],
)
def test_acquired_customer_shapes_are_checked_by_the_contract(customer: dict[str, Any], field: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=rf"`\$\.{field}`"):
        create_command(customer=customer)


def test_tds_defaults_are_sent_when_tds_is_given_on_create() -> None:
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


# --- update ------------------------------------------------------------------------------------------


def test_update_sends_only_what_changed() -> None:
    assert transformers.update_body(update_command()) == b"{}"
    assert as_json(transformers.update_body(update_command(options={"moto": True}))) == {"transaction": {"moto": True}}


def test_a_tds_update_sends_only_the_tds_fields_given() -> None:
    """The defect: an update of tds.redirect_url alone used to send is_active=true and no_preference too."""
    body = as_json(transformers.update_body(update_command(options={"tds": {"redirect_url": "https://s.example/r"}})))
    assert body == {"tds": {"redirect_url": "https://s.example/r"}}
    body = as_json(transformers.update_body(update_command(options={"tds": {"is_active": False}})))
    assert body == {"tds": {"is_active": False}}


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
        customer={"email": "ada@example.com", "phone": {"country_code": "1", "number": "5125550100"}},
        metadata={"step": 2},
        options={
            "capture": False,
            "moto": False,
            "custom1": "again",
            "custom2": "twice",
            "tds": {"challenge_preference": "no_challenge_requested", "challenge_window_size": "full_screen"},
            "webhook_url": "https://shop.example/hooks/2",
            "payment_methods": ["card"],
        },
    )
    body = as_json(transformers.update_body(command))
    assert unbase64(body["transaction"].pop("custom_data")) == {"step": 2}
    assert body == {
        "transaction": {
            "order_id": "order-43",
            "capture": False,
            "moto": False,
            "custom1": "again",
            "custom2": "twice",
        },
        "customer": {"billing": {"email": "ada@example.com", "phone": {"country_code": "1", "number": "5125550100"}}},
        "tds": {"challenge_preference": "no_challenge_requested", "challenge_window_size": "full_screen"},
        "webhook_url": "https://shop.example/hooks/2",
        "payment_methods": ["card"],
    }


def test_update_clears_free_text_with_an_empty_string() -> None:
    body = update_command(metadata=None, options={"custom1": None, "custom2": None})
    assert as_json(transformers.update_body(body)) == {"transaction": {"custom_data": "", "custom1": "", "custom2": ""}}


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"customer": None}, "customer"),  # Acquired documents no way to remove a session's customer
        ({"customer": {"first_name": None}}, "customer.first_name"),
        ({"options": {"tds": {"redirect_url": None}}}, "options.tds.redirect_url"),
        ({"options": {"save_card": True}}, "options"),  # not a parameter of Acquired's update
        ({"options": {"is_recurring": True}}, "options"),
        ({"options": {"company_domains": ["https://shop.example"]}}, "options"),
    ],
)
def test_update_refuses_what_acquired_cannot_change(fields: dict[str, Any], path: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=rf"`\$\.{path}`"):
        update_command(**fields)


def test_update_refuses_a_short_order_id() -> None:
    error = refusal(lambda: transformers.update_body(update_command(order_id="x")))
    assert error.field == "order_id"


def test_login_body() -> None:
    assert as_json(login.login_body("app-1", "key-1")) == {"app_id": "app-1", "app_key": "key-1"}
