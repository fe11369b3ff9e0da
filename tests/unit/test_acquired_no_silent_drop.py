"""No silent drops: every field an Acquired command sets reaches the request body at Acquired's name for it, or
the command is refused as ``invalid_command`` naming a field it set, before any request. Commands are generated
(hypothesis) as JSON, decoded with the contract types, and mapped by the pure transformers."""

from __future__ import annotations

import base64
import string
from collections.abc import Iterator
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.names import ErrorCode
from contracts.providers.acquired import CreateAcquiredSession, UpdateAcquiredSession
from service.providers.acquired import transformers
from service.providers.base import ProviderError

# The envelope has no place at Acquired but order_id: command_id and account select the call, correlation_id
# and issued_at stay with the event.
ENVELOPE = {"provider", "command_id", "account", "session_id", "correlation_id", "issued_at"}
ADDRESS = {"line1": "line_1", "line2": "line_2", "city": "city", "postal_code": "postcode", "state": "state",
           "country_code": "country_code"}  # fmt: skip
OPTION_IN_TRANSACTION = {"capture", "moto", "custom1", "custom2"}
CUSTOMER_IN_BILLING = {"email", "phone"}
WHOLE = {"metadata", "custom_data", "payment_methods", "company_domains", "phone"}  # sent as one value


def wire_path(path: tuple[str, ...]) -> tuple[str, ...]:
    """Where Acquired's body holds a field of our command (tests/providers/acquired/ shows these names)."""
    head, *rest = path
    if head in {"order_id", "amount", "currency"}:
        return ("transaction", head)
    if head == "metadata":
        return ("transaction", "custom_data")
    if head == "options":
        option, *tail = rest
        if option in OPTION_IN_TRANSACTION:
            return ("transaction", option)
        return (option, *tail)
    field, *tail = rest  # customer
    if field in CUSTOMER_IN_BILLING:
        return ("customer", "billing", field, *tail)
    if field in {"billing_address", "shipping_address"}:
        return ("customer", field.removesuffix("_address"), "address", ADDRESS[tail[0]])
    return ("customer", "reference" if field == "id" else field)


