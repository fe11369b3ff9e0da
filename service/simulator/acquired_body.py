"""Acquired's payment-session body as the simulator reads it: its own spelling, strict like the real API.

Written independently of ``service.providers.acquired.wire`` so a wrong field name in the adapter fails here.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import msgspec
from msgspec import UNSET, Struct, UnsetType

# Acquired's reference lists these currencies (lower-case); only jpy has no decimals among them.
CURRENCIES = frozenset(
    ["aed", "aud", "cad", "chf", "cny", "dkk", "eur", "gbp", "hkd", "jpy", "mxn", "sek", "usd", "zar"]
)
ZERO_DECIMALS = frozenset({"jpy"})
CHALLENGE_PREFERENCES = frozenset(
    {"challenge_mandated", "challenge_preferred", "no_challenge_requested", "no_preference"}
)
PAYMENT_METHODS = frozenset({"card", "apple_pay", "google_pay"})

_CURRENCY = re.compile(r"^[a-z]{3}$")
_COUNTRY = re.compile(r"^[a-z]{2}$")


class Transaction(Struct, forbid_unknown_fields=True):
    order_id: str | UnsetType = UNSET
    amount: Any = UNSET  # a JSON number; checked by hand so a string "15.02" is refused
    currency: str | UnsetType = UNSET
    capture: bool | UnsetType = UNSET
    moto: bool | UnsetType = UNSET
    custom1: str | UnsetType = UNSET
    custom2: str | UnsetType = UNSET
    custom_data: str | UnsetType = UNSET


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
    custom_data: str | UnsetType = UNSET
    billing: Billing | UnsetType = UNSET
    shipping: Shipping | UnsetType = UNSET


class SessionBody(Struct, forbid_unknown_fields=True):
    transaction: Transaction | UnsetType = UNSET
    tds: Tds | UnsetType = UNSET
    customer: Customer | UnsetType = UNSET
    is_recurring: bool | UnsetType = UNSET
    save_card: bool | UnsetType = UNSET
    payment_methods: list[str] | UnsetType = UNSET


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


def decimals(currency: str) -> int:
    return 0 if currency in ZERO_DECIMALS else 2


def _check_amount(amount: Any, currency: str) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
        raise InvalidParameterError("transaction.amount", "must be a number")
    places = max(0, -int(amount.as_tuple().exponent)) if isinstance(amount, Decimal) else 0
    if amount < 0 or places > decimals(currency):
        raise InvalidParameterError(
            "transaction.amount", f"must be a non-negative number with at most {decimals(currency)} decimals"
        )


def _check_transaction(txn: Transaction, *, creating: bool, stored_currency: str | None) -> None:
    if creating:
        for name in ("order_id", "amount", "currency"):
            if getattr(txn, name) is UNSET:
                raise InvalidParameterError(f"transaction.{name}", "is required")
    if isinstance(txn.order_id, str) and not 2 <= len(txn.order_id) <= 50:
        raise InvalidParameterError("transaction.order_id", "must be 2 to 50 characters")
    if isinstance(txn.currency, str) and (not _CURRENCY.match(txn.currency) or txn.currency not in CURRENCIES):
        raise InvalidParameterError("transaction.currency", "must be a supported lower-case ISO 4217 code")
    currency = txn.currency if isinstance(txn.currency, str) else stored_currency
    if txn.amount is not UNSET:
        _check_amount(txn.amount, currency or "")


def _check_address(address: Address | UnsetType, where: str) -> None:
    country = address.country_code if isinstance(address, Address) else UNSET
    if isinstance(country, str) and not _COUNTRY.match(country):
        raise InvalidParameterError(
            f"customer.{where}.address.country_code", "must be a lower-case ISO 3166-1 alpha-2 code"
        )


def validate(body: SessionBody, *, creating: bool, stored_currency: str | None = None) -> None:
    """Raises ``InvalidParameterError`` for the first refused parameter."""
    if isinstance(body.transaction, Transaction):
        _check_transaction(body.transaction, creating=creating, stored_currency=stored_currency)
    elif creating:
        raise InvalidParameterError("transaction", "is required")
    preference = body.tds.challenge_preference if isinstance(body.tds, Tds) else UNSET
    if isinstance(preference, str) and preference not in CHALLENGE_PREFERENCES:
        raise InvalidParameterError("tds.challenge_preference", "is not an allowed value")
    if isinstance(body.payment_methods, list) and not set(body.payment_methods) <= PAYMENT_METHODS:
        raise InvalidParameterError("payment_methods", "may hold only card, apple_pay and google_pay")
    if isinstance(body.customer, Customer):
        for where in ("billing", "shipping"):
            part = getattr(body.customer, where)
            if not isinstance(part, UnsetType):
                _check_address(part.address, where)


def minor_units(amount: Any, currency: str) -> int | None:
    """The amount in minor units (for the fault triggers), or None when it is not a whole number of them."""
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
        return None
    scaled = Decimal(amount).scaleb(decimals(currency))
    return int(scaled) if scaled == scaled.to_integral_value() else None
