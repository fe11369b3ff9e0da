"""MPGS's JSON shapes for the session resource, as its Create/Update Session references spell them.

``UNSET`` means "leave out": MPGS fields can be overwritten but never removed, so nothing is ever sent as ``null``.
"""

from __future__ import annotations

from typing import Any

from msgspec import UNSET, Struct, UnsetType


class _Body(Struct, kw_only=True, rename="camel", omit_defaults=True):
    """A request part: camelCase names, absent fields left out."""


class SessionFields(_Body):
    authentication_limit: int | UnsetType = UNSET  # 0-25 payer operations with the session id
    version: str | UnsetType = UNSET  # update only: optimistic locking, refused by MPGS on mismatch


class CreateRequest(_Body):
    """Body of ``POST …/session``; may be empty (``{}``)."""

    correlation_id: str | UnsetType = UNSET  # 1-100 characters, echoed back, not stored
    session: SessionFields | UnsetType = UNSET


class Order(_Body):
    amount: str | UnsetType = UNSET  # decimal major units as a string: "15.02", "100" (JPY), "1.234" (BHD)
    currency: str | UnsetType = UNSET  # upper-case ISO 4217
    id: str | UnsetType = UNSET
    reference: str | UnsetType = UNSET
    description: str | UnsetType = UNSET


class Customer(_Body):
    email: str | UnsetType = UNSET
    first_name: str | UnsetType = UNSET
    last_name: str | UnsetType = UNSET
    mobile_phone: str | UnsetType = UNSET


class Address(_Body):
    street: str | UnsetType = UNSET
    street2: str | UnsetType = UNSET
    city: str | UnsetType = UNSET
    postcode_zip: str | UnsetType = UNSET
    state_province: str | UnsetType = UNSET
    country: str | UnsetType = UNSET  # ISO 3166 alpha-3


class Located(_Body):
    """``billing`` and ``shipping``: each holds an ``address``."""

    address: Address


class UpdateRequest(_Body):
    """Body of ``PUT …/session/{id}``."""

    correlation_id: str | UnsetType = UNSET
    order: Order | UnsetType = UNSET
    customer: Customer | UnsetType = UNSET
    billing: Located | UnsetType = UNSET
    shipping: Located | UnsetType = UNSET
    session: SessionFields | UnsetType = UNSET


class SessionReply(Struct, kw_only=True, rename="camel"):
    id: str | None = None
    version: str | None = None
    aes256_key: str | None = None  # a server secret: only reaches an event when the account opts in
    authentication_limit: int | None = None
    update_status: str | None = None  # SUCCESS, FAILURE or NO_UPDATE


class ErrorDetail(Struct, kw_only=True, rename="camel"):
    """Typed loosely (``Any``): a field of a surprising type must not hide the others, ``supportCode`` above all."""

    cause: Any = None  # INVALID_REQUEST, REQUEST_REJECTED, SERVER_BUSY, SERVER_FAILED
    explanation: Any = None
    field: Any = None
    support_code: Any = None  # MPGS: returned for SERVER_FAILED and REQUEST_REJECTED
    validation_type: Any = None  # INVALID, MISSING or UNSUPPORTED


class Reply(Struct, kw_only=True, rename="camel"):
    """What we read from a 2xx. Create replies carry ``result``; Update replies do not (they carry ``merchant``,
    ``session``, the API ``version`` and the echoed fields). Everything else is ignored."""

    merchant: str | None = None
    result: str | None = None  # SUCCESS, FAILURE, PENDING, UNKNOWN (ERROR with ``error``)
    session: SessionReply | None = None
    error: ErrorDetail | None = None


class ErrorReply(Struct, kw_only=True):
    result: Any = None  # "ERROR"
    error: ErrorDetail
