"""MPGS against its own documents (tests/providers/mpgs/), not against our simulator.

The pure transformers parse every documented reply and error; the requests we build for equivalent commands have
the documented shape; the simulator's replies have the documented keys; and (hypothesis) every field of the MPGS
command types reaches a request body, or the command is refused naming it before any request.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from aiohttp.test_utils import TestClient, TestServer

from contracts.codec import decode_create, decode_update
from contracts.events import MpgsSession
from contracts.names import ErrorCode
from contracts.providers.mpgs import CreateMpgsSession, UpdateMpgsSession
from service.providers.base import ProviderError
from service.providers.mpgs import transformers
from service.settings import settings_from_mapping
from service.simulator.app import build_app

CORPUS = Path(__file__).parents[1] / "providers" / "mpgs"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SESSION_ID = "SESSION0002a1b2c3d4e5f6a7b8c9d0e1f2a3b4"


def load(name: str) -> dict[str, Any]:
    example: dict[str, Any] = json.loads((CORPUS / name).read_text(encoding="utf-8"))
    return example


def of_kind(kind: str) -> list[str]:
    return sorted(path.name for path in CORPUS.glob("*.json") if load(path.name)["kind"] == kind)


def body_bytes(name: str) -> bytes:
    return msgspec.json.encode(load(name)["body"])


def paths(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Leaf paths of a JSON object with their values: ``("billing.address.country", "GBR")``."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, f"{prefix}{key}.")
    else:
        yield prefix.rstrip("."), value


def shape(value: Any) -> dict[str, str]:
    """Leaf paths with their JSON types: what "the documented shape" compares."""
    return {path: type(leaf).__name__ for path, leaf in paths(value)}


def parse(name: str, status: int, *, include_aes256_key: bool = False) -> MpgsSession:
    return transformers.parse_session(status, body_bytes(name), now=NOW, include_aes256_key=include_aes256_key)


# --- replies ------------------------------------------------------------------------------------------------


def test_the_corpus_has_every_kind() -> None:
    for kind in ("create-reply", "update-reply", "create-request", "update-request", "error-reply"):
        assert of_kind(kind), f"no {kind} in {CORPUS}"


@pytest.mark.parametrize("name", of_kind("create-reply") + of_kind("update-reply"))
@pytest.mark.parametrize("status", [200, 201])
def test_every_documented_reply_is_the_session_it_shows(name: str, status: int) -> None:
    """Create replies carry result SUCCESS; Update replies carry none and say updateStatus SUCCESS: both succeed."""
    session = load(name)["body"]["session"]
    parsed = parse(name, status, include_aes256_key=True)
    assert parsed == MpgsSession(
        id=session["id"],
        expires_at=NOW + timedelta(minutes=15),
        version=session["version"],
        update_status=session["updateStatus"],
        authentication_limit=session.get("authenticationLimit"),
        aes256_key=session.get("aes256Key"),
    ), name


@pytest.mark.parametrize("name", of_kind("create-reply"))
def test_the_aes256_key_of_a_documented_create_stays_out_unless_the_account_opts_in(name: str) -> None:
    assert parse(name, 201).aes256_key is None, name


@pytest.mark.parametrize("name", of_kind("update-reply"))
def test_documented_update_replies_have_no_result_and_are_still_success(name: str) -> None:
    body = load(name)["body"]
    assert "result" not in body, f"{name}: the corpus example for defect 1"
    assert body["session"]["updateStatus"] == "SUCCESS", name
    assert parse(name, 200).update_status == "SUCCESS", name


@pytest.mark.parametrize("name", of_kind("update-reply"))
@pytest.mark.parametrize(("update_status", "code"), [("FAILURE", ErrorCode.VALIDATION_FAILED), ("NO_UPDATE", None)])
def test_a_documented_update_reply_saying_otherwise_is_not_success(
    name: str, update_status: str, code: ErrorCode | None
) -> None:
    body = load(name)["body"]
    body["session"]["updateStatus"] = update_status
    with pytest.raises(ProviderError) as refused:
        transformers.parse_session(200, msgspec.json.encode(body), now=NOW, include_aes256_key=False)
    assert refused.value.code is (code or ErrorCode.PROVIDER_ERROR), name
    assert refused.value.retryable is (code is None), name


# --- errors -------------------------------------------------------------------------------------------------

# Per file: (statuses to read it at when the source names none, code, retryable, field).
ERRORS: dict[str, tuple[tuple[int, ...], ErrorCode, bool, str | None]] = {
    "error-reply.nvp-fixture-invalid-request.json": ((400,), ErrorCode.VALIDATION_FAILED, False, "apiOperation"),
    "error-reply.reference-request-rejected.json": ((400, 403), ErrorCode.AUTHENTICATION_FAILED, False, None),
    "error-reply.reference-server-failed.json": ((500,), ErrorCode.PROVIDER_UNAVAILABLE, True, None),
    "error-reply.reference-server-busy.json": ((503,), ErrorCode.PROVIDER_UNAVAILABLE, True, None),
}


def test_every_documented_error_has_an_expectation() -> None:
    assert sorted(ERRORS) == of_kind("error-reply")


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_documented_errors_map_precisely(name: str) -> None:
    example = load(name)
    error = example["body"]["error"]
    statuses, code, retryable, field = ERRORS[name]
    for status in (example["status"],) if example["status"] else statuses:
        parsed = transformers.parse_error(status, body_bytes(name))
        assert (parsed.code, parsed.retryable, parsed.field, parsed.provider_status) == (
            code,
            retryable,
            field,
            status,
        ), name
        assert parsed.provider_code == error["cause"], name
        assert parsed.request_id == error.get("supportCode"), f"{name}: supportCode -> request_id"
        assert parsed.to_error_info().provider_reference == error.get("supportCode"), name
        assert parsed.message == error.get("explanation", f"mpgs answered {status} ({error['cause']})"), name


def test_request_rejected_is_about_our_credentials_not_a_field() -> None:
    """MPGS: 'rejected due to security reasons such as firewall rules, expired certificate'; next action
    'review the authentication credentials you supplied' (error-reply.reference-request-rejected.json)."""
    parsed = transformers.parse_error(400, body_bytes("error-reply.reference-request-rejected.json"))
    assert parsed.code is ErrorCode.AUTHENTICATION_FAILED and not parsed.retryable


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_a_documented_error_inside_a_2xx_is_never_success(name: str) -> None:
    with pytest.raises(ProviderError) as refused:
        transformers.parse_session(200, body_bytes(name), now=NOW, include_aes256_key=False)
    assert refused.value.request_id == load(name)["body"]["error"].get("supportCode"), name


# --- requests -----------------------------------------------------------------------------------------------


def reference_fields() -> dict[str, Any]:
    """Command fields equivalent to update-request.reference-fields.json (options aside)."""
    put = load("update-request.reference-fields.json")["body"]
    billing, shipping = put["billing"]["address"], put["shipping"]["address"]
    return {
        "provider": "mpgs",
        "order_id": put["order"]["id"],
        "correlation_id": put["correlationId"],
        "amount": 1502,
        "currency": "GBP",
        "customer": {
            "email": put["customer"]["email"],
            "first_name": put["customer"]["firstName"],
            "last_name": put["customer"]["lastName"],
            "phone": put["customer"]["mobilePhone"],
            "billing_address": {
                "line1": billing["street"],
                "line2": billing["street2"],
                "city": billing["city"],
                "postal_code": billing["postcodeZip"],
                "state": billing["stateProvince"],
                "country_code": "GB",
            },
            "shipping_address": {
                "line1": shipping["street"],
                "city": shipping["city"],
                "postal_code": shipping["postcodeZip"],
                "country_code": "GB",
            },
        },
    }


def reference_options() -> dict[str, Any]:
    put = load("update-request.reference-fields.json")["body"]
    return {
        "order_reference": put["order"]["reference"],
        "order_description": put["order"]["description"],
        "authentication_limit": put["session"]["authenticationLimit"],
    }


def create_command(fields: dict[str, Any]) -> CreateMpgsSession:
    command = decode_create(msgspec.json.encode({"provider": "mpgs", "command_id": "c-1", **fields}))
    assert isinstance(command, CreateMpgsSession)
    return command


def update_command(fields: dict[str, Any]) -> UpdateMpgsSession:
    body = {"provider": "mpgs", "command_id": "c-2", "session_id": SESSION_ID, **fields}
    command = decode_update(msgspec.json.encode(body))
    assert isinstance(command, UpdateMpgsSession)
    return command


def test_our_create_post_is_the_documented_create_request() -> None:
    command = create_command({**reference_fields(), "options": reference_options()})
    ours = msgspec.json.decode(transformers.create_body(command))
    assert ours == load("create-request.reference-fields.json")["body"], "create-request.reference-fields.json"


def test_our_create_put_has_the_documented_update_request_shape() -> None:
    body = transformers.create_order_body(create_command({**reference_fields(), "options": reference_options()}))
    assert body is not None
    documented = load("update-request.reference-fields.json")["body"]
    documented.pop("session")  # on create, authenticationLimit goes with the POST, and there is no version yet
    assert msgspec.json.decode(body) == documented, "update-request.reference-fields.json"


def test_our_update_is_the_documented_update_request() -> None:
    documented = load("update-request.reference-fields.json")["body"]
    options = {**reference_options(), "session_version": documented["session"]["version"]}
    ours = msgspec.json.decode(transformers.update_body(update_command({**reference_fields(), "options": options})))
    assert ours == documented, "update-request.reference-fields.json"
    assert shape(ours) == shape(documented), "update-request.reference-fields.json"
    assert isinstance(ours["order"]["amount"], str), "update-request.reference-fields.json: a decimal string"


def test_an_empty_create_is_a_documented_create() -> None:
    """Every Create Session field is optional (create-request.reference-fields.json): ``{}`` is valid."""
    assert transformers.create_body(create_command({})) == b"{}"


# --- the simulator against the same documents ---------------------------------------------------------------

MERCHANT, PASSWORD = "TESTMERCHANT01", "sim-mpgs-password-4242"
SETTINGS = {
    "accounts": {"default": {"mpgs": {"base_url": "http://x", "merchant_id": MERCHANT, "api_password": PASSWORD}}}
}
BASE = f"/api/rest/version/100/merchant/{MERCHANT}/session"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"merchant.{MERCHANT}:{PASSWORD}".encode()).decode()}


@pytest.fixture
async def client() -> AsyncIterator[TestClient[Any, Any]]:
    app = build_app(settings_from_mapping(SETTINGS, {}), hang_seconds=0.1)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Every key path of a JSON object, intermediate ones included: ``{"session", "session.id", …}``."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            found.add(prefix + key)
            found |= key_paths(item, f"{prefix}{key}.")
    return found


def union(kind: str) -> set[str]:
    return set().union(*(key_paths(load(name)["body"]) for name in of_kind(kind)))


def always(kind: str) -> set[str]:
    return set.intersection(*(key_paths(load(name)["body"]) for name in of_kind(kind)))


async def sim_create(client: TestClient[Any, Any], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with client.post(BASE, json=body, headers=AUTH) as response:
        return response.status, await response.json()


async def test_the_simulator_create_reply_has_the_documented_keys(client: TestClient[Any, Any]) -> None:
    status, reply = await sim_create(client, load("create-request.reference-fields.json")["body"])
    assert status == 201
    documented = union("create-reply") | {"correlationId"}  # Create Session: correlationId returned as provided
    assert key_paths(reply) <= documented, f"keys no create-reply example shows: {key_paths(reply) - documented}"
    assert always("create-reply") <= key_paths(reply), f"missing: {always('create-reply') - key_paths(reply)}"
    assert reply["result"] == "SUCCESS" and reply["session"]["updateStatus"] == "NO_UPDATE"


async def test_the_simulator_default_authentication_limit_is_in_every_create(client: TestClient[Any, Any]) -> None:
    _, reply = await sim_create(client, {})
    assert always("create-reply") <= key_paths(reply)


async def test_the_simulator_update_reply_has_the_documented_keys(client: TestClient[Any, Any]) -> None:
    _, created = await sim_create(client, {})
    put = load("update-request.reference-fields.json")["body"]
    put["session"]["version"] = created["session"]["version"]
    async with client.put(f"{BASE}/{created['session']['id']}", json=put, headers=AUTH) as response:
        assert response.status == 200, await response.text()
        reply = await response.json()
    # Update Session echoes the stored request groups and the correlationId as provided.
    echoed = key_paths({key: value for key, value in put.items() if key != "session"})
    documented = union("update-reply") | echoed
    assert key_paths(reply) <= documented, f"keys no update-reply example shows: {key_paths(reply) - documented}"
    assert always("update-reply") <= key_paths(reply), f"missing: {always('update-reply') - key_paths(reply)}"
    assert "result" not in reply, "update-reply.*.json: Update Session replies carry no result"
    assert reply["version"] == "100", "the API version, as update-reply.java-sample-*.json show"
    session = transformers.parse_session(200, msgspec.json.encode(reply), now=NOW, include_aes256_key=False)
    assert session.update_status == "SUCCESS"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"order": {"colour": "red"}}, "order.colour"),
        ({"billing": {"address": {"country": "GBR", "county": "x"}}}, "billing.address.county"),
        ({"metadata": {"k": "v"}}, "metadata"),
        ({"customer": {"id": "cust-42"}}, "customer.id"),
    ],
)
async def test_the_simulator_refuses_what_the_documents_do_not_name(
    client: TestClient[Any, Any], body: dict[str, Any], field: str
) -> None:
    _, created = await sim_create(client, {})
    async with client.put(f"{BASE}/{created['session']['id']}", json=body, headers=AUTH) as response:
        reply = await response.json()
    assert response.status == 400
    assert (reply["error"]["cause"], reply["error"]["field"], reply["error"]["validationType"]) == (
        "INVALID_REQUEST",
        field,
        "UNSUPPORTED",
    )


def error_keys() -> set[str]:
    return union("error-reply") | {"error.field", "error.validationType", "error.explanation"}


@pytest.mark.parametrize(
    ("correlation_id", "status", "cause", "support_code"),
    [
        ("sim-400", 400, "INVALID_REQUEST", False),
        ("sim-403", 403, None, False),  # an HTML page from a CDN
        ("sim-500", 500, "SERVER_FAILED", True),
        ("sim-503", 503, "SERVER_BUSY", False),
        ("sim-busy", 503, "SERVER_BUSY", False),
    ],
)
async def test_the_simulator_errors_have_the_documented_shape(
    client: TestClient[Any, Any], correlation_id: str, status: int, cause: str | None, support_code: bool
) -> None:
    async with client.post(BASE, json={"correlationId": correlation_id}, headers=AUTH) as response:
        assert response.status == status
        if cause is None:
            return
        reply = await response.json()
    assert key_paths(reply) <= error_keys(), f"keys no error-reply example shows: {key_paths(reply) - error_keys()}"
    assert reply["result"] == "ERROR" and reply["error"]["cause"] == cause
    assert ("supportCode" in reply["error"]) is support_code, (
        "MPGS: supportCode only for SERVER_FAILED/REQUEST_REJECTED"
    )
    parsed = transformers.parse_error(status, msgspec.json.encode(reply))
    assert parsed.request_id == reply["error"].get("supportCode")
