"""contracts/asyncapi.yaml stays true: generated from the Structs, same payloads as the JSON Schemas, the
topology's names, the publisher's headers, and accepted by the official AsyncAPI parser."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from contracts.asyncapi import (
    APP_ID,
    DEAD_LETTER_HEADERS,
    DOCUMENT_PATH,
    EVENT_SOURCE,
    EXAMPLES_DIR,
    HEADER,
    document,
    render,
)
from contracts.codec import decode_event
from contracts.names import CommandType, EventType, Topology
from contracts.schema import SCHEMA_DIR, VERSION, messages
from service.messaging import disposition
from service.messaging.publisher import EventPublisher
from service.settings import Broker
from tests.node_tools import node_tool

ROOT = Path(__file__).resolve().parents[2]
CHECK_DIR = ROOT / "contracts" / "asyncapi-check"
COMPONENT_REF = "#/components/schemas/"
NAMES = [message.name for message in messages()]
EVENTS = [event.value for event in EventType]


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    """The committed file, read as YAML readers will (it is JSON behind comment lines)."""
    text = DOCUMENT_PATH.read_text(encoding="utf-8")
    assert text.startswith(HEADER)
    loaded: dict[str, Any] = json.loads(text.removeprefix(HEADER))
    return loaded


def test_committed_document_matches_the_code() -> None:
    """Run `python -m contracts.asyncapi` after changing contracts/ (or contracts/examples/) and commit it."""
    assert DOCUMENT_PATH.read_text(encoding="utf-8") == render(document())


def _refs(node: Any) -> set[str]:
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node))
    if not isinstance(node, dict):
        return set()
    found = {node["$ref"].removeprefix(COMPONENT_REF)} if isinstance(node.get("$ref"), str) else set()
    return found.union(*(_refs(value) for value in node.values()))


def _as_json_schema(node: Any) -> Any:
    """Undo the generator's rewrite: components refs back to ``$defs``, without the ``x-discriminator``
    annotation (the JSON Schemas carry none: Ajv's strict mode refuses keywords it does not know)."""
    if isinstance(node, list):
        return [_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref":
            out[key] = "#/$defs/" + value.removeprefix(COMPONENT_REF)
        elif key != "x-discriminator":
            out[key] = _as_json_schema(value)
    return out


def test_tagged_unions_keep_their_mapping_for_code_generators(doc: dict[str, Any]) -> None:
    """``x-discriminator`` names each union's tag and maps every tag to a schema that pins it with ``const``."""
    schemas = doc["components"]["schemas"]
    unions = {name: schema.get("x-discriminator") for name, schema in schemas.items()}
    unions["session"] = schemas["SessionCreated"]["properties"]["session"]["x-discriminator"]
    for name in ("session.create", "session.update", "session"):
        discriminator = unions[name]
        assert discriminator is not None, name
        tag = discriminator["propertyName"]
        assert tag == "provider"
        for value, ref in discriminator["mapping"].items():
            assert schemas[ref.removeprefix(COMPONENT_REF)]["properties"][tag] == {"const": value}


@pytest.mark.parametrize("name", NAMES)
def test_payload_is_the_committed_json_schema(doc: dict[str, Any], name: str) -> None:
    """Same source: the payload with every schema it references is contracts/schemas/<name>.json."""
    schemas = doc["components"]["schemas"]
    assert doc["components"]["messages"][name]["payload"] == {"$ref": COMPONENT_REF + name}
    reachable: set[str] = set()
    pending = _refs(schemas[name])
    while pending:
        ref = pending.pop()
        reachable.add(ref)
        pending |= _refs(schemas[ref]) - reachable
    rebuilt = {**_as_json_schema(schemas[name]), "$defs": {ref: _as_json_schema(schemas[ref]) for ref in reachable}}
    committed = json.loads((SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8"))
    assert committed.pop("$schema") == "https://json-schema.org/draft/2020-12/schema"
    assert committed.pop("$id").endswith(f":{name}:v{VERSION}")
    assert rebuilt == committed


def test_no_unreferenced_schemas(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    used = set(NAMES).union(*(_refs(schema) for schema in schemas.values()))
    assert set(schemas) == used


def test_version_matches_the_contract(doc: dict[str, Any]) -> None:
    assert doc["asyncapi"].startswith("3.0.")
    assert doc["info"]["title"] == APP_ID
    assert doc["info"]["version"] == f"{VERSION}.0.0"
    assert doc["defaultContentType"] == "application/json"


def test_channels_name_the_topology(doc: dict[str, Any]) -> None:
    names = Topology()
    channels = doc["channels"]
    by_address = {channel.get("address"): channel for channel in channels.values()}
    for command in CommandType:
        exchange = by_address[command.value]["bindings"]["amqp"]["exchange"]
        assert by_address[command.value]["bindings"]["amqp"]["is"] == "routingKey"
        assert exchange == {
            "name": names.commands_exchange,
            "type": "topic",
            "durable": True,
            "autoDelete": False,
            "vhost": "/",
        }
        assert names.commands_queue in by_address[command.value]["description"]
    for event in EventType:
        assert by_address[event.value]["bindings"]["amqp"]["exchange"]["name"] == names.events_exchange
    dead = channels["deadLetters"]
    assert dead["address"] == names.dead_letter_queue
    assert dead["bindings"]["amqp"]["queue"]["name"] == names.dead_letter_queue
    assert f"`{names.dead_letter_exchange}`" in dead["description"]


def test_names_follow_a_configured_topology() -> None:
    custom = Topology(
        commands_exchange="c.x",
        commands_queue="c.q",
        events_exchange="e.x",
        dead_letter_exchange="d.x",
        dead_letter_queue="d.q",
    )
    channels = document(custom)["channels"]
    assert channels["sessionCreate"]["bindings"]["amqp"]["exchange"]["name"] == "c.x"
    assert channels["sessionFailed"]["bindings"]["amqp"]["exchange"]["name"] == "e.x"
    assert channels["deadLetters"]["bindings"]["amqp"]["queue"]["name"] == "d.q"
    assert "payment-sessions." not in json.dumps(channels)  # no default exchange or queue name left


def test_operations_take_the_service_viewpoint(doc: dict[str, Any]) -> None:
    """The service receives commands (manual ack) and sends events (persistent, mandatory)."""
    operations = doc["operations"]
    for name in ("receiveCreate", "receiveUpdate"):
        assert operations[name]["action"] == "receive"
        assert operations[name]["bindings"]["amqp"]["ack"] is True
    for name in ("sendCreated", "sendUpdated", "sendFailed", "sendDeadLetter"):
        assert operations[name]["action"] == "send"
        assert operations[name]["bindings"]["amqp"]["deliveryMode"] == 2
        assert operations[name]["bindings"]["amqp"]["mandatory"] is True
    for operation in operations.values():
        channel = operation["channel"]["$ref"].removeprefix("#/channels/")
        for message in operation["messages"]:
            assert message["$ref"].startswith(f"#/channels/{channel}/messages/")
    for message in NAMES:
        assert doc["components"]["messages"][message]["bindings"]["amqp"]["messageType"] == message


def _validator(doc: dict[str, Any], schema: dict[str, Any]) -> jsonschema.Draft7Validator:
    # Draft 7 is the AsyncAPI schema format's base; refs resolve against the document's components.
    return jsonschema.Draft7Validator({**schema, "components": doc["components"]})


def test_examples_are_every_example_file_and_valid(doc: dict[str, Any]) -> None:
    """The parser does not check examples against schemas in AsyncAPI 3, so this does."""
    files = sorted(EXAMPLES_DIR.glob("*/session.*.json"))
    included = 0
    for name in NAMES:
        message = doc["components"]["messages"][name]
        examples = message.get("examples", [])
        assert examples or not files, f"{name} has no example"
        payloads = _validator(doc, {"$ref": COMPONENT_REF + name})
        for example in examples:
            assert example["payload"] == json.loads((EXAMPLES_DIR / example["name"] / f"{name}.json").read_text())
            payloads.validate(example["payload"])
            if name in EVENTS:
                _validator(doc, message["headers"]).validate(example["headers"])
        included += len(examples)
    assert included == len(files)


def test_event_headers_are_what_the_publisher_sets(doc: dict[str, Any]) -> None:
    defaults = Broker()
    assert (defaults.app_id, defaults.event_source) == (APP_ID, EVENT_SOURCE)
    publisher = EventPublisher(None, None, None, app_id=defaults.app_id, source=defaults.event_source, timeout=1.0)  # type: ignore[arg-type]
    for name in EVENTS:
        message = doc["components"]["messages"][name]
        headers_schema = message["headers"]
        assert set(headers_schema["required"]) == set(headers_schema["properties"]) - {"tracestate"}
        for example in message.get("examples", []):
            event = decode_event(json.dumps(example["payload"]))
            trace = {"traceparent": example["headers"]["traceparent"]}
            amqp = publisher.event_message(event, correlation_id=None, trace=trace).properties
            assert amqp.headers == example["headers"]
            assert amqp.message_type == name == message["bindings"]["amqp"]["messageType"]
            _validator(doc, headers_schema).validate(amqp.headers)


def test_dead_letter_headers_are_what_the_service_sets(doc: dict[str, Any]) -> None:
    headers = doc["components"]["messages"]["deadLetter"]["headers"]["properties"]
    assert set(DEAD_LETTER_HEADERS) == set(disposition._OURS) == set(headers) - {"x-death"}


def test_official_parser_accepts_the_document() -> None:
    """`make asyncapi-check` (run by `make lint`) installs the parser; CI must never skip this test."""
    node = node_tool("node", CHECK_DIR, ("@asyncapi/parser",), "asyncapi-check")
    result = subprocess.run(
        [node, str(CHECK_DIR / "validate.mjs"), str(DOCUMENT_PATH)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid AsyncAPI 3.0" in result.stdout
