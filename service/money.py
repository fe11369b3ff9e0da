"""Provider-neutral money: integer minor units plus ISO 4217 code in, each provider's wire format out.

No float arithmetic ever produces a decimal: amounts go through ``int`` and ``Decimal`` only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

# ISO 4217 minor-unit exponents that differ from 2 (ISO 4217 list "minor unit" column).
_EXPONENT_0: Final = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "UYI",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
_EXPONENT_3: Final = frozenset(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"])
_EXPONENT_4: Final = frozenset(["CLF", "UYW"])


def exponent(currency: str) -> int:
    """Decimal places of ``currency`` (ISO 4217); 2 for every code not listed otherwise."""
    code = currency.upper()
    if code in _EXPONENT_0:
        return 0
    if code in _EXPONENT_3:
        return 3
    if code in _EXPONENT_4:
        return 4
    return 2


def to_major(minor: int, currency: str) -> Decimal:
    """Exact major-unit amount: 1502 GBP -> Decimal('15.02'), 1234 BHD -> Decimal('1.234'), 100 JPY -> 100."""
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError("minor units must be an int")
    return Decimal(minor).scaleb(-exponent(currency))


def to_decimal_string(minor: int, currency: str) -> str:
    """MPGS's format: '15.02', '1.234', '100' (exactly the currency's decimals, no exponent notation)."""
    places = exponent(currency)
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**places)
    return f"{sign}{whole}" if places == 0 else f"{sign}{whole}.{fraction:0{places}d}"


def from_decimal_string(text: str, currency: str) -> int:
    """The inverse of ``to_decimal_string``; refuses more decimals than the currency has."""
    value = Decimal(text)
    scaled = value.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{text!r} has more decimals than {currency} allows")
    return int(scaled)
