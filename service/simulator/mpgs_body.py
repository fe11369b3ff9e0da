"""What the simulated MPGS accepts in a session request body, spelled out independently of the adapter.

Strict like the gateway: an unknown field is refused as UNSUPPORTED, a malformed value as INVALID, both with
the field's dotted name. Amounts are decimal strings with at most the currency's ISO 4217 decimals.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from msgspec import Struct

# ISO 4217 currencies without minor units, and those with three decimals (the gateway allows at most three).
_CODES_0 = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
ZERO_DECIMALS = frozenset(_CODES_0.split())
THREE_DECIMALS = frozenset(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"])


class Refusal(Struct, frozen=True):
    field: str
    validation_type: str  # INVALID, MISSING or UNSUPPORTED
    explanation: str


Rule = Callable[[Any], bool]


def _text(low: int, high: int) -> Rule:
    return lambda value: isinstance(value, str) and low <= len(value) <= high


def _pattern(regex: str) -> Rule:
    compiled = re.compile(regex)
    return lambda value: isinstance(value, str) and compiled.fullmatch(value) is not None


def _limit(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 25


Spec = dict[str, Any]  # field name -> Rule or nested Spec

_ADDRESS: Spec = {
    "city": _text(1, 100),
    "company": _text(1, 100),
    "country": _pattern(r"[A-Z]{3}"),  # "the 3 letter ISO standard alpha country code"
    "postcodeZip": _pattern(r"[0-9A-Za-z -]{1,10}"),
    "stateProvince": _text(1, 20),
    "street": _text(1, 100),
    "street2": _text(1, 100),
}
_EMAIL = _pattern(r"[^@\s]{1,64}@[^@\s]{1,190}")
_CONTACT: Spec = {
    "email": _EMAIL,
    "firstName": _text(1, 50),
    "lastName": _text(1, 50),
    "mobilePhone": _text(1, 20),
    "phone": _text(1, 20),
}
CREATE_SPEC: Spec = {"correlationId": _text(1, 100), "session": {"authenticationLimit": _limit}}
UPDATE_SPEC: Spec = {
    "correlationId": _text(1, 100),
    "order": {
        "amount": _pattern(r"\d{1,13}(\.\d{1,3})?"),
        "currency": _pattern(r"[A-Z]{3}"),
        "id": _text(1, 40),
        "reference": _text(1, 40),
        "description": _text(1, 127),
    },
    "customer": _CONTACT,
    "billing": {"address": _ADDRESS},
    "shipping": {"address": _ADDRESS, "contact": _CONTACT},
    "session": {"authenticationLimit": _limit, "version": _text(10, 10)},
}


def check(data: dict[str, Any], spec: Spec, prefix: str = "") -> Refusal | None:
    """The first field of ``data`` that ``spec`` does not allow, or None."""
    for key, value in data.items():
        path = prefix + key
        rule = spec.get(key)
        if rule is None:
            return Refusal(path, "UNSUPPORTED", f"Field '{path}' is not supported for this operation")
        if isinstance(rule, dict):
            if not isinstance(value, dict):
                return Refusal(path, "INVALID", f"Field '{path}' must be an object")
            refusal = check(value, rule, path + ".")
            if refusal is not None:
                return refusal
        elif not rule(value):
            return Refusal(path, "INVALID", f"Value for field '{path}' is invalid")
    return None


def decimals(currency: str) -> int:
    if currency in ZERO_DECIMALS:
        return 0
    return 3 if currency in THREE_DECIMALS else 2


def minor_units(amount: str, currency: str | None) -> int | Refusal:
    """``order.amount`` in minor units, or why the gateway refuses it (already known to match the pattern)."""
    if currency is None:
        return Refusal("order.currency", "MISSING", "Field 'order.currency' is required with 'order.amount'")
    places = decimals(currency)
    fraction = amount.partition(".")[2]
    if len(fraction) > places:
        return Refusal("order.amount", "INVALID", f"{currency} allows at most {places} decimal places")
    return int(Decimal(amount).scaleb(places))
