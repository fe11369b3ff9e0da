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
from contracts.names import PROVIDERS, ErrorCode

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

# What msgspec reads as a datetime: `T`, `t` or a space between date and time, seconds 00-59 (no leap second),
# any fraction, and `Z`, `z`, `+hh:mm` or `+hhmm`. JSON Schema's "date-time" format (RFC 3339) is asserted only on
# request (Ajv with ajv-formats, jsonschema with a format checker), so the schemas carry this pattern as well: a
# validator that ignores formats still refuses "yesterday". A validator asserting RFC 3339 to the letter (Python's
# jsonschema with rfc3339-validator) refuses the space and `+hhmm`, which msgspec and Ajv's "date-time" take:
# publishers keep to RFC 3339.
DATE_TIME_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-5][0-9](?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:?[0-9]{2})$(?!\n)"
)

# The max-age check compares issued_at with an aware clock: a time without an offset cannot be placed, so it is
# refused (tz=True), as it is by the "date-time" format and the pattern.
IssuedAt = Annotated[
    datetime,
    msgspec.Meta(
        tz=True,
        description="RFC 3339 time with an offset (`Z` or `+hh:mm`), when the publisher issued the command.",
        extra_json_schema={"pattern": DATE_TIME_PATTERN},
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

# Events: the service writes every time in UTC and every event id as a UUID. The formats and patterns are for the
# JSON Schemas only (extra_json_schema): the Structs stay as lenient to decode as VERSIONING.md promises consumers.
EventTime = Annotated[
    datetime,
    msgspec.Meta(
        description="RFC 3339 time with an offset (the service's clock writes UTC, `Z`).",
        extra_json_schema={"format": "date-time", "pattern": DATE_TIME_PATTERN},
    ),
]
EventId = Annotated[
    str,
    msgspec.Meta(
        description="A UUID, the same for a redelivered command's outcome: deduplicate on it.",
        extra_json_schema={
            "format": "uuid",
            "pattern": r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$(?!\n)",
        },
    ),
]
# Open vocabularies (VERSIONING.md): a later minor version may add a provider or an error code.
ProviderTag = Annotated[
    str,
    msgspec.Meta(
        description=f"The command's `provider` ({', '.join(f'`{p}`' for p in PROVIDERS)}). Treat another value as "
        "opaque: a later minor version may add a provider, and `session.failed` for an invalid command echoes "
        "what the command carried."
    ),
]
ErrorCodeText = Annotated[
    str,
    msgspec.Meta(
        description=f"One of {', '.join(f'`{c.value}`' for c in ErrorCode)}; the vocabulary may grow: treat an "
        "unknown code as a plain failure (see `retryable`)."
    ),
]
