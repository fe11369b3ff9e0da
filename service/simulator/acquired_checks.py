"""The value checks Acquired's reference states for a payment-session body (``acquired_body`` holds the shapes).

Where Acquired's own sources disagree, both are accepted: country codes come upper-case in the reference's
examples and lower-case from Acquired's WooCommerce plugin (``tests/providers/acquired/README.md``).
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from msgspec import UNSET, UnsetType

from service.simulator.acquired_body import (
    Address,
    CreateBody,
    Customer,
    InvalidParameterError,
    Phone,
    SessionBody,
    Tds,
    Transaction,
)

# Acquired's reference lists these currencies (lower-case); only jpy has no decimals among them.
CURRENCIES = frozenset(
    ["aed", "aud", "cad", "chf", "cny", "dkk", "eur", "gbp", "hkd", "jpy", "mxn", "sek", "usd", "zar"]
)
ZERO_DECIMALS = frozenset({"jpy"})
CHALLENGE_PREFERENCES = frozenset(
    {"challenge_mandated", "challenge_preferred", "no_challenge_requested", "no_preference"}
)
WINDOW_SIZES = frozenset(
    {"full_screen", "windowed_250x400", "windowed_390x400", "windowed_500x600", "windowed_600x400"}
)
PAYMENT_METHODS = frozenset({"card", "apple_pay", "google_pay"})

_CURRENCY = re.compile(r"^[a-z]{3}$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_DIAL_CODE = re.compile(r"^[0-9]{1,3}$")
_NUMBER = re.compile(r"^[0-9]{0,15}$")


def _refuse(parameter: str, reason: str) -> InvalidParameterError:
    return InvalidParameterError(parameter, reason)


def decimals(currency: str) -> int:
    return 0 if currency in ZERO_DECIMALS else 2


def _check_amount(amount: Any, currency: str) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
        raise _refuse("transaction.amount", "must be a number")
    places = max(0, -int(amount.as_tuple().exponent)) if isinstance(amount, Decimal) else 0
    if amount < 0 or places > decimals(currency):
        raise _refuse("transaction.amount", f"must be a non-negative number with at most {decimals(currency)} decimals")


def _check_base64(value: str | UnsetType, parameter: str) -> None:
    try:
        if isinstance(value, str):
            base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _refuse(parameter, "must be base64 encoded") from None


def _check_transaction(txn: Transaction, *, creating: bool, stored_currency: str | None) -> None:
    if creating:
        for name in ("order_id", "amount", "currency"):
            if getattr(txn, name) is UNSET:
                raise _refuse(f"transaction.{name}", "is required")
    if isinstance(txn.order_id, str) and not 2 <= len(txn.order_id) <= 50:
        raise _refuse("transaction.order_id", "must be 2 to 50 characters")
    if isinstance(txn.currency, str) and (not _CURRENCY.match(txn.currency) or txn.currency not in CURRENCIES):
        raise _refuse("transaction.currency", "must be a supported lower-case ISO 4217 code")
    for name in ("custom1", "custom2"):
        value = getattr(txn, name)
        if isinstance(value, str) and len(value) > 50:
            raise _refuse(f"transaction.{name}", "must be at most 50 characters")
    _check_base64(txn.custom_data, "transaction.custom_data")
    currency = txn.currency if isinstance(txn.currency, str) else stored_currency
    if txn.amount is not UNSET:
        _check_amount(txn.amount, currency or "")


def _check_address(address: Address | UnsetType, where: str) -> None:
    if not isinstance(address, Address):
        return
    country = address.country_code
    if isinstance(country, str) and not _COUNTRY.match(country):
        raise _refuse(f"customer.{where}.address.country_code", "must be an ISO 3166-1 alpha-2 code")
    state = address.state
    if isinstance(state, str) and state and (len(state) > 3 or not isinstance(country, str) or country.upper() != "US"):
        raise _refuse(f"customer.{where}.address.state", "must be an ISO 3166-2 code of a US address")


def _check_phone(phone: Phone | UnsetType, where: str) -> None:
    if not isinstance(phone, Phone):
        return
    if isinstance(phone.country_code, str) and not _DIAL_CODE.match(phone.country_code):
        raise _refuse(f"customer.{where}.phone.country_code", "must be 1 to 3 digits")
    if isinstance(phone.number, str) and not _NUMBER.match(phone.number):
        raise _refuse(f"customer.{where}.phone.number", "must be at most 15 digits")


def _check_customer(customer: Customer) -> None:
    if isinstance(customer.customer_id, str) and customer.customer_id:
        try:
            uuid.UUID(customer.customer_id)
        except ValueError:
            raise _refuse("customer.customer_id", "must be a UUID") from None
    if isinstance(customer.dob, str):
        try:
            date.fromisoformat(customer.dob)
        except ValueError:
            raise _refuse("customer.dob", "must be a date, YYYY-MM-DD") from None
    _check_base64(customer.custom_data, "customer.custom_data")
    for where in ("billing", "shipping"):
        part = getattr(customer, where)
        if not isinstance(part, UnsetType):
            _check_address(part.address, where)
            _check_phone(part.phone, where)


def _check_tds(tds: Tds | UnsetType) -> None:
    if not isinstance(tds, Tds):
        return
    if isinstance(tds.challenge_preference, str) and tds.challenge_preference not in CHALLENGE_PREFERENCES:
        raise _refuse("tds.challenge_preference", "is not an allowed value")
    if isinstance(tds.challenge_window_size, str) and tds.challenge_window_size not in WINDOW_SIZES:
        raise _refuse("tds.challenge_window_size", "is not an allowed value")


def validate(body: SessionBody, *, stored_currency: str | None = None) -> None:
    """Raises ``InvalidParameterError`` for the first refused parameter; a ``CreateBody`` is a create."""
    creating = isinstance(body, CreateBody)
    if isinstance(body.transaction, Transaction):
        _check_transaction(body.transaction, creating=creating, stored_currency=stored_currency)
    elif creating:
        raise _refuse("transaction", "is required")
    _check_tds(body.tds)
    if isinstance(body.payment_methods, list) and not set(body.payment_methods) <= PAYMENT_METHODS:
        raise _refuse("payment_methods", "may hold only card, apple_pay and google_pay")
    if isinstance(body.customer, Customer):
        _check_customer(body.customer)


def minor_units(amount: Any, currency: str) -> int | None:
    """The amount in minor units (for the fault triggers), or None when it is not a whole number of them."""
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
        return None
    scaled = Decimal(amount).scaleb(decimals(currency))
    return int(scaled) if scaled == scaled.to_integral_value() else None
