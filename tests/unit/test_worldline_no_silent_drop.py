"""No silent drops: every field a Worldline or Apple Pay command carries reaches the request (body, URL or
Authorization header), or is an envelope field that is copied to events and documented as never sent.

Commands are generated with hypothesis and validated by the contract (msgspec.convert), so they are exactly the
commands the service accepts.
"""

from __future__ import annotations

from typing import Any

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from contracts.command_base import CreateCommand, UpdateCommand
from contracts.commands import (
    CreateApplePaySession,
    CreateWorldlineSession,
    UpdateApplePaySession,
    UpdateWorldlineSession,
)
from service.providers.worldline import client_api, transformers, urls

ENVELOPE = set(CreateCommand.__struct_fields__)  # command_id, account, order_id, correlation_id, issued_at
NOT_SENT = {"command_id", "account", "order_id", "correlation_id", "issued_at"}  # the README row says so
BASE = "https://api.preprod.connect.worldline-solutions.com"
HOSTS = urls.shipped_client_api_hosts()

text = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
ids = st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True)
envelope = {
    "command_id": ids,
    "order_id": st.none() | st.text(min_size=1, max_size=20),
    "correlation_id": st.none() | st.from_regex(r"[ -~]{0,20}", fullmatch=True),
}
product_filter = st.fixed_dictionaries(
    {}, optional={"groups": st.lists(text, max_size=3), "products": st.lists(st.integers(1, 10**6), max_size=3)}
)
worldline_options = st.fixed_dictionaries(
    {},
    optional={
        "payment_product_filters": st.fixed_dictionaries(
            {}, optional={"restrict_to": product_filter, "exclude": product_filter}
        ),
        "tokens": st.lists(text, max_size=4),
    },
)


def test_the_command_types_carry_only_the_envelope_and_what_worldline_takes() -> None:
    assert set(CreateWorldlineSession.__struct_fields__) == ENVELOPE | {"options"}
    assert set(CreateApplePaySession.__struct_fields__) == ENVELOPE | {"options"}
    for update in (UpdateWorldlineSession, UpdateApplePaySession):
        assert set(update.__struct_fields__) == set(UpdateCommand.__struct_fields__)  # envelope and session_id


@given(st.fixed_dictionaries(envelope, optional={"options": worldline_options}))
def test_every_option_of_a_client_session_command_reaches_the_body(raw: dict[str, Any]) -> None:
    command = msgspec.convert(raw, CreateWorldlineSession)
    body = msgspec.json.decode(transformers.create_body(command))
    options = command.options
    assert body.get("tokens", []) == options.tokens
    filters = options.payment_product_filters
    for ours, theirs in (("restrict_to", "restrictTo"), ("exclude", "exclude")):
        chosen = getattr(filters, ours) if filters is not None else None
        sent = body.get("paymentProductFilters", {}).get(theirs, {})
        assert sent.get("groups", []) == (chosen.groups if chosen else [])
        assert sent.get("products", []) == (chosen.products if chosen else [])
    assert set(body) <= {"paymentProductFilters", "tokens"}  # nothing else, and no envelope field
    assert set(msgspec.structs.asdict(command)) - {"options"} <= NOT_SENT


def _merged(base: dict[str, Any], extra: dict[str, str]) -> dict[str, Any]:
    return {**base, **extra}


apple_hosts = st.sampled_from(sorted(urls.shipped_apple_hosts()))
client_hosts = st.sampled_from(sorted(host for host in HOSTS if not host.startswith("*.")))
client_ids = st.fixed_dictionaries(
    {
        "client_session_id": ids,
        "customer_id": ids,
        "client_api_url": st.builds("https://{}{}".format, client_hosts, st.sampled_from(urls.CLIENT_API_PATHS)),
    }
)
apple_pay_options = st.builds(
    dict,
    validation_url=st.builds("https://{}/{}".format, apple_hosts, st.from_regex(r"[a-z]{0,12}", fullmatch=True)),
    domain_name=text,
    display_name=st.none() | st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=64),
).flatmap(lambda base: st.one_of(st.just(base), client_ids.map(lambda extra: _merged(base, extra))))


@given(st.fixed_dictionaries({**envelope, "options": apple_pay_options}))
def test_every_option_of_an_apple_pay_command_reaches_the_request(raw: dict[str, Any]) -> None:
    command = msgspec.convert(raw, CreateApplePaySession)
    options = command.options
    specific = msgspec.json.decode(transformers.applepay_body(options, options.validation_url))
    specific = specific["paymentProductSession302SpecificInput"]
    assert specific.get("displayName") == options.display_name
    assert (specific["domainName"], specific["validationUrl"]) == (options.domain_name, options.validation_url)
    target = client_api.client_api_target(options, BASE, HOSTS)
    if options.client_api_url is None:
        assert target is None
        return
    assert target is not None
    assert target.authorization == f"GCS v1Client:{options.client_session_id}"
    host = options.client_api_url.split("/")[2]
    assert target.url == f"https://{host}/client/v1/{options.customer_id}/products/302/sessions"
