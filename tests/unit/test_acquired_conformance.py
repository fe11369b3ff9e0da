"""Acquired against a corpus that is not ours (``tests/providers/acquired/``): the pure transformers read every
documented reply and error, the requests we build have the documented shape, and the simulator answers in the
documented shapes. Every assertion names the corpus file it rests on."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from aiohttp.test_utils import TestClient, TestServer

from contracts.codec import decode_create
from contracts.commands import CreateAcquiredSession
from contracts.names import ErrorCode
from service.providers.acquired import errors, login, transformers
from service.providers.base import ProviderError, scrub
from service.settings import settings_from_mapping
from service.simulator.app import build_app

CORPUS = Path(__file__).parents[1] / "providers" / "acquired"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
APP = {"app_id": "87656778", "app_key": "9084j54309k"}


def load(name: str) -> dict[str, Any]:
    example: dict[str, Any] = json.loads((CORPUS / name).read_text(encoding="utf-8"))
    return example


def of_kind(kind: str) -> list[str]:
    return sorted(path.name for path in CORPUS.glob("*.json") if load(path.name)["kind"] == kind)


def body_bytes(name: str) -> bytes:
    return msgspec.json.encode(load(name)["body"])


def keys(name: str) -> set[str]:
    return set(load(name)["body"])


def paths(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(dotted path, JSON type) of every leaf; list elements share the path with ``[]``."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list):
        yield prefix, "array"
        for item in value:
            yield from paths(item, prefix + "[]")
    else:
        kind = {bool: "boolean", int: "number", float: "number", str: "string", type(None): "null"}
        yield prefix, kind[type(value)]


# --- replies ---------------------------------------------------------------------------------------------

# file -> (code, retryable, field, provider_code, request_id): request_id is Acquired's ``instance``.
ERRORS: dict[str, tuple[ErrorCode, bool, str | None, str, str | None]] = {
    "error-401-login.json": (ErrorCode.AUTHENTICATION_FAILED, False, None, "unauthorized", "/v1/login"),
    "error-409-conflict-description.json": (ErrorCode.CONFLICT, False, "reference", "conflict", "/v1/customers"),
    "error-409-conflict-reason.json": (ErrorCode.CONFLICT, False, "reference", "conflict", "/v1/customers"),
    "error-400-validation.json": (
        ErrorCode.VALIDATION_FAILED,
        False,
        "transaction.currency",
        "validation",
        "/v1/payments",
    ),
    "error-400-validation-woocommerce.json": (ErrorCode.VALIDATION_FAILED, False, "amount", "validation", None),
    "error-401-woocommerce.json": (ErrorCode.AUTHENTICATION_FAILED, False, None, "unauthorized", None),
}


def test_every_documented_error_has_an_expectation() -> None:
    assert set(of_kind("error-reply")) == set(ERRORS), "classify the new corpus error files in ERRORS"


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_documented_errors_map_precisely(name: str) -> None:
    example, (code, retryable, field, provider_code, request_id) = load(name), ERRORS[name]
    error = errors.parse_error(example["status"], body_bytes(name))
    got = (error.code, error.retryable, error.field, error.provider_code, error.request_id)
    assert got == (code, retryable, field, provider_code, request_id), name
    assert error.provider_status == example["status"], name
    items = example["body"].get("invalid_parameters", [])  # reason or description, every one quoted
    quoted = "; ".join(f"{item['parameter']}: {item.get('reason') or item['description']}" for item in items)
    expected = example["body"]["title"] + (f" ({quoted})" if items else "")
    assert error.message == scrub(expected), name  # scrub: at most base.MAX_MESSAGE characters


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_a_documented_error_inside_a_2xx_is_never_success(name: str) -> None:
    code, _, field, provider_code, request_id = ERRORS[name]
    with pytest.raises(ProviderError) as caught:
        transformers.parse_created(200, body_bytes(name), NOW)
    error = caught.value
    assert (error.code, error.field, error.provider_code, error.request_id) == (
        code,
        field,
        provider_code,
        request_id,
    ), name


@pytest.mark.parametrize("name", ["error-400-login-woocommerce.json", "error-401-login.json"])
def test_a_refused_login_is_authentication_failed(name: str) -> None:
    example = load(name)
    error = login.parse_login_error(example["status"], body_bytes(name), secrets=[APP["app_key"]])
    assert (error.code, error.retryable, error.provider_status) == (
        ErrorCode.AUTHENTICATION_FAILED,
        False,
        example["status"],
    ), name
    assert error.request_id == example["body"].get("instance"), name


def test_the_documented_login_reply_gives_token_and_lifetime() -> None:
    example = load("login-reply.json")
    assert login.parse_login(example["status"], body_bytes("login-reply.json")) == ("{token}", 3600)


@pytest.mark.parametrize("name", of_kind("create-reply"))
def test_documented_create_replies_give_the_session(name: str) -> None:
    example = load(name)
    session = transformers.parse_created(example["status"], body_bytes(name), NOW)
    assert session.id == example["body"]["session_id"], name
    assert session.expires_at == NOW + timedelta(minutes=10), name


@pytest.mark.parametrize("name", of_kind("update-reply"))
def test_documented_update_replies_are_success(name: str) -> None:
    example = load(name)
    session = transformers.parse_updated(example["status"], body_bytes(name), "83f569f7-bea5-327c-1426-617e00ea923c")
    assert session.id == "83f569f7-bea5-327c-1426-617e00ea923c", name


# --- requests --------------------------------------------------------------------------------------------

# The command that says what create-request-reference.json says, in our contract's terms.
REFERENCE_COMMAND: dict[str, Any] = {
    "provider": "acquired",
    "command_id": "conformance-1",
    "order_id": "{{$guid}}",
    "amount": 1502,
    "currency": "GBP",
    "metadata": {"note": "payment-links pay custom_data"},
    "customer": {
        "id": "customer_number_00001",
        "customer_id": "4f3970f9-3cf8-424d-299e-631dea1b7d30",
        "first_name": "Edward",
        "last_name": "Johnson",
        "dob": "1988-10-03",
        "ip": "127.0.0.1",
        "custom_data": {"note": "customer"},
        "email": "ejohnson@acquired.com",
        "phone": {"country_code": "44", "number": "2039826580"},
        "billing_address": {
            "line1": "152 Aldgate Drive",
            "line2": "",
            "city": "London",
            "postal_code": "E1 7RT",
            "country_code": "GB",
        },
        "shipping_address": {
            "line1": "152 Aldgate Drive",
            "line2": "",
            "city": "London",
            "postal_code": "E1 7RT",
            "country_code": "GB",
        },
    },
    "options": {
        "capture": True,
        "moto": False,
        "custom1": "string",
        "custom2": "string",
        "tds": {
            "is_active": True,
            "challenge_preference": "no_preference",
            "challenge_window_size": "full_screen",
            "contact_url": "https://yourdomain.com/contact",
            "redirect_url": "https://yourdomain.com/redirect",
            "webhook_url": "https://yourdomain.com/webhook",
        },
        "webhook_url": "https://yourdomain.com/webhook",
        "payment_methods": ["card", "apple_pay", "google_pay"],
    },
}
# Documented parameters our contract does not take, and why (each is a field Acquired has and we never fill).
NOT_TAKEN = {
    "customer.billing.address.state": "an empty state for a GB address; we send a state only for US addresses",
    "customer.shipping.address.state": "as above",
    "customer.shipping.address_match": "we send the shipping address itself",
    "customer.shipping.email": "our customer has one email, sent in billing",
    "customer.shipping.phone.country_code": "our customer has one phone, sent in billing",
    "customer.shipping.phone.number": "as above",
}
# On the reference page, by name or description, but in no example body.
DOCUMENTED_WITHOUT_EXAMPLE = {"company_domains": "array", "company_domains[]": "string", "is_recurring": "boolean"}


def built(fields: dict[str, Any]) -> dict[str, Any]:
    command = decode_create(msgspec.json.encode(fields))
    assert isinstance(command, CreateAcquiredSession)
    body: dict[str, Any] = msgspec.json.decode(transformers.create_body(command))
    return body


def reference_body() -> dict[str, Any]:
    return built(REFERENCE_COMMAND)


def test_our_create_has_the_reference_shape() -> None:
    """create-request-reference.json: every path we send is a documented path of the same JSON type, and every
    documented path is sent unless NOT_TAKEN says why not."""
    documented = dict(paths(load("create-request-reference.json")["body"]))
    ours = dict(paths(reference_body()))
    assert {path: kind for path, kind in ours.items() if documented.get(path) != kind} == {}
    assert set(documented) - set(ours) == set(NOT_TAKEN)


def test_our_create_sends_the_reference_values() -> None:
    """create-request-reference.json: same values where our command can say the same thing (custom_data is
    base64 in both, of different free data)."""
    documented = load("create-request-reference.json")["body"]
    ours = reference_body()
    for part in (ours["transaction"], ours["customer"], documented["transaction"], documented["customer"]):
        assert isinstance(part.pop("custom_data"), str)
    assert ours["transaction"] == documented["transaction"]  # 15.02 a number, gbp lower-case
    assert ours["tds"] == documented["tds"]
    assert (ours["webhook_url"], ours["payment_methods"]) == (documented["webhook_url"], documented["payment_methods"])
    assert ours["customer"]["billing"] == {
        **documented["customer"]["billing"],
        "address": {k: v for k, v in documented["customer"]["billing"]["address"].items() if k != "state"},
    }
    assert ours["customer"]["billing"]["address"]["country_code"] == "GB"  # upper-case, as the reference


def test_our_create_has_the_magento_shape() -> None:
    """create-request-magento.json: Acquired's Magento module sends save_card at the root."""
    documented = dict(paths(load("create-request-magento.json")["body"]))
    command = {**REFERENCE_COMMAND, "options": {**REFERENCE_COMMAND["options"], "save_card": False}}
    ours = dict(paths(built(command)))
    assert ours["save_card"] == documented["save_card"] == "boolean"
    shared = set(ours) & set(documented)
    assert {path: ours[path] for path in shared} == {path: documented[path] for path in shared}


