"""Contract tightenings: input the service could not process correctly is refused at decoding, naming the field.

Each rule is checked three ways: msgspec refuses it (so the service answers ``invalid_command`` with the field,
through ``split_error``), the committed JSON Schema refuses exactly the same values, and the contracts client
refuses it before publishing.
"""

from __future__ import annotations

import json
import re
import secrets
import string
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, get_args

import jsonschema
import msgspec
import pycountry
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.client import SessionsClient
from contracts.codec import decode_command
from contracts.commands import (
    CreatePrimerSession,
    CreateSession,
    UpdateAcquiredSession,
    UpdateCommand,
    UpdateMpgsSession,
    UpdatePrimerSession,
    UpdateSession,
)
from contracts.currencies import MINOR_UNITS, NOT_ACCEPTED, CurrencyCode
from contracts.names import CommandType
from contracts.schema import SCHEMA_DIR
from service.messaging.intake import split_error
from service.money import exponent

CREATE = "session.create"
UPDATE = "session.update"
PRIMER = {"command_id": "c-1", "provider": "primer"}
MPGS_UPDATE = {"command_id": "c-1", "provider": "mpgs", "session_id": "SESSION0002776555172E0837128492Y2"}
ACQUIRED_UPDATE = {"command_id": "c-1", "provider": "acquired", "session_id": "0e9b3c1f-7a4d-4c52-9b0e-2f1a6c3d8e71"}
APPLE_PAY = {
    "command_id": "c-1",
    "provider": "worldline-applepay",
    "options": {"validation_url": "https://apple.example", "domain_name": "shop.example", "display_name": "Shop"},
}
_VALIDATORS = {
    name: jsonschema.Draft202012Validator(json.loads((SCHEMA_DIR / f"{name}.json").read_text()))
    for name in (CREATE, UPDATE)
}
# Any text msgspec can encode (lone surrogates cannot be UTF-8).
any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)


def refused_field(message_type: str, body: dict[str, Any]) -> str | None:
    """The field the service names in its ``invalid_command`` answer; None when the command is accepted."""
    try:
        decode_command(CommandType(message_type), msgspec.json.encode(body))
    except msgspec.ValidationError as exc:
        _, field = split_error(str(exc))
        return field or "<no field>"
    return None


def schema_accepts(message_type: str, body: dict[str, Any]) -> bool:
    return _VALIDATORS[message_type].is_valid(body)


def check(message_type: str, body: dict[str, Any], refused: str | None) -> None:
    """The service refuses ``body`` naming ``refused`` (or accepts it when None), and the schema agrees."""
    assert refused_field(message_type, body) == refused
    assert schema_accepts(message_type, body) is (refused is None)


def with_options(body: dict[str, Any], **options: Any) -> dict[str, Any]:
    return {**body, "options": {**body["options"], **options}}


# --- issued_at carries an offset ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message_type", "body"), [(CREATE, PRIMER), (UPDATE, {**PRIMER, "session_id": "client-token-1"})]
)  # MPGS narrows it further: its correlationId holds 100
@pytest.mark.parametrize("issued_at", ["2026-11-21T11:59:58", "2026-11-21T11:59:58.123456", "2026-11-21 11:59:58"])
def test_issued_at_without_an_offset_is_refused(message_type: str, body: dict[str, Any], issued_at: str) -> None:
    """A naive time used to skip the max-age check silently."""
    check(message_type, {**body, "issued_at": issued_at}, "issued_at")


@pytest.mark.parametrize(
    "issued_at",
    ["2026-11-21T11:59:58Z", "2026-11-21T11:59:58z", "2026-11-21T11:59:58+01:00", "2026-11-21T11:59:58.5-05:00"],
)
def test_issued_at_with_an_offset_is_accepted(issued_at: str) -> None:
    check(CREATE, {**PRIMER, "issued_at": issued_at}, None)
    check(UPDATE, {**MPGS_UPDATE, "issued_at": issued_at}, None)


