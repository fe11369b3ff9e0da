"""Mastercard Gateway (MPGS) sessions: ``provider = "mpgs"``.

Field names and bounds follow MPGS's REST "Create Session" and "Update Session" references and the examples in
``tests/providers/mpgs/``. A create is ``POST …/session`` (``correlationId``, ``session.authenticationLimit``)
followed by ``PUT …/session/{id}`` with the order, customer, billing and shipping when the command carries any;
an update is that ``PUT``. Every field reaches MPGS: ``order_id`` as ``order.id``, ``correlation_id`` as
``correlationId``, the customer as ``customer``/``billing.address``/``shipping.address`` (country in ISO 3166
alpha-3), ``options`` as ``order.reference``, ``order.description``, ``session.authenticationLimit`` and
``session.version``. MPGS has no ``metadata``: the types do not take it. MPGS has no payer id either, but
``customer.id`` stays in the type because the frozen v1 payloads carry it: a command that sets it is refused
(``invalid_command``, field ``customer.id``) before any request. The bounds are MPGS's own, so a value MPGS would
refuse is refused here, naming the field, before a session is made.

MPGS fields can be overwritten but never removed: no field takes ``null`` (a ``null`` would clear nothing), and
update fields default to ``UNSET`` (left out: unchanged).
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Struct, UnsetType

from contracts.command_base import CreateCommand, UpdateCommand
from contracts.types import Currency, MinorUnits, MpgsSessionId, ShortText

__all__ = [
    "CreateMpgsSession",
    "MpgsAddress",
    "MpgsCreateOptions",
    "MpgsCustomer",
    "MpgsUpdateOptions",
    "UpdateMpgsSession",
]


def _text(low: int, high: int, description: str, pattern: str | None = None) -> msgspec.Meta:
    return msgspec.Meta(min_length=low, max_length=high, pattern=pattern, description=description)


MpgsOrderId = Annotated[str, _text(1, 40, "Sent as MPGS `order.id` (1-40 characters).")]
MpgsCorrelationId = Annotated[
    str,
    _text(
        1,
        100,
        "Copied to the outcome event and sent as MPGS `correlationId` (printable ASCII, 1-100: MPGS's bound).",
        r"^[\x20-\x7e]+$(?!\n)",
    ),
]
AuthenticationLimit = Annotated[
    int, msgspec.Meta(ge=0, le=25, description="MPGS `session.authenticationLimit`: payer operations allowed.")
]
SessionVersion = Annotated[
    str, _text(10, 10, "MPGS `session.version` from the last reply: the update is refused if the session changed.")
]
OrderReference = Annotated[str, _text(1, 40, "MPGS `order.reference` (1-40 characters).")]
OrderDescription = Annotated[str, _text(1, 127, "MPGS `order.description` (1-127 characters).")]
Street = Annotated[str, _text(1, 100, "MPGS `address.street` / `street2` (1-100 characters).")]
City = Annotated[str, _text(1, 100, "MPGS `address.city` (1-100 characters).")]
PostcodeZip = Annotated[
    str, _text(1, 10, "MPGS `address.postcodeZip`: letters, digits, space and `-`, 1-10.", r"^[0-9A-Za-z -]+$(?!\n)")
]
StateProvince = Annotated[str, _text(1, 20, "MPGS `address.stateProvince` (1-20 characters).")]
CountryAlpha2 = Annotated[
    str, _text(2, 2, "ISO 3166-1 alpha-2; sent to MPGS as its alpha-3 code (`address.country`).", r"^[A-Z]{2}$(?!\n)")
]
Email = Annotated[str, _text(3, 256, "MPGS `customer.email` (3-256 characters).")]
PersonName = Annotated[str, _text(1, 50, "MPGS `customer.firstName` / `lastName` (1-50 characters).")]
Phone = Annotated[str, _text(1, 20, "MPGS `customer.mobilePhone` (1-20 characters).")]
PayerId = Annotated[
    ShortText,
    msgspec.Meta(
        description="MPGS sessions have no payer id: a command that sets it is refused (`invalid_command`, "
        "field `customer.id`) before any request. Kept only so that v1 payloads still decode."
    ),
]


class MpgsAddress(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``billing.address`` / ``shipping.address``; ``country_code`` is sent as its ISO 3166 alpha-3 code."""

    line1: Street | UnsetType = UNSET  # -> street
    line2: Street | UnsetType = UNSET  # -> street2
    city: City | UnsetType = UNSET
    postal_code: PostcodeZip | UnsetType = UNSET  # -> postcodeZip
    state: StateProvince | UnsetType = UNSET  # -> stateProvince
    country_code: CountryAlpha2 | UnsetType = UNSET  # -> country (alpha-3)


class MpgsCustomer(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``customer`` (email, names, phone), with the addresses sent as MPGS's ``billing`` and ``shipping``."""

    id: PayerId | UnsetType = UNSET  # refused when set: see PayerId
    email: Email | UnsetType = UNSET
    first_name: PersonName | UnsetType = UNSET  # -> firstName
    last_name: PersonName | UnsetType = UNSET  # -> lastName
    phone: Phone | UnsetType = UNSET  # -> mobilePhone
    billing_address: MpgsAddress | UnsetType = UNSET  # -> billing.address
    shipping_address: MpgsAddress | UnsetType = UNSET  # -> shipping.address


class MpgsCreateOptions(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    authentication_limit: AuthenticationLimit | None = None  # POST: session.authenticationLimit
    order_reference: OrderReference | None = None  # PUT: order.reference
    order_description: OrderDescription | None = None  # PUT: order.description


class MpgsUpdateOptions(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    order_reference: OrderReference | UnsetType = UNSET
    order_description: OrderDescription | UnsetType = UNSET
    authentication_limit: AuthenticationLimit | UnsetType = UNSET
    session_version: SessionVersion | UnsetType = UNSET  # optimistic locking


class CreateMpgsSession(CreateCommand, tag="mpgs", frozen=True, kw_only=True):
    order_id: MpgsOrderId | None = None  # narrowed to MPGS's order.id
    correlation_id: MpgsCorrelationId | None = None  # narrowed to MPGS's correlationId
    amount: MinorUnits | None = None
    currency: Currency | None = None
    customer: MpgsCustomer | None = None
    options: MpgsCreateOptions = msgspec.field(default_factory=MpgsCreateOptions)


class UpdateMpgsSession(UpdateCommand, tag="mpgs", frozen=True, kw_only=True):
    session_id: MpgsSessionId  # narrowed: it is a path segment of PUT …/session/{id}
    order_id: MpgsOrderId | UnsetType = UNSET
    correlation_id: MpgsCorrelationId | None = None
    amount: MinorUnits | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    customer: MpgsCustomer | UnsetType = UNSET
    options: MpgsUpdateOptions = msgspec.field(default_factory=MpgsUpdateOptions)