def test_our_optional_create_parameters_are_documented() -> None:
    """The reference page lists company_domains (array of uris) and the save-card booleans without an example."""
    command = {
        **REFERENCE_COMMAND,
        "options": {**REFERENCE_COMMAND["options"], "is_recurring": True, "company_domains": ["https://shop.example"]},
    }
    ours = dict(paths(built(command)))
    assert {path: ours[path] for path in DOCUMENTED_WITHOUT_EXAMPLE} == DOCUMENTED_WITHOUT_EXAMPLE


def test_our_login_has_the_documented_shape() -> None:
    """login-request.json."""
    assert msgspec.json.decode(login.login_body(**APP)).keys() == keys("login-request.json")


# --- the simulator against the same documents -----------------------------------------------------------


@pytest.fixture
async def client() -> AsyncIterator[TestClient[Any, Any]]:
    settings = settings_from_mapping({"accounts": {"default": {"acquired": {"base_url": "http://x", **APP}}}}, {})
    async with TestClient(TestServer(build_app(settings, hang_seconds=0.1))) as test_client:
        yield test_client


async def bearer(client: TestClient[Any, Any]) -> dict[str, str]:
    response = await client.post("/v1/login", json=APP)
    reply = await response.json()
    assert reply.keys() == keys("login-reply.json"), "login-reply.json"
    return {"Authorization": f"Bearer {reply['access_token']}", "Content-Type": "application/json"}


