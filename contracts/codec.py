"""Encoders and decoders, built once (msgspec's advice) and shared by every party."""

from __future__ import annotations

from typing import Final

import msgspec

from contracts.commands import CreateSession, UpdateSession
from contracts.events import Event, SessionCreatedElsewhere, SessionUpdatedElsewhere
from contracts.names import CommandType

CONTENT_TYPE: Final = "application/json"

_encoder = msgspec.json.Encoder()
_create_decoder = msgspec.json.Decoder(CreateSession)
_update_decoder = msgspec.json.Decoder(UpdateSession)
_event_decoder = msgspec.json.Decoder(Event)
_other_session_decoder = msgspec.json.Decoder(SessionCreatedElsewhere | SessionUpdatedElsewhere)


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
    """Any event; one whose ``session.provider`` this contract version does not know decodes with an
    ``OtherSession`` (as ``SessionCreatedElsewhere`` / ``SessionUpdatedElsewhere``, subclasses of the usual)."""
    try:
        event: Event = _event_decoder.decode(body)
    except msgspec.ValidationError as exc:
        if not str(exc).endswith("- at `$.session.provider`"):
            raise
        other: SessionCreatedElsewhere | SessionUpdatedElsewhere = _other_session_decoder.decode(body)
        return other
    return event
