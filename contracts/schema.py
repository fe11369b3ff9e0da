"""JSON Schemas of every command and event, generated from the msgspec Structs (the single source).

``python -m contracts.schema`` rewrites ``contracts/schemas/``; a test fails when the committed files drift
from the code. ``messages()`` is also the source of the AsyncAPI document.

msgspec writes a tagged union as ``anyOf`` plus OpenAPI's ``discriminator`` keyword, which is no JSON Schema
keyword: Ajv's strict mode refuses it and other validators ignore it. ``schema_for()`` rewrites every such union
into plain draft 2020-12 (``tests/unit/test_schemas_strict.py`` compiles the result with Ajv in strict mode and
with Python's jsonschema):

- each variant pins its tag with ``const`` (msgspec's one-value ``enum``);
- the union is one ``if``/``then`` per tag (``if`` the tag is ``"primer"`` ``then`` the Primer variant), so a
  validator reports the problems of the variant the payload names, not every other variant's too (an ``anyOf``
  or ``oneOf`` of five variants turned one wrong field into 20-60 errors);
- in commands (strict) the tag must be one of the known ones; in events (lenient: VERSIONING.md has consumers
  tolerate a provider added later) any other tag is accepted with the fields every variant shares.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Final

import msgspec

from contracts.commands import CreateSession, UpdateSession
from contracts.events import SessionCreated, SessionExpired, SessionFailed, SessionUpdated
from contracts.names import CommandType, EventType

SCHEMA_DIR: Final = Path(__file__).parent / "schemas"
DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
ID_BASE: Final = "urn:payment-sessions:schema:"
VERSION: Final = "1"
DEFS_REF: Final = "#/$defs/"


class Message(msgspec.Struct, frozen=True):
    name: str  # the routing key, which is also the message type
    type: Any
    summary: str


def messages() -> list[Message]:
    return [
        Message(CommandType.CREATE.value, CreateSession, "Create a payment session at the named provider."),
        Message(CommandType.UPDATE.value, UpdateSession, "Change a session created earlier."),
        Message(EventType.CREATED.value, SessionCreated, "A session was created at the provider."),
        Message(EventType.UPDATED.value, SessionUpdated, "A session was updated at the provider."),
        Message(EventType.FAILED.value, SessionFailed, "A command ended without a session (typed error)."),
        Message(EventType.EXPIRED.value, SessionExpired, "A session reached its expires_at with no later update."),
    ]


def is_event(message: Message) -> bool:
    return message.name in set(EventType)


class _Unions:
    """Rewrites msgspec's tagged unions (see the module docstring) in one schema and its ``$defs``."""

    def __init__(self, defs: dict[str, Any], *, open_tags: bool, annotation: str | None) -> None:
        self._defs = defs
        self._open = open_tags
        self._annotation = annotation

    def rewrite(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.rewrite(item) for item in node]
        if not isinstance(node, dict):
            return node
        if isinstance(node.get("discriminator"), dict) and "anyOf" in node:  # not a field named "discriminator"
            return self._union(node)
        out = {key: self.rewrite(value) for key, value in node.items()}
        if isinstance(out.get("enum"), list) and len(out["enum"]) == 1:  # a tag, or a one-value Literal
            out = {
                ("const" if key == "enum" else key): (value[0] if key == "enum" else value)
                for key, value in out.items()
            }
        return out

    def _union(self, node: dict[str, Any]) -> dict[str, Any]:
        discriminator = node["discriminator"]
        tag: str = discriminator["propertyName"]
        mapping: dict[str, str] = discriminator["mapping"]
        if set(node) != {"anyOf", "discriminator"} or [{"$ref": ref} for ref in mapping.values()] != node["anyOf"]:
            raise ValueError(f"unexpected shape of a tagged union: {sorted(node)}")  # a msgspec change: look again
        branches: list[dict[str, Any]] = [
            {"if": {"properties": {tag: {"const": value}}, "required": [tag]}, "then": {"$ref": ref}}
            for value, ref in mapping.items()
        ]
        union: dict[str, Any] = {"type": "object"}
        if self._open:
            # Any other tag: a variant added later, of which only what every variant has can be known.
            branches.append(
                {
                    "if": {"properties": {tag: {"enum": list(mapping)}}, "required": [tag]},
                    "else": self._other(tag, mapping),
                }
            )
        else:
            union["properties"] = {tag: {"enum": list(mapping)}}
            union["required"] = [tag]
        union["allOf"] = branches
        if self._annotation:
            union[self._annotation] = {"propertyName": tag, "mapping": mapping}
        return union

    def _other(self, tag: str, mapping: dict[str, str]) -> dict[str, Any]:
        variants = [self._defs[ref.removeprefix(DEFS_REF)] for ref in mapping.values()]
        first, *rest = variants
        shared = {
            name: self.rewrite(schema)
            for name, schema in first["properties"].items()
            if name != tag and all(variant["properties"].get(name) == schema for variant in rest)
        }
        required = [name for name in first["required"] if name in shared and all(name in v["required"] for v in rest)]
        known = ", ".join(f"`{value}`" for value in mapping)
        return {
            "description": f"A `{tag}` this version does not know ({known} are known): a later minor version may add "
            "one (contracts/VERSIONING.md). Treat it as opaque; only the fields every variant has are described.",
            "type": "object",
            "properties": {tag: {"type": "string"}, **shared},
            "required": [tag, *required],
        }


def schema_for(message: Message, *, annotation: str | None = None) -> dict[str, Any]:
    """The JSON Schema of ``message``. ``annotation``: also keep each union's tag and mapping under that key (the
    AsyncAPI document's ``x-discriminator``); the JSON Schemas carry none, as Ajv's strict mode refuses any keyword
    it was not told about."""
    (root,), components = msgspec.json.schema_components([message.type], ref_template=DEFS_REF + "{name}")
    unions = _Unions(components, open_tags=is_event(message), annotation=annotation)
    return {
        "$schema": DIALECT,
        "$id": f"{ID_BASE}{message.name}:v{VERSION}",
        "title": message.name,
        "description": message.summary,
        **unions.rewrite(root),
        "$defs": {name: unions.rewrite(schema) for name, schema in sorted(components.items())},
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def expected_files() -> dict[str, str]:
    return {f"{message.name}.json": render(schema_for(message)) for message in messages()}


def write(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in expected_files().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write():
        print(path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path)
    sys.exit(0)
