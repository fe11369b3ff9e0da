"""JSON Schemas of every command and event, generated from the msgspec Structs (the single source).

``python -m contracts.schema`` rewrites ``contracts/schemas/``; a test fails when the committed files drift
from the code. ``messages()`` is also the source of the AsyncAPI document.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Final

import msgspec

from contracts.commands import CreateSession, UpdateSession
from contracts.events import SessionCreated, SessionFailed, SessionUpdated
from contracts.names import CommandType, EventType

SCHEMA_DIR: Final = Path(__file__).parent / "schemas"
DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
ID_BASE: Final = "urn:payment-sessions:schema:"
VERSION: Final = "1"


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
    ]


def schema_for(message: Message) -> dict[str, Any]:
    (root,), components = msgspec.json.schema_components([message.type], ref_template="#/$defs/{name}")
    return {
        "$schema": DIALECT,
        "$id": f"{ID_BASE}{message.name}:v{VERSION}",
        "title": message.name,
        "description": message.summary,
        **root,
        "$defs": dict(sorted(components.items())),
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
