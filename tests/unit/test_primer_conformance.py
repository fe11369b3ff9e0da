"""Primer as its documents answer: the transformers and the simulator against ``tests/providers/primer/``.

The corpus (Primer's reference examples, its OpenAPI schemas, its Android sample, its guides) is the witness; the
simulator is checked against it like the adapter is. Every assertion names the corpus file it rests on.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import given

from contracts.currencies import MINOR_UNITS
from contracts.names import ErrorCode
from contracts.providers.primer import CreatePrimerSession, UpdatePrimerSession
from service.providers.primer import errors, transformers
from service.settings import settings_from_mapping
from service.simulator import primer_body
from service.simulator.app import build_app
from tests.unit.test_primer_requests import CREATES, SETTINGS, UPDATES, _valid

CORPUS = Path(__file__).resolve().parents[1] / "providers" / "primer"
API_KEY = "sim-primer-key-conformance"
HEADERS = {"X-Api-Key": API_KEY, "X-Api-Version": "2.4"}


def example(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((CORPUS / name).read_text(encoding="utf-8"))
    return document


def names(kind: str) -> list[str]:
    return sorted(path.name for path in CORPUS.glob("*.json") if example(path.name)["kind"] == kind)


def body(name: str) -> Any:
    return example(name)["body"]


def test_the_corpus_has_every_kind() -> None:
    kinds = {example(path.name)["kind"] for path in CORPUS.glob("*.json")}
    assert kinds >= {"create-request", "update-request", "create-reply", "update-reply", "error-reply"}


# --- replies: every documented 2xx is a session ---------------------------------------------------------------

CREATE_REPLIES = {
    # file: (token, expires_at)
    "create-reply.v2.4-reference.json": ("client-session-token", datetime(2019, 8, 24, 14, 15, 22, tzinfo=UTC)),
    "create-reply.taxjar-guide.json": ("...", None),  # the guide writes "..." for both values
}


def test_every_create_reply_of_the_corpus_is_listed() -> None:
    assert sorted(CREATE_REPLIES) == names("create-reply")


@pytest.mark.parametrize("name", sorted(CREATE_REPLIES))
def test_documented_create_replies_parse_to_a_session(name: str) -> None:
    reply = body(name)
    session = transformers.parse_session(example(name)["status"], json.dumps(reply).encode())
    token, expires_at = CREATE_REPLIES[name]
    assert (session.id, session.client_token, session.expires_at) == (token, token, expires_at), name
    documented = [(w["type"], w["code"], w["message"]) for w in reply.get("warnings", [])]
    assert [(w.type, w.code, w.message) for w in session.warnings] == documented, name


def test_the_schema_expiry_name_is_read_as_utc_without_an_offset() -> None:
    """schema.create-reply.v2.4.json: clientTokenExpirationDate, "UTC with no timezoneinfo"."""
    assert "clientTokenExpirationDate" in body("schema.create-reply.v2.4.json")["required"]
    reply = b'{"clientToken": "t", "clientTokenExpirationDate": "2026-11-22T12:00:00.123456"}'
    assert transformers.parse_session(200, reply).expires_at == datetime(2026, 11, 22, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize("name", ["update-reply.v2.4-reference.json"])
def test_documented_update_replies_keep_the_commands_token(name: str) -> None:
    reply = body(name)
    assert "clientToken" not in reply, name
    session = transformers.parse_session(200, json.dumps(reply).encode(), previous_token="tok-1")
    assert (session.id, session.client_token, session.expires_at, session.warnings) == ("tok-1", "tok-1", None, [])


# --- errors: every documented error body maps to the right ProviderError -------------------------------------

ERRORS: dict[str, tuple[str, bool, str | None]] = {
    # file: (code on create, retryable, field)
    "error-400.client-token-invalid.json": (ErrorCode.VALIDATION_FAILED, False, None),
    "error-400.metadata-empty-key.json": (ErrorCode.VALIDATION_FAILED, False, None),
    "error-400.transaction-idempotency-key-exists.json": (ErrorCode.CONFLICT, True, None),
    "error-404.not-found.json": (ErrorCode.NOT_FOUND, False, None),
    "error-409.idempotency-key-exists.json": (ErrorCode.CONFLICT, True, None),
    "error-422.request-validation.json": (ErrorCode.VALIDATION_FAILED, False, "$.customerId"),
}
# error-format.api-responses.json names no status: the same page lists these.
FORMAT_STATUSES = {
    400: ErrorCode.VALIDATION_FAILED,
    401: ErrorCode.AUTHENTICATION_FAILED,
    403: ErrorCode.AUTHENTICATION_FAILED,
    404: ErrorCode.NOT_FOUND,
    409: ErrorCode.CONFLICT,
    422: ErrorCode.VALIDATION_FAILED,
}


def test_every_error_of_the_corpus_is_listed() -> None:
    assert sorted([*ERRORS, "error-format.api-responses.json"]) == names("error-reply")


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_documented_errors_map_to_provider_errors(name: str) -> None:
    reply, status = body(name), example(name)["status"]
    error = errors.parse_error(status, json.dumps(reply).encode())
    code, retryable, field = ERRORS[name]
    assert (error.code, error.retryable, error.field) == (code, retryable, field), name
    assert (error.provider_status, error.provider_code) == (status, reply["error"]["errorId"]), name
    assert error.request_id == reply["error"]["diagnosticsId"], f"{name}: diagnosticsId is the support reference"
    fields = [e for group in reply["error"].get("validationErrors", []) for e in group.get("errors", [])]
    assert error.message.startswith(fields[0]["description"] if fields else reply["error"]["description"]), name


@pytest.mark.parametrize(("status", "code"), sorted(FORMAT_STATUSES.items()))
def test_the_common_error_format_at_every_listed_status(status: int, code: ErrorCode) -> None:
    reply = body("error-format.api-responses.json")
    error = errors.parse_error(status, json.dumps(reply).encode())
    assert (error.code, error.provider_code, error.request_id) == (code, "AnErrorId", "1234567890"), status
    assert error.message == "A human description of the error.", "error-format.api-responses.json"


def test_an_unknown_token_on_update_is_not_found() -> None:
    """error-400.client-token-invalid.json: PATCH with a token Primer does not know answers 400, not 404."""
    reply = json.dumps(body("error-400.client-token-invalid.json")).encode()
    error = errors.parse_error(400, reply, operation="update")
    assert (error.code, error.retryable, error.request_id) == (ErrorCode.NOT_FOUND, False, "1234567898")
    assert error.message == "The client token is invalid. Please provide a valid client token."


def test_a_retired_api_version_is_misconfigured_with_the_diagnostics_id() -> None:
    """No document shows Primer's 410 body: the common error format (error-format.api-responses.json) at 410."""
    reply = json.dumps(body("error-format.api-responses.json")).encode()
    error = errors.parse_error(410, reply, api_version="2.0")
    assert (error.code, error.retryable, error.provider_status) == (ErrorCode.MISCONFIGURED, False, 410)
    assert "api_version" in error.message and "'2.0'" in error.message
    assert (error.provider_code, error.request_id) == ("AnErrorId", "1234567890")


