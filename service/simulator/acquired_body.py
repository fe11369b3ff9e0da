"""Acquired's payment-session bodies as the simulator reads them: its own spelling, strict like the real API.

Written from Acquired's reference and the examples in ``tests/providers/acquired/``, independently of
``service.providers.acquired.wire``, so a wrong field name in the adapter fails here. The update body is its own
type: Acquired's "Update a session_id" lists only transaction, customer, tds, webhook_url and payment_methods.
Value checks live in ``acquired_checks``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import msgspec
from msgspec import UNSET, Struct, UnsetType


class Transaction(Struct, forbid_unknown_fields=True):
    order_id: str | UnsetType = UNSET
    amount: Any = UNSET  # a JSON number; checked by hand so a string "15.02" is refused
    currency: str | UnsetType = UNSET
    capture: bool | UnsetType = UNSET
    moto: bool | UnsetType = UNSET
    custom_data: str | UnsetType = UNSET
    custom1: str | UnsetType = UNSET
    custom2: str | UnsetType = UNSET


class Tds(Struct, forbid_unknown_fields=True):
    is_active: bool | UnsetType = UNSET
    challenge_preference: str | UnsetType = UNSET
    challenge_window_size: str | UnsetType = UNSET
    contact_url: str | UnsetType = UNSET
    redirect_url: str | UnsetType = UNSET
    webhook_url: str | UnsetType = UNSET


class Address(Struct, forbid_unknown_fields=True):
    line_1: str | UnsetType = UNSET
    line_2: str | UnsetType = UNSET
    city: str | UnsetType = UNSET
    state: str | UnsetType = UNSET
    postcode: str | UnsetType = UNSET
    country_code: str | UnsetType = UNSET


class Phone(Struct, forbid_unknown_fields=True):
    country_code: str | UnsetType = UNSET
    number: str | UnsetType = UNSET


class Billing(Struct, forbid_unknown_fields=True):
    address: Address | UnsetType = UNSET
    email: str | UnsetType = UNSET
    phone: Phone | UnsetType = UNSET


class Shipping(Struct, forbid_unknown_fields=True):
    address_match: bool | UnsetType = UNSET
    address: Address | UnsetType = UNSET
    email: str | UnsetType = UNSET
    phone: Phone | UnsetType = UNSET


class Customer(Struct, forbid_unknown_fields=True):
    customer_id: str | UnsetType = UNSET
    reference: str | UnsetType = UNSET
    first_name: str | UnsetType = UNSET
    last_name: str | UnsetType = UNSET
    dob: str | UnsetType = UNSET
    ip: str | UnsetType = UNSET
    custom_data: str | UnsetType = UNSET
    billing: Billing | UnsetType = UNSET
    shipping: Shipping | UnsetType = UNSET


class UpdateBody(Struct, forbid_unknown_fields=True):
    """``PUT /v1/payment-sessions/{session_id}``: the parameters to change."""

    transaction: Transaction | UnsetType = UNSET
    customer: Customer | UnsetType = UNSET
    tds: Tds | UnsetType = UNSET
    webhook_url: str | UnsetType = UNSET
    payment_methods: list[str] | UnsetType = UNSET


class CreateBody(UpdateBody, forbid_unknown_fields=True):
    """``POST /v1/payment-sessions``: the update's parameters plus the create-only ones."""

    is_recurring: bool | UnsetType = UNSET
    save_card: bool | UnsetType = UNSET
    company_domains: list[str] | UnsetType = UNSET


SessionBody = UpdateBody | CreateBody


class Login(Struct, forbid_unknown_fields=True):
    app_id: str
    app_key: str


class InvalidParameterError(Exception):
    """One refused parameter: Acquired's ``invalid_parameters`` item."""

    def __init__(self, parameter: str, reason: str) -> None:
        super().__init__(reason)
        self.parameter = parameter
        self.reason = reason


_decoder = msgspec.json.Decoder(float_hook=Decimal)  # keeps 15.02 exact and tells numbers from strings
_AT = re.compile(r"^(?P<reason>.*?)(?: - at `\$\.?(?P<path>[^`]*)`)?$")
_UNKNOWN = re.compile(r"unknown field `(?P<name>[^`]+)`")


def decode(body: bytes, type_: type[Any]) -> Any:
    """``type_`` from JSON text, or ``InvalidParameterError`` naming the parameter (``transaction.amount``)."""
    try:
        raw = _decoder.decode(body)
    except msgspec.DecodeError:
        raise InvalidParameterError("body", "is not valid JSON") from None
    try:
        return msgspec.convert(raw, type_, strict=True)
    except msgspec.ValidationError as exc:
        match = _AT.match(str(exc))
        assert match is not None
        path = match.group("path") or ""
        unknown = _UNKNOWN.search(match.group("reason"))
        if unknown:
            path = f"{path}.{unknown.group('name')}" if path else unknown.group("name")
        raise InvalidParameterError(path or "body", match.group("reason")) from None
