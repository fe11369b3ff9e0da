"""The published contract stays true: schemas match the code, examples and golden payloads match both."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from contracts.codec import decode_command, decode_event
from contracts.names import PROVIDERS, CommandType, EventType
from contracts.schema import SCHEMA_DIR, expected_files

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
EXAMPLES = sorted((CONTRACTS / "examples").glob("*/session.*.json"))
GOLDEN = sorted((CONTRACTS / "golden").glob("v*/*.json"))


def _message_type(path: Path) -> str:
    return ".".join(path.name.split(".")[-3:-1])  # ".../primer.session.create.json" -> "session.create"


def _schema(message_type: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMA_DIR / f"{message_type}.json").read_text())
    return schema


def _decode(message_type: str, body: bytes) -> Any:
    if message_type in (CommandType.CREATE, CommandType.UPDATE):
        return decode_command(CommandType(message_type), body)
    return decode_event(body)


def test_committed_schemas_match_the_structs() -> None:
    """Run `python -m contracts.schema` after changing contracts/ and commit the result."""
    committed = {path.name: path.read_text() for path in SCHEMA_DIR.glob("*.json")}
    assert committed == expected_files()


@pytest.mark.parametrize("name", sorted(expected_files()))
def test_schemas_are_valid_json_schema(name: str) -> None:
    jsonschema.Draft202012Validator.check_schema(_schema(name.removesuffix(".json")))


def test_every_provider_has_a_command_and_an_event_per_outcome() -> None:
    names = {(path.parent.name, _message_type(path)) for path in EXAMPLES}
    for provider in PROVIDERS:
        assert (provider, CommandType.CREATE.value) in names
        assert (provider, EventType.CREATED.value) in names
        assert (provider, EventType.FAILED.value) in names
        if provider not in ("worldline-applepay",):
            assert (provider, CommandType.UPDATE.value) in names


@pytest.mark.parametrize("path", EXAMPLES + GOLDEN, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_example_matches_schema_and_decodes(path: Path) -> None:
    message_type = _message_type(path)
    body = path.read_bytes()
    jsonschema.validate(json.loads(body), _schema(message_type), cls=jsonschema.Draft202012Validator)
    decoded = _decode(message_type, body)
    if message_type.startswith("session.") and message_type in {e.value for e in EventType}:
        assert type(decoded).__struct_config__.tag == message_type


def test_golden_payloads_cover_every_example_of_their_version() -> None:
    """A released version's payloads are frozen; each later version must keep decoding them (test above)."""
    assert GOLDEN, "contracts/golden/v1 holds the payloads of the first released contract"
    assert {p.parent.name for p in GOLDEN} >= {"v1"}


def test_the_schema_refuses_what_the_service_refuses() -> None:
    body = json.loads((CONTRACTS / "examples" / "primer" / "session.create.json").read_text())
    body["currency"] = "eur"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(body, _schema("session.create"), cls=jsonschema.Draft202012Validator)
    body["currency"] = "EUR"
    body["colour"] = "blue"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(body, _schema("session.create"), cls=jsonschema.Draft202012Validator)