# --- requests: equivalent commands build the documented bodies ------------------------------------------------


def _without(document: Any, *paths: tuple[str, ...]) -> Any:
    copy = json.loads(json.dumps(document))
    for path in paths:
        node = copy
        for step in path[:-1]:
            node = node[step]
        del node[path[-1]]
    return copy


def _create(command: dict[str, Any]) -> Any:
    built = msgspec.convert({"command_id": "c-1", **command}, CreatePrimerSession)
    return msgspec.json.decode(transformers.create_body(built))


REFERENCE_COMMAND: dict[str, Any] = {
    "order_id": "order-abc",
    "currency": "GBP",
    "amount": 1000,
    "customer": {"id": "customer-123", "email": "john@primer.io"},
    "metadata": {"productType": "Shoes"},
    "options": {
        "country_code": "FR",
        "line_items": [{"item_id": "shoe-123", "description": "Blue Shoe", "amount": 100, "quantity": 10}],
        "payment_method": {
            "descriptor": "Purchase: Shoes",
            "vault_on_success": True,
            "vault_on_3ds": False,
            "options": {
                "PAYMENT_CARD": {"networks": {"VISA": {"surcharge": {"amount": 10}}}},
                "GOOGLE_PAY": {"surcharge": {"amount": 20}},
            },
            "authorization_type": "ESTIMATED",
        },
    },
}


