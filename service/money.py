"""Provider-neutral money: integer minor units plus ISO 4217 code in, each provider's wire format out.

No float arithmetic ever produces a decimal: amounts go through ``int`` and ``Decimal`` only.
"""

from __future__ import annotations

from decimal import Decimal

from contracts.currencies import MINOR_UNITS


def exponent(currency: str) -> int:
    """Decimal places of ``currency``: its ISO 4217 minor unit from the contract's table (upper or lower case).

    A code the contract does not accept raises ``ValueError``: no exponent is ever assumed.
    """
    try:
        return MINOR_UNITS[currency.upper()]
    except KeyError:
        raise ValueError("not a currency of the contract (contracts/currencies.py)") from None


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
