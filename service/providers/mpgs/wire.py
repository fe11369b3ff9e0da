"""MPGS's JSON shapes for the session resource. ``UNSET`` means "leave out": MPGS fields can be overwritten
but never removed, so nothing is ever sent as ``null``."""

from __future__ import annotations

from msgspec import UNSET, Struct, UnsetType


class SessionFields(Struct, kw_only=True, rename="camel", omit_defaults=True):
    authentication_limit: int | UnsetType = UNSET  # create only: 0-25 payer authentication attempts
    version: str | UnsetType = UNSET  # update only: optimistic locking, refused by MPGS on mismatch


class CreateRequest(Struct, kw_only=True, rename="camel", omit_defaults=True):
    """Body of ``POST …/session``; may be empty (``{}``)."""

    correlation_id: str | UnsetType = UNSET  # 1-100 characters, echoed back
    session: SessionFields | UnsetType = UNSET


class Order(Struct, kw_only=True, rename="camel", omit_defaults=True):
    amount: str | UnsetType = UNSET  # decimal major units as a string: "15.02", "100" (JPY), "1.234" (BHD)
    currency: str | UnsetType = UNSET  # upper-case ISO 4217
    id: str | UnsetType = UNSET
    reference: str | UnsetType = UNSET
    description: str | UnsetType = UNSET


class Customer(Struct, kw_only=True, rename="camel", omit_defaults=True):
    email: str | UnsetType = UNSET
    first_name: str | UnsetType = UNSET
    last_name: str | UnsetType = UNSET
    mobile_phone: str | UnsetType = UNSET


class UpdateRequest(Struct, kw_only=True, rename="camel", omit_defaults=True):
    """Body of ``PUT …/session/{id}``."""

    order: Order | UnsetType = UNSET
    customer: Customer | UnsetType = UNSET
    session: SessionFields | UnsetType = UNSET


class SessionReply(Struct, kw_only=True, rename="camel"):
    id: str | None = None
    version: str | None = None
    aes256_key: str | None = None  # a server secret: only reaches an event when the account opts in
    authentication_limit: int | None = None
    update_status: str | None = None  # SUCCESS, FAILURE or NO_UPDATE


class Reply(Struct, kw_only=True, rename="camel"):
    """The fields we read from a 2xx; MPGS echoes the stored order and customer too, which are ignored."""

    merchant: str | None = None
    result: str | None = None  # SUCCESS, FAILURE, PENDING or UNKNOWN
    session: SessionReply | None = None


class ErrorDetail(Struct, kw_only=True, rename="camel"):
    cause: str | None = None  # INVALID_REQUEST, REQUEST_REJECTED, SERVER_BUSY, SERVER_FAILED
    explanation: str | None = None
    field: str | None = None
    support_code: str | None = None
    validation_type: str | None = None  # INVALID, MISSING or UNSUPPORTED


class ErrorReply(Struct, kw_only=True):
    result: str | None = None  # "ERROR"
    error: ErrorDetail
