"""Property tests for ``service.money`` over every currency the contract accepts.

The table below is written out independently of ``contracts/currencies.py`` (which ``service.money`` reads): ISO
4217 List One through Amendment 180 (2026-01-01), currencies with a minor unit only. Left out: codes whose minor
unit is "N.A." (precious metals, XDR, XSU, XUA, XBA-XBD, XTS, XXX), the List Two fund codes (BOV, CHE, CHW, CLF,
COU, MXV, USN, UYI, UYW, XAD) and the withdrawn ANG (Amendment 176), CUC (178) and BGN (180).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.money import exponent, from_decimal_string, to_decimal_string, to_major

ISO_4217_EXPONENTS: dict[int, str] = {
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF",
    2: (
        "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BRL BSD BTN BWP BYN BZD CAD "
        "CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP "
        "GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL "
        "MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN "
        "QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD "
        "TWD TZS UAH USD UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG"
    ),
    3: "BHD IQD JOD KWD LYD OMR TND",
}
CURRENCIES: dict[str, int] = {code: exp for exp, codes in ISO_4217_EXPONENTS.items() for code in codes.split()}

currencies = st.sampled_from(sorted(CURRENCIES))
minor_units = st.integers(min_value=0, max_value=10**15)  # the contract's MinorUnits bounds


def test_the_table_is_complete_and_unique() -> None:
    assert len(CURRENCIES) == sum(len(codes.split()) for codes in ISO_4217_EXPONENTS.values()) == 155


@pytest.mark.parametrize("currency", ["XYZ", "AAA", "CLF", "UYW", "XAU", "XXX", "ANG", "BGN", "HRK", ""])
def test_no_exponent_is_assumed_for_a_code_the_contract_refuses(currency: str) -> None:
    """The bug this replaces: any three letters passed with an exponent of 2."""
    with pytest.raises(ValueError, match="not a currency of the contract"):
        exponent(currency)
    with pytest.raises(ValueError, match="not a currency of the contract"):
        to_decimal_string(100, currency)


@pytest.mark.parametrize(("currency", "expected"), sorted(CURRENCIES.items()))
def test_exponent_matches_iso_4217(currency: str, expected: int) -> None:
    assert exponent(currency) == expected
    assert exponent(currency.lower()) == expected


@pytest.mark.parametrize("currency", sorted(CURRENCIES))
@settings(max_examples=25)
@given(minor=minor_units)
def test_decimal_string_round_trips_for_every_currency(currency: str, minor: int) -> None:
    assert from_decimal_string(to_decimal_string(minor, currency), currency) == minor


@settings(max_examples=500)
@given(currency=currencies, minor=minor_units)
def test_decimal_string_round_trips(currency: str, minor: int) -> None:
    assert from_decimal_string(to_decimal_string(minor, currency), currency) == minor


@settings(max_examples=500)
@given(currency=currencies, minor=minor_units)
def test_decimals_count_equals_exponent(currency: str, minor: int) -> None:
    text = to_decimal_string(minor, currency)
    places = CURRENCIES[currency]
    whole, dot, fraction = text.partition(".")
    assert whole.isdigit()
    assert len(fraction) == places
    assert bool(dot) is (places > 0)
    assert -to_major(minor, currency).as_tuple().exponent == places  # the JSON number keeps every decimal


@settings(max_examples=500)
@given(currency=currencies, minor=minor_units)
def test_to_major_is_minor_over_ten_to_the_exponent(currency: str, minor: int) -> None:
    major = to_major(minor, currency)
    assert major == Decimal(minor) / 10 ** CURRENCIES[currency]
    assert str(major) == to_decimal_string(minor, currency)  # no exponent notation, same digits


@settings(max_examples=200)
@given(currency=currencies, minor=minor_units)
def test_shorter_decimal_strings_are_read_too(currency: str, minor: int) -> None:
    text = to_decimal_string(minor, currency)
    trimmed = text.rstrip("0").rstrip(".") if "." in text else text
    assert from_decimal_string(trimmed, currency) == minor


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (1502, "GBP", "15.02"),
        (1234, "BHD", "1.234"),
        (100, "JPY", "100"),
        (5, "EUR", "0.05"),
        (0, "GBP", "0.00"),
        (0, "JPY", "0"),
        (1, "KWD", "0.001"),
        (10**15, "KRW", "1000000000000000"),
    ],
)
def test_known_amounts(minor: int, currency: str, text: str) -> None:
    assert to_decimal_string(minor, currency) == text
    assert to_major(minor, currency) == Decimal(text)
    assert str(to_major(minor, currency)) == text
    assert from_decimal_string(text, currency) == minor


@pytest.mark.parametrize(("text", "currency"), [("15.021", "GBP"), ("1.5", "JPY"), ("0.0001", "BHD")])
def test_more_decimals_than_the_currency_has_are_refused(text: str, currency: str) -> None:
    with pytest.raises(ValueError, match="more decimals"):
        from_decimal_string(text, currency)


@pytest.mark.parametrize("value", [15.02, True, "1502", Decimal(1502)])
def test_to_major_takes_only_ints(value: object) -> None:
    with pytest.raises(TypeError):
        to_major(value, "GBP")  # type: ignore[arg-type]