async def test_the_client_refuses_a_naive_issued_at_before_publishing() -> None:
    client = SessionsClient(None)  # type: ignore[arg-type]  # never used: validation comes first
    command = CreatePrimerSession(command_id="c-1", issued_at=datetime(2026, 11, 21, 12))
    with pytest.raises(msgspec.ValidationError, match=r"timezone .* `\$\.issued_at`"):
        await client.create_session(command, wait=False)


# --- currencies ---------------------------------------------------------------------------------------------


def test_the_currency_type_is_the_table() -> None:
    assert set(get_args(CurrencyCode)) == set(MINOR_UNITS)
    assert len(get_args(CurrencyCode)) == len(MINOR_UNITS) == 155
    assert set(MINOR_UNITS.values()) == {0, 2, 3}
    assert not set(MINOR_UNITS) & set(NOT_ACCEPTED)
    assert all(re.fullmatch(r"[A-Z]{3}", code) for code in [*MINOR_UNITS, *NOT_ACCEPTED])


@pytest.mark.parametrize("message_type", [CREATE, UPDATE])
def test_the_schema_lists_exactly_the_table(message_type: str) -> None:
    schema = json.loads((SCHEMA_DIR / f"{message_type}.json").read_text())
    currencies = [
        definition["properties"]["currency"]
        for definition in schema["$defs"].values()
        if "currency" in definition.get("properties", {})
    ]
    enums = [
        option["enum"]
        for currency in currencies
        for option in [currency, *currency.get("anyOf", [])]
        if "enum" in option
    ]
    union = CreateSession if message_type == CREATE else UpdateSession
    takers = [cls for cls in get_args(union) if "currency" in cls.__struct_fields__]
    assert len(enums) == len(currencies) == len(takers) >= 3  # every variant that takes a currency
    assert all(enum == sorted(MINOR_UNITS) for enum in enums)


def test_money_takes_its_exponents_from_the_table() -> None:
    assert {code: exponent(code) for code in MINOR_UNITS} == dict(MINOR_UNITS)


@settings(max_examples=400)
@given(code=st.text(alphabet=string.ascii_uppercase, min_size=3, max_size=3))
def test_three_letters_are_a_currency_only_when_in_the_table(code: str) -> None:
    check(CREATE, {**PRIMER, "currency": code}, None if code in MINOR_UNITS else "currency")


@pytest.mark.parametrize("code", sorted(MINOR_UNITS))
def test_every_code_of_the_table_is_accepted(code: str) -> None:
    check(CREATE, {**PRIMER, "currency": code}, None)
    check(UPDATE, {**MPGS_UPDATE, "currency": code}, None)


@pytest.mark.parametrize(
    "code",
    [
        "eur",  # lower case
        "EUR ",
        "EUR\n",
        "EURO",
        "HRK",  # withdrawn: Amendment 174 (Croatia adopted the euro, 2023-01-01)
        "SLL",  # withdrawn: Amendment 175 (redenominated as SLE, end of 2023)
        "ZWL",  # withdrawn: Amendment 177 (replaced by ZWG, 2024-09-01)
        "CUC",  # withdrawn: Amendment 178 (2025; out of circulation since 2021-06)
        "ANG",  # withdrawn: Amendment 176 (replaced by XCG, 2025-03-31)
        "BGN",  # withdrawn: Amendment 180 (Bulgaria adopted the euro, 2026-01-01)
        "XAU",  # minor unit N.A.
        "XXX",  # minor unit N.A.
        "CLF",  # fund code
        "XAD",  # fund code (Amendment 179)
    ],
)
def test_codes_outside_the_table_are_refused(code: str) -> None:
    check(CREATE, {**PRIMER, "currency": code}, "currency")
    check(UPDATE, {**MPGS_UPDATE, "currency": code}, "currency")


