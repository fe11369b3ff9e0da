"""The JSON Schemas hold in strict validators: Ajv in strict mode (node, contracts/schema-check) and Python's
jsonschema, both asserting formats. Commands are as strict as the service, no more and no less (the known
exceptions are listed below); events are open where contracts/VERSIONING.md has consumers tolerate growth.
A refused payload gets a handful of errors, all at the field that is wrong (or the objects holding it)."""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import jsonschema
import msgspec
import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from contracts.codec import decode_command, decode_event
from contracts.events import OtherSession, SessionCreated, SessionUpdated
from contracts.names import CommandType, EventType
from contracts.schema import SCHEMA_DIR, expected_files
from tests.node_tools import node_tool

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "contracts"
CHECK_DIR = CONTRACTS / "schema-check"
PAYLOADS = sorted((CONTRACTS / "examples").glob("*/session.*.json")) + sorted(
    (CONTRACTS / "golden").glob("v*/*.session.*.json")
)
NAMES = sorted(name.removesuffix(".json") for name in expected_files())
COMMANDS = {command.value for command in CommandType}
FORMATS = Draft202012Validator.FORMAT_CHECKER
# allErrors: the field's own error(s), two for each nullable object on the way down (its `null` branch and its
# `anyOf`), and the `then` of the variant; what jsonschema reports is the top-level errors of iter_errors.
MAX_AJV_ERRORS = 8
MAX_JSONSCHEMA_ERRORS = 2

