"""Makes the AMQP frame decoder total for what RabbitMQ lets any publisher send.

RabbitMQ passes message properties through without checking them, and pamqp 4 (under aiormq) raises while
unmarshalling a content header that holds a short string that is not UTF-8 (``message_id``, ``reply_to``, a
header name...) or a timestamp past the year 9999. aiormq then closes the whole connection; the robust
connection reconnects, the broker redelivers the same message, and the consumer resets again, up to the
delivery limit, for every such message (seen on RabbitMQ 3.10 with a raw publisher: tests/integration/
test_hostile_input.py). Decoded leniently instead, the delivery reaches the pipeline like any other and is
settled there (dead-lettered, with its body kept).

Lenient means: undecodable UTF-8 becomes U+FFFD, an out-of-range timestamp becomes None. Only decoding changes;
what the library encodes is untouched. ``install()`` is idempotent; the composition root calls it before
connecting.
"""

from __future__ import annotations

import datetime
import struct
from typing import Any

from pamqp import common
from pamqp import decode as pamqp_decode

_installed = False


def _short_str(value: bytes) -> tuple[int, str]:
    try:
        length = common.Struct.byte.unpack(value[0:1])[0]
    except (struct.error, TypeError) as err:
        raise ValueError("Could not unpack short string value") from err
    return length + 1, value[1 : length + 1].decode("utf-8", errors="replace")


def _timestamp(value: bytes) -> tuple[int, datetime.datetime | None]:
    try:
        return pamqp_decode.timestamp(value)
    except (OverflowError, OSError, ValueError) as err:
        if len(value) < 8:  # a truncated frame is a frame error, not a value out of range
            raise ValueError("Could not unpack timestamp value") from err
        return 8, None


def _field_table(value: bytes) -> tuple[int, dict[str, Any]]:
    """pamqp's field-table decoder, with header names decoded leniently."""
    try:
        length = common.Struct.integer.unpack(value[0:4])[0]
    except (struct.error, TypeError) as err:
        raise ValueError("Could not unpack data") from err
    offset, end = 4, 4 + length
    if end > len(value):
        raise ValueError("Field table length exceeds available data")
    data: dict[str, Any] = {}
    while offset < end:
        key_length = value[offset]
        offset += 1
        if offset + key_length > end:
            raise ValueError("Field table key length exceeds data")
        key = value[offset : offset + key_length].decode("utf-8", errors="replace")
        offset += key_length
        consumed, data[key] = pamqp_decode.embedded_value(value[offset:])
        offset += consumed
    return end, data


def install() -> None:
    global _installed  # noqa: PLW0603 - one process-wide switch for a process-wide decoder
    if _installed:
        return
    pamqp_decode.METHODS["shortstr"] = _short_str
    pamqp_decode.METHODS["timestamp"] = _timestamp
    pamqp_decode.METHODS["table"] = _field_table
    pamqp_decode.TABLE_MAPPING[b"T"] = _timestamp
    pamqp_decode.TABLE_MAPPING[b"F"] = _field_table
    _installed = True