@pytest.mark.parametrize("code", ["VED", "SLE", "ZWG", "XCG"])
def test_the_recent_codes_are_accepted(code: str) -> None:
    """Amendments 170 (VED), 171 (SLE), 177 (ZWG) and 176 (XCG)."""
    assert MINOR_UNITS[code] == 2
    check(CREATE, {**PRIMER, "currency": code}, None)


# pycountry carries Debian's iso-codes list of ISO 4217 codes (List One, without minor units): an independent
# witness of which codes are current. Where it disagrees with contracts/currencies.py, the disagreement is listed
# here with the ISO amendment that settles it. pycountry 26.2.16 (2026-02) agrees on every code; 24.6.1 did not
# (it lacked XCG, Amendment 176, and ZWG, 177, and still had ANG, 176, CUC, 178, BGN, 180, HRK, 174, SLL, 175,
# and ZWL, 177), hence `pycountry>=26.2.16` in the dev extras.
ACCEPTED_BUT_NOT_IN_ISO_CODES: dict[str, str] = {}  # code -> amendment
IN_ISO_CODES_BUT_NEITHER_ACCEPTED_NOR_REFUSED_ON_PURPOSE: dict[str, str] = {}  # code -> amendment


def _iso_codes() -> set[str]:
    return {currency.alpha_3 for currency in pycountry.currencies}


def test_every_accepted_code_is_a_current_iso_4217_code() -> None:
    assert set(MINOR_UNITS) - _iso_codes() == set(ACCEPTED_BUT_NOT_IN_ISO_CODES)


def test_every_current_iso_4217_code_is_accepted_or_refused_on_purpose() -> None:
    """A new ISO code shows up here: add it to contracts/currencies.py (or to NOT_ACCEPTED, with the reason)."""
    unknown = _iso_codes() - set(MINOR_UNITS) - set(NOT_ACCEPTED)
    assert unknown == set(IN_ISO_CODES_BUT_NEITHER_ACCEPTED_NOR_REFUSED_ON_PURPOSE)
    assert set(NOT_ACCEPTED) <= _iso_codes()  # what we refuse on purpose does exist


# --- correlation_id fits the AMQP property -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("message_type", "body"), [(CREATE, PRIMER), (UPDATE, {**PRIMER, "session_id": "client-token-1"})]
)  # MPGS narrows it further: its correlationId holds 100
def test_correlation_id_is_bounded_by_the_amqp_short_string(message_type: str, body: dict[str, Any]) -> None:
    check(message_type, {**body, "correlation_id": "a" * 255}, None)
    check(message_type, {**body, "correlation_id": "~" * 255}, None)
    check(message_type, {**body, "correlation_id": "a" * 256}, "correlation_id")
    check(message_type, {**body, "correlation_id": "é" * 128}, "correlation_id")  # 128 characters, 256 bytes
    check(message_type, {**body, "correlation_id": "é"}, "correlation_id")  # printable ASCII only
    check(message_type, {**body, "correlation_id": "trace\n"}, "correlation_id")


@settings(max_examples=500)
@given(value=st.one_of(st.text(alphabet=string.printable, max_size=300), any_text))
def test_correlation_id_accepted_only_when_it_fits_255_bytes(value: str) -> None:
    """Accepted iff printable ASCII of at most 255 characters; every accepted one fits the 255-byte property."""
    accepted = refused_field(CREATE, {**PRIMER, "correlation_id": value}) is None
    assert accepted is (len(value) <= 255 and all(" " <= char <= "~" for char in value))
    if accepted:
        assert len(value.encode()) <= 255
    assert schema_accepts(CREATE, {**PRIMER, "correlation_id": value}) is accepted


async def test_the_client_refuses_a_long_correlation_id_before_publishing() -> None:
    client = SessionsClient(None)  # type: ignore[arg-type]
    with pytest.raises(msgspec.ValidationError, match=r"`\$\.correlation_id`"):
        await client.create_session(CreatePrimerSession(command_id="c-1", correlation_id="é" * 128), wait=False)


# --- ids that go into URL paths (S9) ---------------------------------------------------------------------

