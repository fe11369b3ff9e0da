"""Constrained scalar types shared by commands and events.

The bounds keep hostile input small (S4) and the messages say which field broke them.

Every pattern ends in ``$(?!\\n)`` rather than ``$``: msgspec matches
with Python's ``re``, whose ``$`` also matches before a final newline, while JSON Schema validators use
ECMAScript's, whose ``$`` does not; with the lookahead both refuse ``"abc\\n"``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from contracts.currencies import CurrencyCode

CommandId = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=128,
        pattern=r"^[\x21-\x7e]+$(?!\n)",
        description="Idempotency key chosen by the publisher: printable ASCII, no spaces, at most 128.",
    ),
]
AccountName = Annotated[
    str,
    msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$(?!\n)", description="Merchant account name."),
]
OrderId = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
SessionId = Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]
Text = Annotated[str, msgspec.Meta(max_length=1024)]
ShortText = Annotated[str, msgspec.Meta(max_length=256)]
Url = Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]
MinorUnits = Annotated[
    int, msgspec.Meta(ge=0, le=10**15, description="Amount in the currency's minor units (cents; yen for JPY).")
]
Currency = Annotated[
    CurrencyCode,
    msgspec.Meta(
        description="Upper-case ISO 4217 code of an active currency with a minor unit (contracts/currencies.py)."
    ),
]
CountryCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$(?!\n)", description="ISO 3166-1 alpha-2.")]

# The max-age check compares issued_at with an aware clock: a time without an offset cannot be placed, so it is
# refused (tz=True). JSON Schema's "date-time" format already requires the offset, but validators assert formats
# only on request, so the pattern says it too (msgspec reads "Z", "z", "+hh:mm" and "+hhmm").
IssuedAt = Annotated[
    datetime,
    msgspec.Meta(
        tz=True,
        description="RFC 3339 time with an offset (`Z` or `+hh:mm`), when the publisher issued the command.",
        extra_json_schema={"pattern": r"(?:[Zz]|[+-][0-9]{2}:?[0-9]{2})$(?!\n)"},
    ),
]

# correlation_id becomes the AMQP correlation_id property of the outcome event, a short string of at most 255
# *bytes*. msgspec and JSON Schema count characters, not bytes, so the alphabet is printable ASCII (one byte a
# character) and the length 255: the bound is then exact in both, and a refusal names `correlation_id` like any
# other. (A byte count in a Struct __post_init__ would be reported at the command, not at the field, and could
# not be written in the JSON Schema.)
CorrelationId = Annotated[
    str,
    msgspec.Meta(
        max_length=255,
        pattern=r"^[\x20-\x7e]*$(?!\n)",
        description="Copied to the outcome event and its AMQP correlation_id: printable ASCII, at most 255.",
    ),
]

# Provider ids that the adapters put into URL paths (S9): each is narrowed to its provider's alphabet, so `.`,
# `..`, `/`, `%`-encoded forms and spaces never reach a path.
MpgsSessionId = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9]+$(?!\n)",
        description="MPGS session id (`session.id` of session.created): ASCII letters and digits.",
    ),
]
AcquiredSessionId = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=64,
        pattern=r"^[0-9A-Fa-f-]+$(?!\n)",
        description="Acquired session id (`session.id` of session.created), a UUID: hex digits and `-`.",
    ),
]
WorldlineId = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9_-]+$(?!\n)",
        description="An id from a prior Worldline session (session.created): ASCII letters, digits, `-`, `_`.",
    ),
]

# Metadata is sent to Primer (the only provider that takes it; it echoes it back with the session), whose API
# reference sets no limits; these are the usual ones: at most 50 entries, keys of at most 100 characters, string
# values of at most 500.
MetadataKey = Annotated[str, msgspec.Meta(max_length=100)]
MetadataValue = Annotated[str, msgspec.Meta(max_length=500)] | int | float | bool | None
Metadata = Annotated[dict[MetadataKey, MetadataValue], msgspec.Meta(max_length=50)]