def test_the_v24_reference_create_request() -> None:
    """create-request.v2.4-reference.json, less paymentMethodType (in no schema) and with "FR" for its "FR,"."""
    documented = _without(body("create-request.v2.4-reference.json"), ("paymentMethod", "paymentMethodType"))
    assert documented["order"]["countryCode"] == "FR,"
    documented["order"]["countryCode"] = "FR"
    assert _create(REFERENCE_COMMAND) == documented, "create-request.v2.4-reference.json"


def test_the_reference_typo_is_refused_before_any_request() -> None:
    """create-request.v2.4-reference.json's "FR," is no country code: the command is invalid, Primer not called."""
    with pytest.raises(msgspec.ValidationError, match=r"`\$\.options\.country_code`"):
        _create({**REFERENCE_COMMAND, "options": {**REFERENCE_COMMAND["options"], "country_code": "FR,"}})


def test_the_v21_reference_create_request() -> None:
    options = {**REFERENCE_COMMAND["options"]}
    options["payment_method"] = {
        k: v for k, v in options["payment_method"].items() if k not in ("vault_on_3ds", "authorization_type")
    }
    documented = _without(body("create-request.v2.1-reference.json"), ("paymentMethod", "paymentMethodType"))
    assert _create({**REFERENCE_COMMAND, "options": options}) == documented, "create-request.v2.1-reference.json"


ANDROID_ADDRESS = {
    "first_name": "John",
    "last_name": "Doe",
    "line1": "Neue Schönhauser Str. 2",
    "postal_code": "10178",
    "city": "Berlin",
    "state": "Berlin",
    "country_code": "DE",
}


def test_the_android_sample_create_request() -> None:
    """create-request.android-sample.json, less what our types cannot carry: a nested metadata value and KLARNA's
    extraMerchantData."""
    surcharges = {"PAYPAL": 0, "GOOGLE_PAY": 0, "ADYEN_SOFORT": 150, "ADYEN_IDEAL": 3000, "ADYEN_GIROPAY": 130}
    command = {
        "order_id": "android-test-order-1",
        "currency": "EUR",
        "metadata": {"scenario": "STRIPE_ACH_ONEOFF"},
        "customer": {
            "id": "customer-1",
            "email": "customer@email.de",
            "phone": "+4901761428434",
            "first_name": "John",
            "last_name": "Doe",
            "shipping_address": ANDROID_ADDRESS,
            "billing_address": ANDROID_ADDRESS,
            "national_document_id": "9011211234567",
        },
        "options": {
            "country_code": "DE",
            "line_items": [
                {
                    "item_id": "item-123",
                    "description": "this item",
                    "amount": 1000,
                    "quantity": 1,
                    "discount_amount": 0,
                    "tax_amount": 0,
                    "product_type": "PHYSICAL",
                }
            ],
            "payment_method": {
                "descriptor": "test-descriptor",
                "ordered_allowed_card_networks": ["DANKORT", "MASTERCARD", "CARTES_BANCAIRES", "VISA", "AMEX", "OTHER"],
                "options": {
                    **{kind: {"surcharge": {"amount": amount}} for kind, amount in surcharges.items()},
                    "ADYEN_TRUSTLY": {"surcharge": {"amount": 140}},
                    "KLARNA": {"surcharge": {"amount": 140}},
                    "PAYMENT_CARD": {
                        "networks": {"JCB": {"surcharge": {"amount": 0}}, "VISA": {"surcharge": {"amount": 120}}},
                        "capture_vaulted_card_cvv": False,
                    },
                },
            },
        },
    }
    documented = _without(
        body("create-request.android-sample.json"),
        ("metadata", "deviceInfo"),
        ("paymentMethod", "options", "KLARNA", "extraMerchantData"),
    )
    assert _create(command) == documented, "create-request.android-sample.json"