PATH_TRICKS = [".", "..", "../x", "a/b", "/", "%2F", "%2e%2e", "a%20b", "a b", "a\\b", "x\n", "a?b", "a#b", ""]
MPGS_IDS = [
    "SESSION0002776555172E0837128492Y2",  # the examples and golden payloads
    "SESSION0002" + secrets.token_hex(12),  # service/simulator/mpgs.py
    "S" * 64,
]
ACQUIRED_IDS = [
    "0e9b3c1f-7a4d-4c52-9b0e-2f1a6c3d8e71",  # the examples and golden payloads
    str(uuid.uuid4()),  # service/simulator/acquired.py
    str(uuid.uuid4()).upper(),
    "a" * 64,
]
WORLDLINE_IDS = [
    "a4a6f9c7e1f24b6f9d3f3d3bde1f0c11",  # client_session_id of the golden payload
    "1234-7b7a1c3ad9a54f2f8f1c2a1b1e9c3f4d",  # customer_id of the golden payload
    secrets.token_hex(16),  # service/simulator/worldline.py: clientSessionId
    f"1234-{secrets.token_hex(16)}",  # service/simulator/worldline.py: customerId (merchant id, "-", hex)
    "no-such_session",
    "x" * 128,
]


@pytest.mark.parametrize("session_id", MPGS_IDS)
def test_mpgs_session_ids_are_accepted(session_id: str) -> None:
    check(UPDATE, {**MPGS_UPDATE, "session_id": session_id}, None)


@pytest.mark.parametrize("session_id", [*PATH_TRICKS, "SESSION-1", "S" * 65])
def test_mpgs_session_ids_outside_letters_and_digits_are_refused(session_id: str) -> None:
    check(UPDATE, {**MPGS_UPDATE, "session_id": session_id}, "session_id")


@pytest.mark.parametrize("session_id", ACQUIRED_IDS)
def test_acquired_session_ids_are_accepted(session_id: str) -> None:
    check(UPDATE, {**ACQUIRED_UPDATE, "session_id": session_id}, None)


@pytest.mark.parametrize("session_id", [*PATH_TRICKS, "g", "0e9b3c1f_7a4d", "a" * 65])
def test_acquired_session_ids_outside_hex_and_dashes_are_refused(session_id: str) -> None:
    check(UPDATE, {**ACQUIRED_UPDATE, "session_id": session_id}, "session_id")


@pytest.mark.parametrize("provider", ["primer", "worldline", "worldline-applepay"])
@pytest.mark.parametrize("session_id", ["eyJhbGciOiJIUzI1NiJ9.client-token", "..", "a/b", "sim_primer_x-Y"])
def test_other_session_ids_stay_as_they_were(provider: str, session_id: str) -> None:
    """Primer's id travels in the body; Worldline and Apple Pay updates are never sent."""
    check(UPDATE, {**MPGS_UPDATE, "provider": provider, "session_id": session_id}, None)


@pytest.mark.parametrize("field", ["customer_id", "client_session_id"])
@pytest.mark.parametrize("value", WORLDLINE_IDS)
def test_apple_pay_worldline_ids_are_accepted(field: str, value: str) -> None:
    check(CREATE, with_options(APPLE_PAY, **{field: value}), None)


@pytest.mark.parametrize("field", ["customer_id", "client_session_id"])
@pytest.mark.parametrize("value", [*PATH_TRICKS, "c\r\nX-Evil: 1", "1234.ab", "x" * 129])
def test_apple_pay_worldline_ids_outside_their_alphabet_are_refused(field: str, value: str) -> None:
    check(CREATE, with_options(APPLE_PAY, **{field: value}), f"options.{field}")


