"""Constrained scalar types shared by commands and events.

The bounds keep hostile input small (S4) and the messages say which field broke them.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

CommandId = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=128,
        pattern=r"^[\x21-\x7e]+$",
        description="Idempotency key chosen by the publisher: printable ASCII, no spaces, at most 128.",
    ),
]
AccountName = Annotated[
    str,
    msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$", description="Merchant account name."),
]
OrderId = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
SessionId = Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]
Text = Annotated[str, msgspec.Meta(max_length=1024)]
ShortText = Annotated[str, msgspec.Meta(max_length=256)]
Url = Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]
MinorUnits = Annotated[
    int, msgspec.Meta(ge=0, le=10**15, description="Amount in the currency's minor units (cents; yen for JPY).")
]
Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$", description="Upper-case ISO 4217 alphabetic code.")]
CountryCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2.")]
MetadataValue = str | int | float | bool | None
Metadata = Annotated[dict[ShortText, MetadataValue], msgspec.Meta(max_length=50)]