def leaves(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(value, dict) and (not path or path[-1] not in WHOLE):
        for key, item in value.items():
            if not (len(path) == 0 and key in ENVELOPE):
                yield from leaves(item, (*path, key))
    else:
        yield path, value


def lookup(body: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        assert isinstance(body, dict) and key in body, f"{'.'.join(path)} is not in {body}"
        body = body[key]
    return body


def expected(path: tuple[str, ...], value: Any) -> Any:
    """The value Acquired gets for ``value``; None where it is transformed (amount, currency, free data)."""
    if path[0] in {"amount", "currency", "metadata"} or path[-1] == "custom_data":
        return None
    return "" if value is None else value  # null clears free text with an empty string


def built(build: Any, command: Any) -> Any:
    """The body as JSON, or the refusal."""
    try:
        return msgspec.json.decode(build(command))
    except ProviderError as refusal:
        return refusal


def check(raw: dict[str, Any], build: Any, command_type: type[Any]) -> None:
    body = built(build, msgspec.convert(raw, command_type))
    if isinstance(body, ProviderError):
        set_fields = {".".join(path) for path, _ in leaves(raw)}
        assert body.code is ErrorCode.INVALID_COMMAND
        assert body.field in set_fields | {"currency", "order_id", "amount"}, body.field  # named, or missing
        return
    for path, value in leaves(raw):
        if value is None and path[-1] not in {"custom1", "custom2", "metadata"}:
            continue  # create: null is "not given"
        sent = lookup(body, wire_path(path))
        if expected(path, value) is not None:
            assert sent == expected(path, value), path
        elif path[-1] in {"custom_data", "metadata"} and value is not None:
            assert msgspec.json.decode(base64.b64decode(sent)) == value, path


# --- strategies: valid values of the contract types, plus a few Acquired refuses -------------------------

word = st.text(alphabet=string.ascii_letters + string.digits + " -", min_size=1, max_size=12)
url = st.sampled_from(["https://shop.example/a", "https://shop.example/b?x=1"])
free_data = st.dictionaries(
    st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=6), st.integers() | word | st.booleans(), max_size=3
)
phone = st.fixed_dictionaries(
    {"country_code": st.from_regex(r"\A[0-9]{1,3}\Z"), "number": st.from_regex(r"\A[0-9]{1,15}\Z")}
)
address = st.fixed_dictionaries(
    {},
    optional={
        "line1": word,
        "line2": word,
        "city": word,
        "postal_code": word,
        "state": st.sampled_from(["TX", "NY"]),
        "country_code": st.sampled_from(["US", "GB", "DE"]),
    },
)
customer = st.fixed_dictionaries(
    {},
    optional={
        "id": word,
        "customer_id": st.uuids().map(str),
        "email": st.just("ada@example.com"),
        "first_name": word,
        "last_name": word,
        "phone": phone,
        "dob": st.dates().map(lambda day: day.isoformat()),
        "ip": st.ip_addresses().map(str),
        "custom_data": free_data,
        "billing_address": address,
        "shipping_address": address,
    },
)
tds_fields = {
    "is_active": st.booleans(),
    "challenge_preference": st.sampled_from(["challenge_mandated", "no_challenge_requested", "no_preference"]),
    "challenge_window_size": st.sampled_from(["full_screen", "windowed_250x400", "windowed_600x400"]),
    "contact_url": url,
    "redirect_url": url,
    "webhook_url": url,
}
methods = st.lists(st.sampled_from(["card", "apple_pay", "google_pay"]), max_size=3)
currency = st.sampled_from(sorted(transformers.CURRENCIES)) | st.sampled_from(["BHD", "NOK"])
order_id = st.text(alphabet=string.ascii_letters + string.digits + "-", min_size=1, max_size=60)
amount = st.integers(min_value=0, max_value=10**9)

create_options = st.fixed_dictionaries(
    {},
    optional={
        "capture": st.booleans(),
        "moto": st.booleans(),
        "custom1": word,
        "custom2": word,
        "tds": st.fixed_dictionaries({}, optional=tds_fields),
        "webhook_url": url,
        "company_domains": st.lists(url, min_size=1, max_size=2),
        "payment_methods": methods,
        "is_recurring": st.booleans(),
        "save_card": st.booleans(),
    },
)
creates = st.fixed_dictionaries(
    {"provider": st.just("acquired"), "command_id": st.just("c-1")},
    optional={
        "order_id": order_id,
        "amount": amount,
        "currency": currency,
        "customer": customer,
        "metadata": free_data,
        "options": create_options,
        "correlation_id": word,
    },
)
update_options = st.fixed_dictionaries(
    {},
    optional={
        "capture": st.booleans(),
        "moto": st.booleans(),
        "custom1": word | st.none(),
        "custom2": word | st.none(),
        "tds": st.fixed_dictionaries({}, optional=tds_fields),
        "webhook_url": url,
        "payment_methods": methods,
    },
)
updates = st.fixed_dictionaries(
    {"provider": st.just("acquired"), "command_id": st.just("c-2"), "session_id": st.uuids().map(str)},
    optional={
        "order_id": order_id,
        "amount": amount,
        "currency": currency,
        "customer": customer,
        "metadata": free_data | st.none(),
        "options": update_options,
    },
)


@settings(max_examples=300, deadline=None)
@given(creates)
def test_every_field_of_a_create_reaches_acquired(raw: dict[str, Any]) -> None:
    check(raw, transformers.create_body, CreateAcquiredSession)


@settings(max_examples=300, deadline=None)
@given(updates)
def test_every_field_of_an_update_reaches_acquired_and_nothing_else(raw: dict[str, Any]) -> None:
    check(raw, transformers.update_body, UpdateAcquiredSession)
    body = built(transformers.update_body, msgspec.convert(raw, UpdateAcquiredSession))
    if isinstance(body, ProviderError):
        return
    sent = {path for path, _ in leaves(body)}
    given_paths = {wire_path(path) for path, _ in leaves(raw)}
    # an update sends only what the command names (amount brings its currency, which it must name too)
    assert sent <= given_paths, sent - given_paths