# Every keyword of the draft 2020-12 vocabularies (core, applicator, unevaluated, validation, meta-data,
# format-annotation, content): nothing else may appear, not even an `x-` annotation (Ajv's strict mode refuses it).
KEYWORDS = frozenset(
    {
        "$schema", "$id", "$ref", "$anchor", "$dynamicRef", "$dynamicAnchor", "$vocabulary", "$comment", "$defs",
        "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas", "prefixItems", "items",
        "contains", "properties", "patternProperties", "additionalProperties", "propertyNames",
        "unevaluatedItems", "unevaluatedProperties", "type", "const", "enum", "multipleOf", "maximum",
        "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems",
        "minItems", "uniqueItems", "maxContains", "minContains", "maxProperties", "minProperties", "required",
        "dependentRequired", "title", "description", "default", "deprecated", "readOnly", "writeOnly", "examples",
        "format", "contentEncoding", "contentMediaType", "contentSchema",
    }
)  # fmt: skip
_NAMED_SCHEMAS = ("properties", "patternProperties", "$defs", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMAS = ("not", "if", "then", "else", "items", "contains", "additionalProperties", "propertyNames")
_SCHEMAS_TOO = ("unevaluatedItems", "unevaluatedProperties", "contentSchema")


def _schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(_schema(name), format_checker=FORMATS)


def _message_type(path: Path) -> str:
    return ".".join(path.name.split(".")[-3:-1])  # ".../primer.session.create.json" -> "session.create"


def _subschemas(schema: Any) -> Iterator[dict[str, Any]]:
    """Every schema object in ``schema`` (values of ``const``, ``enum``, ``default`` are data, not schemas)."""
    if not isinstance(schema, dict):
        return  # a boolean schema
    yield schema
    for key, value in schema.items():
        if key in _NAMED_SCHEMAS:
            for sub in value.values():
                yield from _subschemas(sub)
        elif key in _SCHEMA_LISTS:
            for sub in value:
                yield from _subschemas(sub)
        elif key in _SCHEMAS or key in _SCHEMAS_TOO:
            yield from _subschemas(value)


# ---------------------------------------------------------------------------------------------------- cases


class Case(NamedTuple):
    id: str
    schema: str
    payload: dict[str, Any]
    at: str = ""  # JSON pointer of the field a refusal must point at ("" is the message itself)


def _example(provider: str, message: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((CONTRACTS / "examples" / provider / f"{message}.json").read_text())
    return loaded


def _with(provider: str, message: str, change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    payload = copy.deepcopy(_example(provider, message))
    change(payload)
    return payload


def _case(case_id: str, schema: str, provider: str, change: Callable[[dict[str, Any]], Any], at: str = "") -> Case:
    """The example of ``provider`` for ``schema``, changed."""
    return Case(case_id, schema, _with(provider, schema, change), at)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(payload: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node = payload
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value

    return change


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def change(payload: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node = payload
        for key in parents:
            node = node[key]
        del node[last]

    return change


CREATE, UPDATE = CommandType.CREATE.value, CommandType.UPDATE.value
CREATED, UPDATED, FAILED = EventType.CREATED.value, EventType.UPDATED.value, EventType.FAILED.value
_GOOGLE_PAY_CVV = {"GOOGLE_PAY": {"capture_vaulted_card_cvv": True}}
_CARD_NAME = {"PAYMENT_CARD": {"merchant_name": "Shop"}}
_APPLEPAY_UPDATE = {"provider": "worldline-applepay", "command_id": "c", "session_id": "s"}
_OTHER_ID_5 = {"provider": "x", "id": 5}

# Refused by both validators, at the field named; a command among them is refused by the service too.
INVALID = [
    _case("create: provider unknown", CREATE, "primer", _set("provider", "stripe"), "/provider"),
    _case("create: provider missing", CREATE, "primer", _drop("provider")),
    _case("create: command_id missing", CREATE, "primer", _drop("command_id")),
    _case("create: command_id spaced", CREATE, "primer", _set("command_id", "a b"), "/command_id"),
    _case("create: command_id 129", CREATE, "primer", _set("command_id", "x" * 129), "/command_id"),
    _case("create: amount negative", CREATE, "primer", _set("amount", -1), "/amount"),
    _case("create: amount too big", CREATE, "mpgs", _set("amount", 10**15 + 1), "/amount"),
    _case("create: amount a string", CREATE, "acquired", _set("amount", "100"), "/amount"),
    _case("create: currency lower", CREATE, "mpgs", _set("currency", "eur"), "/currency"),
    _case("create: currency no minor unit", CREATE, "primer", _set("currency", "XXX"), "/currency"),
    _case("create: unknown field", CREATE, "acquired", _set("colour", "blue")),
    _case("create: unknown option", CREATE, "worldline", _set("options/colour", "blue"), "/options"),
    _case("create: issued_at words", CREATE, "primer", _set("issued_at", "yesterday"), "/issued_at"),
    _case("create: issued_at no offset", CREATE, "mpgs", _set("issued_at", "2026-11-21T11:59:58"), "/issued_at"),
    _case("create: issued_at Feb 30", CREATE, "primer", _set("issued_at", "2026-02-30T11:59:58Z"), "/issued_at"),
    _case("create: issued_at :60", CREATE, "primer", _set("issued_at", "2026-12-31T23:59:60Z"), "/issued_at"),
    _case("create: applepay options missing", CREATE, "worldline-applepay", _drop("options")),
    Case(
        "create: primer card-only option on GOOGLE_PAY",
        CREATE,
        _with("primer", CREATE, _set("options/payment_method/options", _GOOGLE_PAY_CVV)),
        "/options/payment_method/options/GOOGLE_PAY/capture_vaulted_card_cvv",
    ),
    Case(
        "create: primer merchant_name on PAYMENT_CARD",
        CREATE,
        _with("primer", CREATE, _set("options/payment_method/options", _CARD_NAME)),
        "/options/payment_method/options/PAYMENT_CARD/merchant_name",
    ),
    _case("update: mpgs session_id path", UPDATE, "mpgs", _set("session_id", "../x"), "/session_id"),
    _case("update: acquired dob", UPDATE, "acquired", _set("customer/dob", "1990-1-31"), "/customer/dob"),
    Case("update: applepay with amount", UPDATE, {**_APPLEPAY_UPDATE, "amount": 1}),
    _case("created: occurred_at words", CREATED, "primer", _set("occurred_at", "not-a-time"), "/occurred_at"),
    _case("created: occurred_at Feb 30", CREATED, "mpgs", _set("occurred_at", "2026-02-30T12:00:00Z"), "/occurred_at"),
    _case("created: event_id not a uuid", CREATED, "primer", _set("event_id", "x"), "/event_id"),
    _case("created: type of another event", CREATED, "primer", _set("type", UPDATED), "/type"),
    _case("created: primer session no token", CREATED, "primer", _drop("session/client_token"), "/session"),
    _case("created: token a number", CREATED, "primer", _set("session/client_token", 5), "/session/client_token"),
    _case("created: expires_at words", CREATED, "mpgs", _set("session/expires_at", "soon"), "/session/expires_at"),
    _case("created: session provider missing", CREATED, "acquired", _drop("session/provider"), "/session"),
    _case("updated: other provider no id", UPDATED, "primer", _set("session", {"provider": "stripe"}), "/session"),
    _case("updated: other provider id a number", UPDATED, "mpgs", _set("session", _OTHER_ID_5), "/session/id"),
    _case("failed: error message missing", FAILED, "primer", _drop("error/message"), "/error"),
    _case("failed: error code a number", FAILED, "mpgs", _set("error/code", 5), "/error/code"),
    _case("failed: operation unknown", FAILED, "acquired", _set("operation", "delete"), "/operation"),
]

_STRIPE = {"provider": "stripe", "id": "cs_test_1", "url": "https://checkout.example/cs_test_1", "livemode": False}
_ADYEN = {"provider": "adyen", "id": "CS1", "expires_at": "2026-11-21T13:00:00Z", "sessionData": "Ab02b4c0"}

# Accepted by both validators: events are open where VERSIONING.md says consumers tolerate growth.
OPEN = [
    _case("created: session of an unknown provider", CREATED, "primer", _set("session", _STRIPE)),
    _case("updated: session of an unknown provider", UPDATED, "mpgs", _set("session", _ADYEN)),
    _case("created: unknown top-level provider", CREATED, "primer", _set("provider", "stripe")),
    _case("failed: unknown error code", FAILED, "primer", _set("error/code", "fraud_suspected")),
    _case("failed: unknown provider echoed", FAILED, "acquired", _set("provider", "no such")),
    _case("created: a field added later", CREATED, "acquired", _set("risk_score", 3)),
    _case("created: a session field added later", CREATED, "primer", _set("session/locale", "en")),
    _case("failed: an error field added later", FAILED, "mpgs", _set("error/hint", "retry")),
]

# Accepted by the service and by both validators: the schema is no stricter than the service.
ACCEPTED = [
    _case("issued_at fraction", CREATE, "primer", _set("issued_at", "2026-11-21T11:59:58.123456Z")),
    _case("issued_at offset", CREATE, "mpgs", _set("issued_at", "2026-11-21T12:59:58+01:00")),
    _case("issued_at lower case", CREATE, "acquired", _set("issued_at", "2026-11-21t11:59:58z")),
    _case("issued_at null", CREATE, "worldline", _set("issued_at", None)),
    _case("amount 0", CREATE, "primer", _set("amount", 0)),
    _case("amount at the bound", CREATE, "mpgs", _set("amount", 10**15)),
    _case("command_id of 128", CREATE, "primer", _set("command_id", "!" * 128)),
    _case("correlation_id with spaces", UPDATE, "primer", _set("correlation_id", "a b c")),
    Case("envelope only", UPDATE, _APPLEPAY_UPDATE),
    _case("dob", UPDATE, "acquired", _set("customer/dob", "1990-01-31")),
]

# Where the schema and the service differ. The service reads these times, and so does Ajv's "date-time" format
# (ajv-formats), but not RFC 3339, which jsonschema asserts (rfc3339-validator): publishers keep to RFC 3339
# (contracts/types.py, DATE_TIME_PATTERN).
STRICTER = [
    _case("issued_at space", CREATE, "primer", _set("issued_at", "2026-11-21 11:59:58Z"), "/issued_at"),
    _case("issued_at +hhmm", CREATE, "primer", _set("issued_at", "2026-11-21T12:59:58+0100"), "/issued_at"),
]
# JSON Schema's "integer" is any number with no fraction (1.0 too), msgspec's int is an integer literal only; and
# json.dumps (and so Ajv's input) writes 100.0 as is, but JSON.parse has made it 100 before Ajv sees it.
LAXER = [_case("amount 100.0", CREATE, "primer", _set("amount", 100.0))]

ALL_CASES = INVALID + OPEN + ACCEPTED + STRICTER + LAXER


def _ids(cases: list[Case]) -> list[str]:
    return [case.id for case in cases]


def test_case_ids_are_unique() -> None:
    assert len(set(_ids(ALL_CASES))) == len(ALL_CASES)


# ------------------------------------------------------------------------------------------------------ Ajv


def _node() -> str:
    """node, with contracts/schema-check installed (`make schema-check`, run by `make lint`); CI never skips."""
    return node_tool("node", CHECK_DIR, ("ajv", "ajv-formats"), "schema-check")


@pytest.fixture(scope="module")
def ajv() -> dict[str, dict[str, Any]]:
    """Ajv's verdict on every case, by case id: one node process for all of them."""
    stdin = json.dumps({"cases": [{"schema": case.schema, "payload": case.payload} for case in ALL_CASES]})
    result = subprocess.run(
        [_node(), str(CHECK_DIR / "validate.mjs"), "--stdin"],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    answer = json.loads(result.stdout)
    assert sorted(answer["schemas"]) == NAMES
    return dict(zip(_ids(ALL_CASES), answer["results"], strict=True))


def test_ajv_strict_mode_compiles_every_schema_and_accepts_every_payload() -> None:
    """`make schema-check`: Ajv 2020 with strict: true and ajv-formats, over every example and golden payload."""
    result = subprocess.run(
        [_node(), str(CHECK_DIR / "validate.mjs")], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(NAMES)} schemas compile in Ajv strict mode" in result.stdout
    assert f"{len(PAYLOADS)} example and golden payloads valid" in result.stdout


# ----------------------------------------------------------------------------------------------- jsonschema


def test_jsonschema_asserts_the_formats_the_schemas_use() -> None:
    """jsonschema checks "date-time" only with rfc3339-validator installed (a dev extra); without it the format
    would pass anything, silently."""
    used = {schema["format"] for name in NAMES for schema in _subschemas(_schema(name)) if "format" in schema}
    assert used == {"date", "date-time", "uuid"}
    missing = used - set(FORMATS.checkers)
    assert not missing, f"jsonschema cannot check {missing}: `pip install -e '.[dev]'` (rfc3339-validator)"


@pytest.mark.parametrize("name", NAMES)
def test_schema_is_plain_draft_2020_12(name: str) -> None:
    schema = _schema(name)
    Draft202012Validator.check_schema(schema)
    for sub in _subschemas(schema):
        assert set(sub) <= KEYWORDS, f"{name}: not a 2020-12 keyword: {sorted(set(sub) - KEYWORDS)}"
        if "enum" in sub:
            assert len(sub["enum"]) > 1, f"{name}: a one-value enum is a const"


@pytest.mark.parametrize("path", PAYLOADS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_payload_is_valid_with_formats_asserted(path: Path) -> None:
    _validator(_message_type(path)).validate(json.loads(path.read_bytes()))


# ----------------------------------------------------------------------------------------------- the cases


def _pointer(error: ValidationError) -> str:
    return "".join(f"/{part}" for part in error.absolute_path)


def _holds(pointer: str, at: str) -> bool:
    """``pointer`` is ``at`` or an object holding it."""
    return pointer == at or at.startswith(pointer + "/") or not pointer


def _service_refuses(case: Case) -> bool:
    try:
        decode_command(CommandType(case.schema), json.dumps(case.payload).encode())
    except msgspec.ValidationError:
        return True
    return False


@pytest.mark.parametrize("case", INVALID, ids=_ids(INVALID))
def test_refused_at_the_field_by_both(case: Case, ajv: dict[str, dict[str, Any]]) -> None:
    errors = list(_validator(case.schema).iter_errors(case.payload))
    assert errors, "jsonschema accepted it"
    assert len(errors) <= MAX_JSONSCHEMA_ERRORS, [error.message for error in errors]
    assert all(_holds(_pointer(error), case.at) for error in errors), [_pointer(error) for error in errors]
    best = best_match(errors)
    assert best is not None
    assert _pointer(best) == case.at, best.message

    verdict = ajv[case.id]
    assert not verdict["valid"], "Ajv accepted it"
    where = [error["instancePath"] for error in verdict["errors"]]
    assert len(where) <= MAX_AJV_ERRORS, verdict["errors"]
    assert all(_holds(pointer, case.at) for pointer in where), where
    assert case.at in where or not case.at, where

    if case.schema in COMMANDS:
        assert _service_refuses(case), "the schema refuses what the service takes"


@pytest.mark.parametrize("case", OPEN, ids=_ids(OPEN))
def test_open_where_consumers_tolerate_growth(case: Case, ajv: dict[str, dict[str, Any]]) -> None:
    _validator(case.schema).validate(case.payload)
    assert ajv[case.id] == {"valid": True, "errors": []}


@pytest.mark.parametrize("case", ACCEPTED, ids=_ids(ACCEPTED))
def test_no_stricter_than_the_service(case: Case, ajv: dict[str, dict[str, Any]]) -> None:
    assert not _service_refuses(case)
    _validator(case.schema).validate(case.payload)
    assert ajv[case.id] == {"valid": True, "errors": []}


@pytest.mark.parametrize("case", STRICTER, ids=_ids(STRICTER))
def test_known_stricter_than_the_service(case: Case, ajv: dict[str, dict[str, Any]]) -> None:
    assert not _service_refuses(case)
    with pytest.raises(ValidationError) as refused:
        _validator(case.schema).validate(case.payload)
    assert _pointer(refused.value) == case.at
    assert ajv[case.id]["valid"]
    # without formats asserted, the pattern (msgspec's own grammar) takes it too
    jsonschema.validate(case.payload, _schema(case.schema), cls=Draft202012Validator)


@pytest.mark.parametrize("case", LAXER, ids=_ids(LAXER))
def test_known_laxer_than_the_service(case: Case, ajv: dict[str, dict[str, Any]]) -> None:
    assert _service_refuses(case)
    _validator(case.schema).validate(case.payload)
    assert ajv[case.id]["valid"]


def test_the_structs_read_what_the_schemas_let_through() -> None:
    """Every open case decodes too; a session of an unknown provider as an ``OtherSession`` inside a subclass of
    the usual event (contracts/VERSIONING.md: a new provider is additive)."""
    for case in OPEN:
        event = decode_event(json.dumps(case.payload))
        assert type(event).__struct_config__.tag == case.schema
        if "unknown provider" in case.id and "session" in case.id:
            assert isinstance(event, SessionCreated | SessionUpdated)
            assert isinstance(event.session, OtherSession)
            assert event.session.provider == case.payload["session"]["provider"]