def test_the_reference_update_request() -> None:
    command = {
        "command_id": "c-1",
        "session_id": "client-session-token",
        "customer": {"id": "customer-123", "email": "john@primer.io"},
        "order_id": "order-abc",
        "amount": 500,
        "options": {
            "payment_method": {"authorization_type": "FINAL"},
            "line_items": [{"item_id": "shoe-123", "description": "Blue Shoe", "amount": 100, "quantity": 10}],
            "country_code": "FR",
        },
    }
    built = transformers.update_body(msgspec.convert(command, UpdatePrimerSession))
    assert msgspec.json.decode(built) == body("update-request.v2.4-reference.json"), "update-request.v2.4-reference"


# --- every key we can send is one Primer documents ------------------------------------------------------------

# Our CountryCode takes any two capital letters and Primer lists the ISO 3166 ones: a code it does not know is
# refused by Primer (validation_failed), not dropped. Currencies: see test_currencies_primer_does_not_list.
_UNCHECKED_ENUMS = {"countryCode", "retailerCountryCode", "currencyCode"}


def _property(properties: dict[str, Any], key: str, path: str) -> dict[str, Any] | None:
    """The schema of ``key``. Under ``paymentMethod.options`` a payment method type takes the generic
    ``<PAYMENT_METHOD_TYPE>`` options, APPLE_PAY those and its own, PAYMENT_CARD its own only."""
    if not path.endswith(".paymentMethod.options") or key == "PAYMENT_CARD":
        return properties.get(key)
    generic = properties["<PAYMENT_METHOD_TYPE>"]
    own = properties.get(key, {}).get("properties", {})
    return {**generic, "properties": {**generic["properties"], **own}}


def schema_problems(value: Any, schema: dict[str, Any], path: str, name: str = "") -> Iterator[str]:
    kind = schema.get("type")
    if isinstance(value, dict):
        if kind not in (None, "object"):
            yield f"{path}: an object where {kind} is documented"
        properties = schema.get("properties")
        for key, item in value.items():
            if properties is None:  # a free object (metadata, extraMerchantData)
                continue
            sub = _property(properties, key, path)
            if sub is None:
                yield f"{path}.{key}: not a documented property"
            else:
                yield from schema_problems(item, sub, f"{path}.{key}", key)
    elif isinstance(value, list) and name == "warnings" and kind == "object":
        # schema.create-reply.v2.4.json types warnings as one warning object; every example has a list of them.
        for index, item in enumerate(value):
            yield from schema_problems(item, schema, f"{path}[{index}]", name)
    elif isinstance(value, list):
        if kind != "array":
            yield f"{path}: an array where {kind} is documented"
        for index, item in enumerate(value):
            yield from schema_problems(item, schema.get("items", {}), f"{path}[{index}]", name)
    else:
        python = {"integer": int, "number": (int, float), "string": str, "boolean": bool}.get(str(kind))
        if python and (not isinstance(value, python) or (kind == "integer" and isinstance(value, bool))):
            yield f"{path}: {value!r} is not {kind}"
        if "enum" in schema and name not in _UNCHECKED_ENUMS and value not in schema["enum"]:
            yield f"{path}: {value!r} is not one of the documented values"
        if "minimum" in schema and isinstance(value, int | float) and value < schema["minimum"]:
            yield f"{path}: {value!r} is below the documented minimum"


@SETTINGS
@given(CREATES)
def test_every_create_body_has_only_documented_fields(command: CreatePrimerSession) -> None:
    schema = body("schema.create-request.v2.4.json")
    problems = list(schema_problems(msgspec.json.decode(transformers.create_body(_valid(command))), schema, "$"))
    assert not problems, f"schema.create-request.v2.4.json: {problems}"


@SETTINGS
@given(UPDATES)
def test_every_update_body_has_only_documented_fields(command: UpdatePrimerSession) -> None:
    """Nulls (cleared fields) are allowed anywhere the update schema has the field."""
    schema = body("schema.update-request.v2.4.json")
    sent = msgspec.json.decode(transformers.update_body(_valid(command)))
    problems = [p for p in schema_problems(sent, schema, "$") if "None is not" not in p and "None where" not in p]
    assert not problems, f"schema.update-request.v2.4.json: {problems}"