def union(kind: str) -> set[str]:
    return set().union(*(keys(name) for name in of_kind(kind)))


def always(kind: str) -> set[str]:
    return set.intersection(*(keys(name) for name in of_kind(kind)))


def check_error_shape(reply: dict[str, Any], where: str) -> None:
    documented = union("error-reply")
    assert always("error-reply") <= set(reply) <= documented, where
    item_keys = {
        key for name in of_kind("error-reply") for i in load(name)["body"].get("invalid_parameters", []) for key in i
    }
    for item in reply.get("invalid_parameters", []):
        assert {"parameter"} <= set(item) <= item_keys, where


@pytest.mark.parametrize("name", of_kind("create-request"))
async def test_the_simulator_takes_the_documented_creates(client: TestClient[Any, Any], name: str) -> None:
    response = await client.post("/v1/payment-sessions", data=body_bytes(name), headers=await bearer(client))
    assert response.status == 201, (name, await response.text())
    reply = await response.json()
    assert always("create-reply") <= set(reply) <= union("create-reply"), name


async def test_the_simulator_takes_either_country_case(client: TestClient[Any, Any]) -> None:
    """customer-woocommerce.json (lower-case) and customer-components-example.json (upper-case) addresses."""
    body = load("create-request-reference.json")["body"]
    for name, part in (("customer-woocommerce.json", "shipping"), ("customer-components-example.json", "billing")):
        address = {k: v for k, v in load(name)["body"][part]["address"].items() if k != "state"}
        sent = {**body, "customer": {part: {"address": address}}}
        response = await client.post("/v1/payment-sessions", json=sent, headers=await bearer(client))
        assert response.status == 201, (name, await response.text())


async def test_the_simulator_updates_answer_the_documented_shape(client: TestClient[Any, Any]) -> None:
    headers = await bearer(client)
    created = await (
        await client.post("/v1/payment-sessions", data=body_bytes("create-request-reference.json"), headers=headers)
    ).json()
    change = msgspec.json.encode({"tds": {"redirect_url": "https://shop.example/3ds"}})
    response = await client.put(f"/v1/payment-sessions/{created['session_id']}", data=change, headers=headers)
    assert response.status == load("update-reply-success.json")["status"], "update-reply-success.json"
    assert always("update-reply") <= set(await response.json()) <= union("update-reply"), "update-reply-*.json"


async def test_the_simulator_errors_have_the_documented_shape(client: TestClient[Any, Any]) -> None:
    headers = await bearer(client)
    answers = [
        await client.post("/v1/login", json={**APP, "app_key": "wrong"}),
        await client.post("/v1/payment-sessions", json={"transaction": {}}, headers=headers),
        await client.post("/v1/payment-sessions", json={"transaction": {"order_id": "o-1"}}),
        await client.put("/v1/payment-sessions/0000dead", json={}, headers=headers),
    ]
    for status in (409, 500):  # the magic amounts of service/simulator/triggers.py
        body = {"transaction": {"order_id": "o-1", "amount": status, "currency": "gbp"}}
        answers.append(await client.post("/v1/payment-sessions", json=body, headers=headers))
    for response in answers:
        reply = await response.json()
        check_error_shape(reply, f"{response.method} {response.url.path} {response.status} vs error-*.json")
        error = errors.parse_error(response.status, msgspec.json.encode(reply))
        assert error.request_id == reply["instance"] == response.url.path
