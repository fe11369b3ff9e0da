"""Turn a raw delivery into a command, an invalid command (answerable) or poison (dead letter). Pure."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from msgspec import Struct

from contracts.codec import CONTENT_TYPE, decode_command
from contracts.commands import CreateSession, UpdateSession
from contracts.currencies import MINOR_UNITS
from contracts.names import CommandType


class Accepted(Struct, frozen=True):
    command_type: CommandType
    command: CreateSession | UpdateSession


class Invalid(Struct, frozen=True):
    """JSON with a readable command_id that breaks the contract: answered with ``session.failed``."""

    command_type: CommandType
    envelope: dict[str, Any]
    message: str
    field: str | None


class Poison(Struct, frozen=True):
    """Nothing we can answer: dead-lettered with ``reason``."""

    reason: str


Intake = Accepted | Invalid | Poison

_PATH = re.compile(r" - at (?P<key>`key` in )?`\$\.?(?P<path>[^`]*)`$")
_NAMED = re.compile(r"^Object (?:missing required|contains unknown) field `(?P<name>[^`]*)`")
_ENVELOPE_STR = ("correlation_id", "provider", "account", "order_id")
MAX_MINOR_UNITS = 10**15  # contracts.types.MinorUnits
_COMMAND_ID = re.compile(r"^[\x21-\x7e]{1,128}$")


_QUOTED = re.compile(r" ?'[^']*'")


def split_error(text: str) -> tuple[str, str | None]:
    """msgspec's "message - at `$.a.b`" as (message, "a.b"), without the offending value msgspec quotes
    (it may be anything a publisher put there, a card number included)."""
    match = _PATH.search(text)
    message = _QUOTED.sub("", _PATH.sub("", text))
    path = match.group("path") if match else ""
    if match and match.group("key"):
        message = f"a key: {message}"  # msgspec's "at `key` in `$.metadata`": the mapping is the field
    named = _NAMED.match(message)
    if named:
        path = f"{path}.{named.group('name')}" if path else named.group("name")
    return message, path or None


def _envelope(body: bytes) -> dict[str, Any] | None:
    """The answerable parts of a command that failed validation, or None when there is no usable id."""
    try:
        raw = msgspec.json.decode(body)
    except (msgspec.DecodeError, ValueError, RecursionError):
        return None
    if not isinstance(raw, dict):
        return None
    command_id = raw.get("command_id")
    if not isinstance(command_id, str) or not _COMMAND_ID.fullmatch(command_id):
        return None
    envelope: dict[str, Any] = {"command_id": command_id}
    for key in _ENVELOPE_STR:
        envelope[key] = _cut(raw.get(key))
    amount, currency = raw.get("amount"), raw.get("currency")  # echoed only when they are what the contract says
    envelope["amount"] = amount if type(amount) is int and 0 <= amount <= MAX_MINOR_UNITS else None
    envelope["currency"] = currency if isinstance(currency, str) and currency in MINOR_UNITS else None
    return envelope


def _cut(value: object) -> str | None:
    """An invalid command's string field as it may be echoed: at most 128 bytes of UTF-8 (an AMQP short
    string holds 255, and ``correlation_id`` becomes one)."""
    if not isinstance(value, str):
        return None
    return value.encode("utf-8", errors="replace")[:128].decode("utf-8", errors="ignore")


def take(routing_key: str, content_type: str | None, body: bytes, *, max_body_bytes: int) -> Intake:
    try:
        command_type = CommandType(routing_key)
    except ValueError:
        return Poison(f"unknown routing key {routing_key[:64]!r}")
    if len(body) > max_body_bytes:
        return Poison(f"body of {len(body)} bytes exceeds the {max_body_bytes}-byte limit")
    if content_type and content_type.split(";")[0].strip().lower() != CONTENT_TYPE:
        return Poison(f"content type {content_type[:64]!r} is not {CONTENT_TYPE}")
    try:
        return Accepted(command_type, decode_command(command_type, body))
    except msgspec.ValidationError as exc:
        envelope = _envelope(body)
        message, field = split_error(str(exc))
        if envelope is None:
            return Poison(f"invalid command without a usable command_id: {message}"[:300])
        return Invalid(command_type, envelope, message[:300], field)
    except msgspec.DecodeError:
        return Poison("body is not valid JSON")
    except UnicodeDecodeError:  # msgspec checks UTF-8 only inside strings it decodes to str
        return Poison("body is not valid UTF-8")
    except RecursionError:
        return Poison("body is nested too deeply")