def test_currencies_primer_does_not_list() -> None:
    """schema.create-request.v2.4.json's currencyCode enum lacks eight of the ISO 4217 codes our contract takes:
    Primer refuses those (validation_failed); nothing is dropped. Fails when either list changes."""
    documented = set(body("schema.create-request.v2.4.json")["properties"]["currencyCode"]["enum"])
    assert sorted(set(MINOR_UNITS) - documented) == ["MGA", "MRU", "SLE", "STN", "VED", "VES", "XCG", "ZWG"]


# --- the simulator answers like the documents -----------------------------------------------------------------


def field_tree(kind: Any) -> dict[str, Any]:
    """The encoded field names a msgspec type reads, nested; a dict of Structs is {"*": its tree}."""
    if isinstance(kind, mi.Metadata):
        return field_tree(kind.type)
    if isinstance(kind, mi.UnionType):
        return {k: v for member in kind.types for k, v in field_tree(member).items()}
    if isinstance(kind, mi.ListType):
        return field_tree(kind.item_type)
    if isinstance(kind, mi.DictType):
        return {"*": field_tree(kind.value_type)} if isinstance(kind.value_type, mi.StructType) else {}
    if isinstance(kind, mi.StructType):
        return {f.encode_name: field_tree(f.type) for f in kind.fields}
    return {}


def schema_tree(schema: dict[str, Any], name: str = "") -> dict[str, Any]:
    """The property names of a schema, nested; payment method types and card networks folded into "*"."""
    if schema.get("type") == "array":
        return schema_tree(schema.get("items", {}))
    tree = {key: schema_tree(sub, key) for key, sub in schema.get("properties", {}).items()}
    if name in ("options", "networks") and tree:
        folded: dict[str, Any] = {}
        for sub in tree.values():
            folded.update(sub)
        tree = {"*": folded}
    return tree


def _flatten(tree: dict[str, Any], prefix: str = "$") -> set[str]:
    return {p for name, sub in tree.items() for p in {f"{prefix}.{name}", *_flatten(sub, f"{prefix}.{name}")}}


APPLE_PAY_REQUESTS = ("recurringPaymentRequest", "deferredPaymentRequest", "automaticReloadRequest")


def test_the_simulator_reads_exactly_the_documented_request_fields() -> None:
    """schema.create-request.v2.4.json and schema.update-request.v2.4.json against service/simulator/primer_body.py:
    the same names at the same places. The simulator takes Apple Pay's recurring, deferred and automatic-reload
    requests without looking inside, and paymentMethodType (in the reference's examples, in no schema)."""
    accepted = _flatten(field_tree(mi.type_info(primer_body.Body)))
    documented: set[str] = set()
    for name in ("schema.create-request.v2.4.json", "schema.update-request.v2.4.json"):
        documented |= _flatten(schema_tree(body(name)))
    inside_apple_pay = {p for p in documented if any(f".{r}." in p for r in APPLE_PAY_REQUESTS)}
    assert accepted - documented == {"$.paymentMethod.paymentMethodType", "$.clientToken"} - documented
    assert documented - accepted == inside_apple_pay, "schema.*-request.v2.4.json"


@pytest.fixture
async def simulator() -> AsyncIterator[TestClient[Any, Any]]:
    settings = settings_from_mapping(
        {"accounts": {"default": {"primer": {"base_url": "http://x", "api_key": API_KEY}}}}, {}
    )
    async with TestClient(TestServer(build_app(settings, hang_seconds=0.1))) as client:
        yield client


async def call(client: TestClient[Any, Any], method: str, sent: Any, **headers: str) -> tuple[int, Any]:
    response = await client.request(method, "/client-session", json=sent, headers={**HEADERS, **headers})
    return response.status, await response.json()


def reply_problems(reply: Any, schema_name: str) -> list[str]:
    return list(schema_problems(reply, body(schema_name), "$"))


