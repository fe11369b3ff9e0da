"""What the store holds per command_id, and what a claim answers."""

from __future__ import annotations

import hashlib

import msgspec
from msgspec import Struct

from contracts.commands import CreateSession, UpdateSession


class StoreUnavailable(Exception):
    """The store could not be reached: the command is not at fault and is tried again later."""


class Busy(Struct, frozen=True, tag="busy"):
    """A replica owns the command until the lease expires."""

    token: str
    fingerprint: str


class Done(Struct, frozen=True, tag="done"):
    """The outcome: the exact event bytes that were (or are about to be) published, and the AMQP user that
    published the command (a copy of it is answered to its ``reply_to`` only when it comes from the same user)."""

    fingerprint: str
    event: str
    publisher: str | None = None


Record = Busy | Done


class Claimed(Struct, frozen=True):
    token: str


Claim = Claimed | Busy | Done

_encoder = msgspec.json.Encoder(order="deterministic")
_record_decoder = msgspec.json.Decoder(Record)


def fingerprint(command: CreateSession | UpdateSession) -> str:
    """A hash of the command's payload, ``issued_at`` aside (a publisher's retry may re-stamp it)."""
    payload = msgspec.structs.replace(command, issued_at=None)
    return hashlib.sha256(_encoder.encode(payload)).hexdigest()


def encode_record(record: Record) -> bytes:
    return _encoder.encode(record)


def decode_record(data: bytes | str) -> Record:
    record: Record = _record_decoder.decode(data)
    return record
