"""The currencies a command may name, and the minor-unit exponent of each: the one table both sides use.

A code is here when ISO 4217 List One has it as an active *currency* with a minor unit, as amended up to
Amendment 180 (in force 2026-01-01). The recent changes, each checked against the amendment text:

- added: VED (Amendment 170, 2021-10-01), SLE (171, 2022-07-01), XCG (176, in force 2025-03-31),
  ZWG (177, in force 2024-06-25);
- withdrawn, so refused: HRK (174, Croatia to EUR 2023-01-01), SLL (175, end of 2023), ZWL (177, 2024-09-01),
  CUC (178, 2025-02, withdrawn 2021-06), ANG (176, 2025-03-31, replaced by XCG), BGN (180, Bulgaria to EUR
  2026-01-01).

Left out on purpose (``NOT_ACCEPTED`` says why for each): the List One codes whose minor unit is "N.A." (precious
metals, SDR-like units, test and no-currency codes), and the *fund codes* of List Two even though they have a
minor unit (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI, UYW, and XAD added by Amendment 179 in 2025): they are units
of account, indexation units or settlement funds, not money a shopper is charged in at a payment page (a
Chilean shopper pays in CLP, not in CLF). Accepting one is a contract change: add it to its exponent below,
with evidence that a provider takes it.

``tests/unit/test_contract_rules.py`` checks this table against Debian's iso-codes (through pycountry) in both
directions, so a new or withdrawn ISO code shows up as a failing test.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal, get_args

MinorUnit0 = Literal[
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
]  # fmt: skip
MinorUnit2 = Literal[
    "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BMD", "BND", "BOB", "BRL",
    "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DKK", "DOP",
    "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ", "GYD", "HKD", "HNL",
    "HTG", "HUF", "IDR", "ILS", "INR", "IRR", "JMD", "KES", "KGS", "KHR", "KPW", "KYD", "KZT", "LAK", "LBP", "LKR",
    "LRD", "LSL", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN",
    "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB",
    "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB",
    "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "USD", "UYU", "UZS", "VED", "VES", "WST", "XCD", "XCG",
    "YER", "ZAR", "ZMW", "ZWG",
]  # fmt: skip
MinorUnit3 = Literal["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]

CurrencyCode = Literal[MinorUnit0, MinorUnit2, MinorUnit3]
"""Every code a command may name (a Literal, so msgspec refuses any other as an invalid enum value)."""

MINOR_UNITS: Final[Mapping[str, int]] = MappingProxyType(
    {
        **dict.fromkeys(get_args(MinorUnit0), 0),
        **dict.fromkeys(get_args(MinorUnit2), 2),
        **dict.fromkeys(get_args(MinorUnit3), 3),
    }
)
"""Code -> ISO 4217 minor unit: 1250 EUR is 12.50, 1500 JPY is 1500, 1234 BHD is 1.234."""

_NO_MINOR_UNIT: Final = "minor unit N.A. in ISO 4217"
_FUND: Final = "ISO 4217 List Two fund code, not a currency a shopper pays in"
NOT_ACCEPTED: Final[Mapping[str, str]] = MappingProxyType(
    {
        **dict.fromkeys(["XAU", "XAG", "XPD", "XPT"], f"precious metal, {_NO_MINOR_UNIT}"),
        **dict.fromkeys(["XDR", "XSU", "XUA"], f"unit of account, {_NO_MINOR_UNIT}"),
        **dict.fromkeys(["XBA", "XBB", "XBC", "XBD"], f"bond market unit, {_NO_MINOR_UNIT}"),
        "XTS": f"reserved for testing, {_NO_MINOR_UNIT}",
        "XXX": f"no currency, {_NO_MINOR_UNIT}",
        **dict.fromkeys(["BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "UYI", "UYW", "XAD"], _FUND),
    }
)
"""ISO 4217 List One codes that are deliberately not accepted, with the reason."""