@settings(max_examples=300)
@given(session_id=st.one_of(st.text(alphabet=string.printable, max_size=70), any_text))
def test_mpgs_session_id_accepted_iff_letters_and_digits(session_id: str) -> None:
    accepted = refused_field(UPDATE, {**MPGS_UPDATE, "session_id": session_id}) is None
    assert accepted is bool(re.fullmatch(r"[A-Za-z0-9]{1,64}", session_id))
    assert schema_accepts(UPDATE, {**MPGS_UPDATE, "session_id": session_id}) is accepted


def test_narrowed_variants_keep_the_fields_and_their_order() -> None:
    """Redeclaring ``session_id`` in a variant keeps its place, so encodings and the tag union are unchanged."""
    envelope = UpdateCommand.__struct_fields__
    for variant in (UpdateMpgsSession, UpdateAcquiredSession, UpdatePrimerSession):
        assert variant.__struct_fields__[: len(envelope)] == envelope
    decoded = decode_command(CommandType.UPDATE, msgspec.json.encode(MPGS_UPDATE))
    assert isinstance(decoded, UpdateMpgsSession)


# --- bounds on what a command can make a provider echo ---------------------------------------------------


def test_metadata_is_bounded() -> None:
    check(CREATE, {**PRIMER, "metadata": {f"k{index}": index for index in range(50)}}, None)
    check(CREATE, {**PRIMER, "metadata": {f"k{index}": index for index in range(51)}}, "metadata")
    check(CREATE, {**PRIMER, "metadata": {"k" * 100: "v" * 500}}, None)
    check(CREATE, {**PRIMER, "metadata": {"k": "v" * 501}}, "metadata[...]")
    primer_update = {**PRIMER, "session_id": "client-token-1"}
    check(UPDATE, {**primer_update, "metadata": {"k": "v" * 501}}, "metadata[...]")


def test_a_long_metadata_key_is_refused() -> None:
    body = {**PRIMER, "metadata": {"k" * 101: 1}}
    with pytest.raises(msgspec.ValidationError, match=r"length <= 100 - at `key` in `\$\.metadata`"):
        decode_command(CommandType.CREATE, msgspec.json.encode(body))
    assert not schema_accepts(CREATE, body)


def test_the_service_names_metadata_for_a_long_key() -> None:
    assert refused_field(CREATE, {**PRIMER, "metadata": {"k" * 101: 1}}) == "metadata"


def _unbounded(node: Any, where: str) -> list[str]:
    """Every string, array or free-form object in a schema that has no upper bound."""
    if isinstance(node, list):
        return [found for index, item in enumerate(node) for found in _unbounded(item, f"{where}[{index}]")]
    if not isinstance(node, dict):
        return []
    found = []
    kind = node.get("type")
    if kind == "string" and "maxLength" not in node and "enum" not in node and node.get("format") != "date-time":
        found.append(where)
    if kind == "array" and "maxItems" not in node:
        found.append(where)
    if kind == "object" and "properties" not in node and "maxProperties" not in node:
        found.append(where)
    if kind == "object" and "properties" not in node and "maxLength" not in node.get("propertyNames", {}):
        found.append(f"{where} (keys)")
    return found + [hit for key, value in node.items() for hit in _unbounded(value, f"{where}.{key}")]


@pytest.mark.parametrize("message_type", [CREATE, UPDATE])
def test_every_free_text_field_of_a_command_is_bounded(message_type: str) -> None:
    schema = json.loads((SCHEMA_DIR / f"{message_type}.json").read_text())
    # CountryCode is bounded by its pattern (two letters) rather than by a length.
    unbounded = [where for where in _unbounded(schema, "$") if not where.endswith(".country_code.anyOf[0]")]
    assert unbounded == []


def test_timezones_other_than_utc_survive_decoding() -> None:
    """tz=True keeps the offset, so the max-age check compares instants."""
    body = {**PRIMER, "issued_at": "2026-11-21T11:59:58+05:30"}
    command = decode_command(CommandType.CREATE, msgspec.json.encode(body))
    assert command.issued_at == datetime(2026, 11, 21, 11, 59, 58, tzinfo=timezone(timedelta(hours=5, minutes=30)))
