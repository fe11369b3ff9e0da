"""No silent drops (hypothesis): every field an MPGS command carries reaches a request body at the path MPGS names
(tests/providers/mpgs/update-request.reference-fields.json, create-request.reference-fields.json), with the
value MPGS takes; or the command is refused as ``invalid_command`` naming the field, before any request. And the
bodies hold nothing the command did not say.

Envelope fields that are the service's own, not MPGS's: ``command_id`` (idempotency; MPGS has no key),
``account`` (selects the credentials), ``issued_at`` (the max-age check) and ``session_id`` (the URL path).
"""

from __future__ import annotations

from typing import Any, get_args

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.codec import decode_create, decode_update
from contracts.currencies import CurrencyCode
from contracts.names import ErrorCode
from contracts.providers.mpgs import CreateMpgsSession, UpdateMpgsSession
from service.money import to_decimal_string
from service.providers.base import ProviderError
from service.providers.mpgs import transformers
from service.providers.mpgs.countries import ALPHA3

SESSION_ID = "SESSION0002a1b2c3d4e5f6a7b8c9d0e1f2a3b4"
SERVICE_FIELDS = {"provider", "command_id", "account", "issued_at", "session_id"}
# Our field path -> MPGS's wire path (the order, customer and address groups of Update Session).
WIRE = {
    "order_id": "order.id",
    "correlation_id": "correlationId",
    "amount": "order.amount",
    "currency": "order.currency",
    "customer.email": "customer.email",
    "customer.first_name": "customer.firstName",
    "customer.last_name": "customer.lastName",
    "customer.phone": "customer.mobilePhone",
    "options.order_reference": "order.reference",
    "options.order_description": "order.description",
    "options.authentication_limit": "session.authenticationLimit",
    "options.session_version": "session.version",
}
ADDRESS = {
    "line1": "street",
    "line2": "street2",
    "city": "city",
    "postal_code": "postcodeZip",
    "state": "stateProvince",
    "country_code": "country",
}
for _ours, _group in (("billing_address", "billing"), ("shipping_address", "shipping")):
    WIRE |= {f"customer.{_ours}.{key}": f"{_group}.address.{name}" for key, name in ADDRESS.items()}

any_text = st.characters(codec="utf-8")  # any character JSON and UTF-8 can carry (no lone surrogates)


def text(low: int, high: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=any_text, min_size=low, max_size=high)


address = st.fixed_dictionaries(
    {},
    optional={
        "line1": text(1, 100),
        "line2": text(1, 100),
        "city": text(1, 100),
        "postal_code": st.from_regex(r"[0-9A-Za-z -]{1,10}", fullmatch=True),
        "state": text(1, 20),
        "country_code": st.sampled_from([*sorted(ALPHA3), "ZZ", "QQ"]),  # the last two have no alpha-3
    },
)
customer = st.fixed_dictionaries(
    {},
    optional={
        "id": text(1, 40),  # MPGS has no payer id: refused
        "email": text(3, 256),
        "first_name": text(1, 50),
        "last_name": text(1, 50),
        "phone": text(1, 20),
        "billing_address": address,
        "shipping_address": address,
    },
)
COMMON = {
    "order_id": text(1, 40),
    "correlation_id": st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=100),
    "amount": st.integers(0, 10**15),
    "currency": st.sampled_from(sorted(get_args(CurrencyCode))),
    "customer": customer,
}
ORDER_OPTIONS = {"order_reference": text(1, 40), "order_description": text(1, 127)}
creates = st.fixed_dictionaries(
    {},
    optional={
        **COMMON,
        "options": st.fixed_dictionaries({}, optional={**ORDER_OPTIONS, "authentication_limit": st.integers(0, 25)}),
    },
)
updates = st.fixed_dictionaries(
    {},
    optional={
        **COMMON,
        "options": st.fixed_dictionaries(
            {},
            optional={
                **ORDER_OPTIONS,
                "authentication_limit": st.integers(0, 25),
                "session_version": st.from_regex(r"[0-9a-f]{10}", fullmatch=True),
            },
        ),
    },
)


def leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        found: dict[str, Any] = {}
        for key, item in value.items():
            found |= leaves(item, f"{prefix}{key}.")
        return found
    return {} if value is None else {prefix.rstrip("."): value}


def sent(command: CreateMpgsSession | UpdateMpgsSession) -> dict[str, Any]:
    """What the command says, as the wire paths and values MPGS should receive."""
    said = {path: value for path, value in leaves(msgspec.to_builtins(command)).items() if path not in SERVICE_FIELDS}
    expected = {WIRE[path]: value for path, value in said.items()}
    if "order.amount" in expected:
        expected["order.amount"] = to_decimal_string(said["amount"], said["currency"])
    for group in ("billing", "shipping"):
        if f"{group}.address.country" in expected:
            expected[f"{group}.address.country"] = ALPHA3[expected[f"{group}.address.country"]]
    return expected


def refusals(command: CreateMpgsSession | UpdateMpgsSession) -> set[str]:
    """The fields the command must be refused for, before any request."""
    said = leaves(msgspec.to_builtins(command))
    found = {"customer.id"} & said.keys()
    if "amount" in said and "currency" not in said:
        found.add("currency")
    countries = {path for path in said if path.endswith(".country_code") and said[path] not in ALPHA3}
    return found | countries


def check(command: CreateMpgsSession | UpdateMpgsSession, build: Any) -> None:
    expected_refusals = refusals(command)
    if expected_refusals:
        with pytest.raises(ProviderError) as refused:
            build(command)
        assert refused.value.code is ErrorCode.INVALID_COMMAND
        assert refused.value.field in expected_refusals, (refused.value.field, expected_refusals)
        return
    on_the_wire: dict[str, Any] = {}
    for body in build(command):
        on_the_wire |= leaves(msgspec.json.decode(body))
    assert on_the_wire == sent(command)


def create_bodies(command: CreateMpgsSession) -> list[bytes]:
    put = transformers.create_order_body(command)  # refusals come first, as in the adapter
    return [transformers.create_body(command), *([put] if put is not None else [])]


@settings(max_examples=400, deadline=None)
@given(fields=creates)
def test_every_create_field_reaches_a_request_or_is_refused(fields: dict[str, Any]) -> None:
    command = decode_create(msgspec.json.encode({"provider": "mpgs", "command_id": "c-1", **fields}))
    assert isinstance(command, CreateMpgsSession)
    check(command, create_bodies)


@settings(max_examples=400, deadline=None)
@given(fields=updates)
def test_every_update_field_reaches_the_request_or_is_refused(fields: dict[str, Any]) -> None:
    body = {"provider": "mpgs", "command_id": "c-2", "session_id": SESSION_ID, **fields}
    command = decode_update(msgspec.json.encode(body))
    assert isinstance(command, UpdateMpgsSession)
    check(command, lambda update: [transformers.update_body(update)])
