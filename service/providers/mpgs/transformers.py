"""Pure mapping between our commands and MPGS's session JSON. No I/O, testable from recorded bodies."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
from msgspec import UNSET, UnsetType

from contracts.commands import CreateMpgsSession, Customer, UpdateMpgsSession
from contracts.events import MpgsSession
from contracts.names import ErrorCode
from service.money import to_decimal_string
from service.providers.base import ProviderError, malformed_reply
from service.providers.mpgs import wire
from service.providers.mpgs.errors import PROVIDER, parse_error

__all__ = [  # parse_error lives in ``errors`` and is re-exported: the adapter needs only this module
    "PROVIDER",
    "SESSION_LIFETIME",
    "check_amount",
    "create_body",
    "create_order_body",
    "merge_created",
    "parse_error",
    "parse_session",
    "update_body",
]

# MPGS gives no expiry field; its documentation says a session lives "usually about 15 min". expires_at is
# therefore an estimate from the time we saw the reply, not a value the gateway promised.
SESSION_LIFETIME = timedelta(minutes=15)
CORRELATION_ID_MAX = 100

_encoder = msgspec.json.Encoder()
_reply_decoder = msgspec.json.Decoder(wire.Reply)


def _text(value: str | UnsetType | None) -> str | UnsetType:
    """Absent, ``None`` and empty all mean "leave out": MPGS refuses empty strings and never removes a field."""
    return value if isinstance(value, str) and value else UNSET


def check_amount(amount: int | UnsetType | None, currency: str | UnsetType | None) -> None:
    """An amount means nothing without its currency: refuse the command before any call."""
    if isinstance(amount, int) and not isinstance(currency, str):
        raise ProviderError(
            ErrorCode.INVALID_COMMAND,
            "amount needs a currency",
            retryable=False,
            field="currency",
        )


def _customer(customer: Customer | UnsetType | None) -> wire.Customer | UnsetType:
    # Left out on purpose: ``customer.id`` (MPGS sessions have no payer id field) and the addresses (MPGS wants
    # ISO 3166 alpha-3 countries, our commands carry alpha-2; sending them would need a country table).
    # MPGS documents both ``customer.phone`` and ``customer.mobilePhone``; we send ``mobilePhone`` (the number
    # a payer types at checkout, also used for 3-D Secure), as the Primer adapter sends ``mobileNumber``.
    if not isinstance(customer, Customer):
        return UNSET
    body = wire.Customer(
        email=_text(customer.email),
        first_name=_text(customer.first_name),
        last_name=_text(customer.last_name),
        mobile_phone=_text(customer.phone),
    )
    return UNSET if body == wire.Customer() else body


def _order(
    order_id: str | UnsetType | None,
    amount: int | UnsetType | None,
    currency: str | UnsetType | None,
    reference: str | None = None,
    description: str | None = None,
) -> wire.Order | UnsetType:
    check_amount(amount, currency)
    body = wire.Order(
        amount=to_decimal_string(amount, currency) if isinstance(amount, int) and isinstance(currency, str) else UNSET,
        currency=_text(currency),
        id=_text(order_id),
        reference=_text(reference),
        description=_text(description),
    )
    return UNSET if body == wire.Order() else body


def create_body(command: CreateMpgsSession) -> bytes:
    """``POST …/session``: the order id doubles as ``correlationId`` when it fits MPGS's 1-100 characters."""
    check_amount(command.amount, command.currency)
    order_id = command.order_id
    limit = command.options.authentication_limit
    body = wire.CreateRequest(
        correlation_id=order_id if order_id and len(order_id) <= CORRELATION_ID_MAX else UNSET,
        session=UNSET if limit is None else wire.SessionFields(authentication_limit=limit),
    )
    return _encoder.encode(body)


def create_order_body(command: CreateMpgsSession) -> bytes | None:
    """The ``PUT`` that follows a create so the new session holds the order; None when there is nothing to put."""
    body = wire.UpdateRequest(
        order=_order(command.order_id, command.amount, command.currency),
        customer=_customer(command.customer),
    )
    return None if body == wire.UpdateRequest() else _encoder.encode(body)


def update_body(command: UpdateMpgsSession) -> bytes:
    """``PUT …/session/{id}``: only what the command carries; ``session.version`` when given (optimistic lock)."""
    options = command.options
    body = wire.UpdateRequest(
        order=_order(
            command.order_id,
            command.amount,
            command.currency,
            options.order_reference,
            options.order_description,
        ),
        customer=_customer(command.customer),
        session=UNSET if not options.session_version else wire.SessionFields(version=options.session_version),
    )
    return _encoder.encode(body)


def _refused(status: int, result: str) -> ProviderError:
    """A 2xx whose ``result`` is not SUCCESS. FAILURE is final; PENDING, UNKNOWN or anything new may clear."""
    if result == "FAILURE":
        code, retryable = ErrorCode.VALIDATION_FAILED, False
    else:
        code, retryable = ErrorCode.PROVIDER_ERROR, True
    return ProviderError(
        code,
        f"mpgs answered {status} with result {result}",
        retryable=retryable,
        provider_status=status,
        provider_code=result,
    )


_UPDATE_STATUSES = frozenset({"SUCCESS", "NO_UPDATE"})


def _check_update_status(status: int, update_status: str | None) -> None:
    if update_status is None or update_status in _UPDATE_STATUSES:
        return
    failed = update_status == "FAILURE"
    raise ProviderError(
        ErrorCode.VALIDATION_FAILED if failed else ErrorCode.PROVIDER_ERROR,
        f"mpgs answered {status} with session updateStatus {update_status[:40]}",
        retryable=not failed,
        provider_status=status,
        provider_code=update_status[:40],
    )


def parse_session(
    status: int,
    body: bytes,
    *,
    now: datetime,
    include_aes256_key: bool,
    result_required: bool = True,
) -> MpgsSession:
    """A 2xx reply as a session. ``aes256Key`` is dropped unless the account opts in; no message ever holds it.

    ``result_required=False`` is for Retrieve Session, whose reply may carry no ``result`` (unconfirmed):
    there a missing ``result`` is accepted, any other value than SUCCESS still is not.
    """
    try:
        reply = _reply_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise malformed_reply(PROVIDER, status, "a body that is not a session") from None
    if reply.result is None and result_required:
        raise malformed_reply(PROVIDER, status, "no result")
    if reply.result is not None and reply.result != "SUCCESS":
        raise _refused(status, reply.result[:40])
    session = reply.session
    if session is None or not session.id:
        raise malformed_reply(PROVIDER, status, "no session.id")
    _check_update_status(status, session.update_status)
    return MpgsSession(
        id=session.id,
        expires_at=now + SESSION_LIFETIME,  # an estimate: see SESSION_LIFETIME
        version=session.version,
        update_status=session.update_status,
        authentication_limit=session.authentication_limit,
        aes256_key=session.aes256_key if include_aes256_key else None,
    )


def merge_created(created: MpgsSession, updated: MpgsSession) -> MpgsSession:
    """The session after create + order PUT: the PUT's view, with what its reply may not echo from the create."""
    return msgspec.structs.replace(
        updated,
        authentication_limit=updated.authentication_limit
        if updated.authentication_limit is not None
        else created.authentication_limit,
        aes256_key=updated.aes256_key if updated.aes256_key is not None else created.aes256_key,
    )