@pytest.mark.parametrize("name", ["create-request.v2.1-reference.json", "create-request.android-sample.json"])
async def test_the_simulator_creates_from_documented_requests(simulator: TestClient[Any, Any], name: str) -> None:
    status, reply = await call(simulator, "POST", body(name))
    assert status == 200, f"{name}: {reply}"
    assert not reply_problems(reply, "schema.create-reply.v2.4.json"), f"{name}: {reply_problems(reply, name)}"
    required = body("schema.create-reply.v2.4.json")["required"]
    assert set(required) <= set(reply), f"schema.create-reply.v2.4.json requires {required}"
    assert datetime.fromisoformat(reply["clientTokenExpirationDate"]).tzinfo is None  # "UTC with no timezoneinfo"
    assert transformers.parse_session(status, json.dumps(reply).encode()).expires_at is not None


async def test_the_simulator_refuses_the_reference_typo(simulator: TestClient[Any, Any]) -> None:
    status, reply = await call(simulator, "POST", body("create-request.v2.4-reference.json"))
    assert status == 422, "create-request.v2.4-reference.json: countryCode 'FR,' is no CountryCodeEnum value"
    assert reply["error"]["validationErrors"][0]["errors"][0]["path"] == "$.order.countryCode"
    assert not reply_problems(reply, "schema.error.v2.4.json")
    fixed = json.loads(json.dumps(body("create-request.v2.4-reference.json")).replace('"FR,"', '"FR"'))
    status, reply = await call(simulator, "POST", fixed)
    assert status == 200, reply


async def test_the_simulator_computes_the_amount_the_documents_compute(simulator: TestClient[Any, Any]) -> None:
    """create-reply.taxjar-guide.json: amount 2500 from a 2000 line, 100 discount, 100 tax and 500 shipping."""
    guide = body("create-reply.taxjar-guide.json")
    sent = {"currencyCode": "USD", "order": guide["order"]}
    status, reply = await call(simulator, "POST", sent)
    assert (status, reply["amount"]) == (200, guide["amount"]), "create-reply.taxjar-guide.json"


async def test_the_simulator_patches_like_the_reference(simulator: TestClient[Any, Any]) -> None:
    status, created = await call(simulator, "POST", body("create-request.v2.1-reference.json"))
    assert status == 200
    patch = {**body("update-request.v2.4-reference.json"), "clientToken": created["clientToken"]}
    status, reply = await call(simulator, "PATCH", patch)
    assert status == 200, f"update-request.v2.4-reference.json: {reply}"
    assert "clientToken" not in reply and "clientTokenExpirationDate" not in reply, "schema.update-reply.v2.4.json"
    assert not reply_problems(reply, "schema.update-reply.v2.4.json"), reply_problems(reply, "update-reply")
    assert reply["paymentMethod"]["authorizationType"] == "FINAL"
    assert reply["paymentMethod"]["vaultOnSuccess"] is True  # not in the PATCH: unchanged
    session = transformers.parse_session(status, json.dumps(reply).encode(), previous_token=created["clientToken"])
    assert session.id == created["clientToken"]


async def test_the_simulators_errors_have_the_documented_shape(simulator: TestClient[Any, Any]) -> None:
    """schema.error.v2.4.json, and a diagnosticsId in every one (every documented example carries one)."""
    answers = [
        await call(simulator, "POST", {"amount": 1}, **{"X-Api-Key": "wrong"}),
        await call(simulator, "POST", {"amount": 1}, **{"X-Api-Version": "1.0"}),
        await call(simulator, "POST", {"colour": "blue"}),
        await call(simulator, "POST", {"metadata": {"": 1}}),
        await call(simulator, "PATCH", {"clientToken": "unknown", "amount": 1}),
        await call(simulator, "POST", {"amount": 40000}),
    ]
    assert [status for status, _ in answers] == [401, 410, 422, 400, 400, 400]
    for status, reply in answers:
        assert not reply_problems(reply, "schema.error.v2.4.json"), (status, reply)
        assert {"errorId", "description", "diagnosticsId"} <= set(reply["error"]), (status, reply)
    assert answers[3][1]["error"]["errorId"] == body("error-400.metadata-empty-key.json")["error"]["errorId"]
    assert answers[4][1]["error"]["errorId"] == body("error-400.client-token-invalid.json")["error"]["errorId"]
    assert answers[2][1]["error"]["errorId"] == body("error-422.request-validation.json")["error"]["errorId"]
