"""Primer requests: no field of a command is silently dropped, an update sends only what it changes, and every
documented option reaches the body with Primer's name, nesting and units.

``wire_path`` below spells our contract's names as Primer's (independently of the adapter's wire module): the
property tests generate commands of the Primer types and check every field given against the body built.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from msgspec import UNSET

from contracts.providers.primer import CreatePrimerSession, UpdatePrimerSession
from service.providers.primer import transformers

SERVICE_ONLY = {"command_id", "account", "correlation_id", "issued_at"}  # the service's, not Primer's
RENAMED = {
    "email": "emailAddress",
    "phone": "mobileNumber",
    "line1": "addressLine1",
    "line2": "addressLine2",
    "vault_on_3ds": "vaultOn3DS",
    "currency": "currencyCode",
    "session_id": "clientToken",
}
KEYED = {"options", "networks"}  # inside paymentMethod: the next step is a key (a method type, a card network)
Path = tuple[str | int, ...]
# Given empty, these change nothing and are left out; any other object given empty is sent as {}.
CHANGES_NOTHING_WHEN_EMPTY = {
    "CreatePrimerSession", "UpdatePrimerSession", "PrimerCreateOptions", "PrimerUpdateOptions",
    "PrimerCustomer", "PrimerCustomerChange", "PrimerPaymentMethodChange",
}  # fmt: skip


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _names(steps: list[str | int], keyed: set[str]) -> list[str | int]:
    out: list[str | int] = []
    for index, step in enumerate(steps):
        is_key = index > 0 and steps[index - 1] in keyed
        out.append(step if isinstance(step, int) or is_key else RENAMED.get(step, camel(step)))
    return out


def wire_path(path: Path) -> Path | None:
    """Where Primer's body carries the command field at ``path``; None for the service's own fields."""
    head, rest = path[0], list(path[1:])
    assert isinstance(head, str)
    if head in SERVICE_ONLY:
        return None
    if head == "metadata":
        return ("metadata", *rest)
    if head == "customer":
        return ("customerId",) if rest[:1] == ["id"] else ("customer", *_names(rest, set()))
    if head == "options" and rest[:1] == ["payment_method"]:
        return ("paymentMethod", *_names(rest[1:], KEYED))
    if head == "options":
        return ("order", *_names(rest, set()))
    return (RENAMED.get(head, camel(head)),)


def command_leaves(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every value a command gives, by path. ``UNSET`` is not given; ``None`` is given (null) only in a field
    whose default is ``UNSET`` (update types): elsewhere it means "not given"."""
    if isinstance(value, msgspec.Struct):
        given = False
        for field in msgspec.structs.fields(value):
            item = getattr(value, field.name)
            if item is UNSET or (item is None and field.default is not UNSET):
                continue
            given = True
            yield from command_leaves(item, (*path, field.name))
        if not given and type(value).__name__ not in CHANGES_NOTHING_WHEN_EMPTY:
            yield path, {}  # an object given empty: sent empty (Primer replaces such objects whole)
    elif isinstance(value, dict) and value:
        for key, item in value.items():
            yield from command_leaves(item, (*path, key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from command_leaves(item, (*path, index))
    else:
        yield path, value


def body_leaves(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from body_leaves(item, (*path, key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from body_leaves(item, (*path, index))
    else:
        yield path, value


def _plain(value: Any) -> Any:
    return msgspec.to_builtins(value) if isinstance(value, msgspec.Struct) else value


def expected(command: CreatePrimerSession | UpdatePrimerSession) -> dict[Path, Any]:
    found = {}
    for path, value in command_leaves(command):
        if (where := wire_path(path)) is not None:
            found[where] = _plain(value)
        if path == ("customer",) and value is None:
            found["customerId",] = None  # clearing the customer clears its id (documented on UpdatePrimerSession)
    return found


# --- strategies from the contract types: every constraint of the Struct is honoured -------------------------


METHOD_TYPES = st.sampled_from(["PAYMENT_CARD", "GOOGLE_PAY", "APPLE_PAY", "PAY_NL_IDEAL", "KLARNA"])


def strategy(kind: mi.Type) -> st.SearchStrategy[Any]:
    if isinstance(kind, mi.Metadata):
        return strategy(kind.type)
    if isinstance(kind, mi.StrType):
        if kind.pattern and kind.max_length == 64 and kind.pattern.startswith("^[A-Z][A-Z0-9_]"):
            return METHOD_TYPES | st.from_regex(kind.pattern.removesuffix("(?!\\n)"), fullmatch=True)
        if kind.pattern:
            pattern = kind.pattern.removesuffix("(?!\\n)")
            return st.from_regex(pattern, fullmatch=True).filter(lambda s: len(s) <= (kind.max_length or 10**6))
        return st.text(min_size=kind.min_length or 0, max_size=min(kind.max_length or 12, 12))
    if isinstance(kind, mi.IntType):
        return st.integers(kind.ge if kind.ge is not None else -(2**31), kind.le if kind.le is not None else 2**31)
    if isinstance(kind, mi.FloatType):
        return st.floats(kind.ge, kind.le, allow_nan=False, allow_infinity=False)
    if isinstance(kind, mi.BoolType):
        return st.booleans()
    if isinstance(kind, mi.NoneType):
        return st.none()
    if isinstance(kind, mi.LiteralType):
        return st.sampled_from(kind.values)
    if isinstance(kind, mi.DateTimeType):
        return st.datetimes(timezones=st.just(UTC))
    if isinstance(kind, mi.UnionType):
        return st.one_of([strategy(member) for member in kind.types])
    if isinstance(kind, mi.ListType):
        return st.lists(strategy(kind.item_type), max_size=min(kind.max_length or 2, 2))
    if isinstance(kind, mi.DictType):
        return st.dictionaries(strategy(kind.key_type), strategy(kind.value_type), max_size=2)
    if isinstance(kind, mi.StructType):
        return struct_strategy(kind)
    raise NotImplementedError(kind)


def struct_strategy(kind: mi.StructType) -> st.SearchStrategy[Any]:
    required = {f.name: strategy(f.type) for f in kind.fields if f.required}
    optional = {f.name: strategy(f.type) for f in kind.fields if not f.required}
    return st.fixed_dictionaries(required, optional=optional).map(lambda f: _built(kind.cls, f)).filter(_is_built)


def _built(cls: type, fields: dict[str, Any]) -> Any:
    try:
        return cls(**fields)
    except ValueError:  # refused by the Struct's own check (__post_init__)
        return None


def _is_built(value: Any) -> bool:
    return value is not None


CREATES = struct_strategy(mi.type_info(CreatePrimerSession))  # type: ignore[arg-type]
UPDATES = struct_strategy(mi.type_info(UpdatePrimerSession))  # type: ignore[arg-type]
SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)


def _valid(command: Any) -> Any:
    """The command as the service would decode it. A generated one that the contract refuses (a card network's
    options under another payment method type) is no command: hypothesis draws another."""
    try:
        return msgspec.json.decode(msgspec.json.encode(command), type=type(command))
    except msgspec.ValidationError:
        reject()


@SETTINGS
@given(CREATES)
def test_every_field_a_create_gives_reaches_the_body(command: CreatePrimerSession) -> None:
    command = _valid(command)
    body = dict(body_leaves(msgspec.json.decode(transformers.create_body(command))))
    for path, value in expected(command).items():
        assert path in body or any(p[: len(path)] == path for p in body), f"{path} dropped from {body}"
        if path in body:
            assert body[path] == value, path
    nulls = [path for path, value in body.items() if value is None and path[0] != "metadata"]
    assert not nulls, f"a create never sends null: {nulls}"


@SETTINGS
@given(UPDATES)
def test_an_update_sends_exactly_what_it_changes(command: UpdatePrimerSession) -> None:
    command = _valid(command)
    body = dict(body_leaves(msgspec.json.decode(transformers.update_body(command))))
    wanted = expected(command)
    assert body[("clientToken",)] == command.session_id
    for path, value in wanted.items():
        assert body.get(path, "<missing>") == value, f"{path}: {value!r} not sent"
    assert set(body) <= set(wanted), f"sent what the command does not say: {set(body) - set(wanted)}"


# --- the defects, by example ----------------------------------------------------------------------------------


def update(**fields: Any) -> dict[str, Any]:
    command = msgspec.convert({"command_id": "c-1", "session_id": "tok-1", **fields}, UpdatePrimerSession)
    decoded: dict[str, Any] = msgspec.json.decode(transformers.update_body(command))
    return decoded


def create(**fields: Any) -> dict[str, Any]:
    command = msgspec.convert({"command_id": "c-1", **fields}, CreatePrimerSession)
    decoded: dict[str, Any] = msgspec.json.decode(transformers.create_body(command))
    return decoded


def test_an_email_change_sends_the_email_alone() -> None:
    """It used to send mobileNumber, firstName, lastName and both addresses as null: Primer cleared them."""
    assert update(customer={"email": "new@example.com"}) == {
        "clientToken": "tok-1",
        "customer": {"emailAddress": "new@example.com"},
    }


def test_null_is_sent_only_where_the_command_says_null() -> None:
    assert update(customer={"phone": None, "billing_address": {"city": "Leeds"}}) == {
        "clientToken": "tok-1",
        "customer": {"mobileNumber": None, "billingAddress": {"city": "Leeds"}},
    }
    assert update(customer=None, metadata=None) == {
        "clientToken": "tok-1", "customerId": None, "customer": None, "metadata": None
    }  # fmt: skip
    assert update(options={"country_code": None}) == {"clientToken": "tok-1", "order": {"countryCode": None}}


def test_an_update_of_the_customer_id_alone_sends_no_customer_object() -> None:
    assert update(customer={"id": "cust-9"}) == {"clientToken": "tok-1", "customerId": "cust-9"}


def test_an_empty_update_sends_the_token_alone() -> None:
    assert update() == {"clientToken": "tok-1"}
    assert update(customer={}, options={"payment_method": {}}) == {"clientToken": "tok-1"}


def test_vault_on_success_can_be_patched() -> None:
    body = update(options={"payment_method": {"vault_on_success": True, "authorization_type": "FINAL"}})
    assert body["paymentMethod"] == {"vaultOnSuccess": True, "authorizationType": "FINAL"}


def test_created_addresses_carry_the_customer_names_unless_they_give_their_own() -> None:
    body = create(
        customer={
            "first_name": "Ada",
            "last_name": "Lovelace",
            "billing_address": {"city": "London"},
            "shipping_address": {"first_name": "Charles", "last_name": "Babbage", "city": "Leeds"},
        }
    )
    assert body["customer"]["billingAddress"] == {"firstName": "Ada", "lastName": "Lovelace", "city": "London"}
    assert body["customer"]["shippingAddress"] == {"firstName": "Charles", "lastName": "Babbage", "city": "Leeds"}


def test_every_documented_option_reaches_the_body_with_primer_names() -> None:
    body = create(
        amount=1000,
        currency="GBP",
        options={
            "country_code": "FR",
            "retailer_country_code": "GB",
            "line_items": [
                {
                    "item_id": "shoe-123",
                    "name": "Shoe",
                    "amount": 100,
                    "quantity": 10,
                    "discount_amount": 50,
                    "tax_amount": 20,
                    "tax_code": "txcd_99999999",
                    "product_type": "PHYSICAL",
                    "product_data": {"sku": "S-1", "weight": 0.5, "weight_unit": "kg", "page_url": "https://x.io/s"},
                }
            ],
            "fees": [{"amount": 20, "type": "SURCHARGE", "description": "Card fee"}],
            "shipping": {"amount": 50, "method_id": "std", "method_name": "Standard", "method_description": "3 days"},
            "payment_method": {
                "vault_on_success": True,
                "vault_on_3ds": False,
                "vault_on_agreement": True,
                "descriptor": "Purchase: Shoes",
                "payment_type": "FIRST_PAYMENT",
                "ordered_allowed_card_networks": ["CARTES_BANCAIRES", "VISA"],
                "authorization_type": "ESTIMATED",
                "first_payment_reason": "CardOnFile",
                "options": {
                    "PAYMENT_CARD": {
                        "networks": {"VISA": {"surcharge": {"amount": 10}}},
                        "capture_vaulted_card_cvv": True,
                    },
                    "GOOGLE_PAY": {"surcharge": {"amount": 20}},
                    "APPLE_PAY": {"merchant_name": "Store A"},
                },
            },
        },
    )
    assert body["order"] == {
        "countryCode": "FR",
        "retailerCountryCode": "GB",
        "lineItems": [
            {
                "itemId": "shoe-123",
                "amount": 100,
                "quantity": 10,
                "name": "Shoe",
                "discountAmount": 50,
                "taxAmount": 20,
                "taxCode": "txcd_99999999",
                "productType": "PHYSICAL",
                "productData": {"sku": "S-1", "weight": 0.5, "weightUnit": "kg", "pageUrl": "https://x.io/s"},
            }
        ],
        "fees": [{"amount": 20, "type": "SURCHARGE", "description": "Card fee"}],
        "shipping": {"amount": 50, "methodId": "std", "methodName": "Standard", "methodDescription": "3 days"},
    }
    assert body["paymentMethod"] == {
        "vaultOnSuccess": True,
        "vaultOn3DS": False,
        "vaultOnAgreement": True,
        "descriptor": "Purchase: Shoes",
        "paymentType": "FIRST_PAYMENT",
        "orderedAllowedCardNetworks": ["CARTES_BANCAIRES", "VISA"],
        "authorizationType": "ESTIMATED",
        "firstPaymentReason": "CardOnFile",
        "options": {
            "PAYMENT_CARD": {"networks": {"VISA": {"surcharge": {"amount": 10}}}, "captureVaultedCardCvv": True},
            "GOOGLE_PAY": {"surcharge": {"amount": 20}},
            "APPLE_PAY": {"merchantName": "Store A"},
        },
    }


def test_amounts_stay_minor_units_whatever_the_currency() -> None:
    assert create(amount=100, currency="JPY")["amount"] == 100  # ¥100
    assert create(amount=1234, currency="BHD")["amount"] == 1234  # 1.234 BHD
    assert create(options={"line_items": [{"item_id": "a", "amount": 1}]})["order"]["lineItems"][0] == {
        "itemId": "a", "amount": 1, "quantity": 1
    }  # fmt: skip


@pytest.mark.parametrize(
    "options",
    [
        {"GOOGLE_PAY": {"networks": {"VISA": {"surcharge": {"amount": 1}}}}},
        {"KLARNA": {"capture_vaulted_card_cvv": True}},
        {"PAYMENT_CARD": {"surcharge": {"amount": 1}}},
    ],
)
def test_card_options_go_with_payment_card_only(options: dict[str, Any]) -> None:
    """networks and captureVaultedCardCvv are documented under PAYMENT_CARD, and a card surcharge per network."""
    with pytest.raises(
        msgspec.ValidationError, match=rf"options\.{next(iter(options))}.*`\$\.options\.payment_method`"
    ):
        create(options={"payment_method": {"options": options}})


def test_eftpos_takes_no_surcharge() -> None:
    """schema.create-request.v2.4.json: PAYMENT_CARD.networks lists every CardNetworkEnum value but EFTPOS."""
    with pytest.raises(msgspec.ValidationError, match=r"key.*networks"):
        create(options={"payment_method": {"options": {"PAYMENT_CARD": {"networks": {"EFTPOS": {}}}}}})
    assert create(options={"payment_method": {"ordered_allowed_card_networks": ["EFTPOS"]}})["paymentMethod"] == {
        "orderedAllowedCardNetworks": ["EFTPOS"]
    }


def test_the_update_types_cannot_carry_payment_method_options() -> None:
    """paymentMethod.options cannot be patched (update-request.v2.4-reference.json's guide)."""
    with pytest.raises(msgspec.ValidationError, match=r"unknown field `options`.*`\$\.options\.payment_method`"):
        update(options={"payment_method": {"options": {"GOOGLE_PAY": {"surcharge": {"amount": 1}}}}})
