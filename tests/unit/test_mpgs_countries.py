"""The alpha-2 -> alpha-3 table MPGS addresses go through, against pycountry's ISO 3166 data (an independent
witness: the table was transcribed from Mastercard's own plugin, see service/providers/mpgs/countries.py)."""

from __future__ import annotations

import re

import pycountry
import pytest

from service.providers.mpgs.countries import ALPHA3, alpha3

ISO = {country.alpha_2: country.alpha_3 for country in pycountry.countries}
USER_ASSIGNED = {"XK": "XKX"}  # Kosovo: not in ISO 3166-1, mapped by Mastercard's table (and the EU's usage)


def test_every_iso_3166_country_is_in_the_table_with_its_alpha3() -> None:
    assert {code: ALPHA3.get(code) for code in ISO} == ISO


def test_the_table_holds_nothing_else_but_the_named_user_assigned_codes() -> None:
    assert {code: value for code, value in ALPHA3.items() if code not in ISO} == USER_ASSIGNED


def test_codes_are_upper_case_letters_and_alpha3_values_are_unique() -> None:
    assert all(re.fullmatch(r"[A-Z]{2}", code) and re.fullmatch(r"[A-Z]{3}", value) for code, value in ALPHA3.items())
    assert len(set(ALPHA3.values())) == len(ALPHA3)


@pytest.mark.parametrize("code", ["ZZ", "UK", "EU", "AA", "gb"])
def test_a_code_without_a_country_has_no_alpha3(code: str) -> None:
    assert alpha3(code) is None
