"""Encoders and decoders, built once (msgspec's advice) and shared by every party."""

from __future__ import annotations

from typing import Final

import msgspec

from contracts.commands import CreateSession, UpdateSession
from contracts.events import Event
from contracts.names import CommandType

CONTENT_TYPE: Final = "application/json"

_encoder = msgspec.json.Encoder()
_create_decoder = msgspec.json.Decoder(CreateSession)
_update_decoder = msgspec.json.Decoder(UpdateSession)
_event_decoder = msgspec.json.Decoder(Event)


def encode(message: msgspec.Struct) -> bytes:
    return _encoder.encode(message)


def decode_create(body: bytes) -> CreateSession:
    result: CreateSession = _create_decoder.decode(body)
    return result


def decode_update(body: bytes) -> UpdateSession:
    result: UpdateSession = _update_decoder.decode(body)
    return result


def decode_command(command_type: CommandType, body: bytes) -> CreateSession | UpdateSession:
    """Decode a command body; raises ``msgspec.ValidationError`` or ``msgspec.DecodeError``."""
    if command_type is CommandType.CREATE:
        return decode_create(body)
    return decode_update(body)


def decode_event(body: bytes | str) -> Event:
    event: Event = _event_decoder.decode(body)
    return event
