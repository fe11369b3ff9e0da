"""Pure mapping between our commands and MPGS's session JSON. No I/O, testable from recorded bodies.

Every field of the MPGS command types reaches a request body, or the command is refused as ``invalid_command``
naming the field before any call (``tests/unit/test_mpgs_no_silent_drop.py`` proves it).

Replies (``tests/providers/mpgs/``): Create Session answers ``result`` SUCCESS with ``session.updateStatus``
NO_UPDATE; Update Session answers *without* ``result`` (``merchant``, ``session {id, updateStatus, version}``, the
API ``version`` and the echoed fields), so there ``session.updateStatus`` SUCCESS is the success. Unknown is never
success: a FAILURE is a refusal, anything else unrecognised a retryable ``provider_error``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
from msgspec import UNSET, UnsetType

from contracts.events import MpgsSession
from contracts.names import ErrorCode
from contracts.providers.mpgs import CreateMpgsSession, UpdateMpgsSession
from service.money import to_decimal_string
from service.providers.base import ProviderError, malformed_reply
from service.providers.mpgs import PROVIDER, payer, wire
from service.providers.mpgs.errors import error_in_reply, parse_error

__all__ = [  # parse_error lives in ``errors`` and is re-exported: the adapter needs only this module
    "PROVIDER",
    "SESSION_LIFETIME",
    "create_body",
    "create_order_body",
    "merge_created",
    "merge_updated",
    "parse_error",
    "parse_session",
    "update_body",
]

# MPGS gives no expiry field; its documentation says a session lives "usually about 15 min". expires_at is
# therefore an estimate from the time we saw the reply, not a value the gateway promised.
SESSION_LIFETIME = timedelta(minutes=15)

_encoder = msgspec.json.Encoder()
_reply_decoder = msgspec.json.Decoder(wire.Reply)


def _amount(amount: int | UnsetType | None, currency: str | UnsetType | None) -> str | UnsetType:
    """MPGS's decimal string by the currency's exponent; an amount means nothing without its currency."""
    if not isinstance(amount, int):
        return UNSET
    if not isinstance(currency, str):
        raise ProviderError(ErrorCode.INVALID_COMMAND, "amount needs a currency", retryable=False, field="currency")
    return to_decimal_string(amount, currency)


def _some(value: str | UnsetType | None) -> str | UnsetType:
    return value if isinstance(value, str) else UNSET


def _order(
    command: CreateMpgsSession | UpdateMpgsSession,
    reference: str | UnsetType | None,
    description: str | UnsetType | None,
) -> wire.Order | UnsetType:
    body = wire.Order(
        amount=_amount(command.amount, command.currency),
        currency=_some(command.currency),
        id=_some(command.order_id),
        reference=_some(reference),
        description=_some(description),
    )
    return UNSET if body == wire.Order() else body


def _session_fields(limit: int | UnsetType | None, version: str | UnsetType = UNSET) -> wire.SessionFields | UnsetType:
    body = wire.SessionFields(authentication_limit=limit if isinstance(limit, int) else UNSET, version=version)
    return UNSET if body == wire.SessionFields() else body


def _put_body(
    command: CreateMpgsSession | UpdateMpgsSession,
    reference: str | UnsetType | None,
    description: str | UnsetType | None,
    session: wire.SessionFields | UnsetType = UNSET,
) -> wire.UpdateRequest:
    payer.check_customer(command.customer)
    return wire.UpdateRequest(
        correlation_id=_some(command.correlation_id),
        order=_order(command, reference, description),
        customer=payer.customer_body(command.customer),
        billing=payer.billing_body(command.customer),
        shipping=payer.shipping_body(command.customer),
        session=session,
    )


def create_body(command: CreateMpgsSession) -> bytes:
    """``POST …/session``: ``correlationId`` and ``session.authenticationLimit``; may be ``{}``."""
    body = wire.CreateRequest(
        correlation_id=_some(command.correlation_id),
        session=_session_fields(command.options.authentication_limit),
    )
    return _encoder.encode(body)


def create_order_body(command: CreateMpgsSession) -> bytes | None:
    """The ``PUT`` that follows a create so the new session holds the order, customer and addresses; None when
    the command carries none of them. Refuses what MPGS cannot take, so call it before the ``POST``."""
    options = command.options
    body = _put_body(command, options.order_reference, options.order_description)
    if msgspec.structs.replace(body, correlation_id=UNSET) == wire.UpdateRequest():
        return None
    return _encoder.encode(body)


def update_body(command: UpdateMpgsSession) -> bytes:
    """``PUT …/session/{id}``: only what the command carries; ``session.version`` when given (optimistic lock)."""
    options = command.options
    session = _session_fields(options.authentication_limit, options.session_version)
    return _encoder.encode(_put_body(command, options.order_reference, options.order_description, session))


def _not_success(status: int, what: str, value: str) -> ProviderError:
    """A 2xx saying something other than success. FAILURE is final; anything else unknown may clear on a retry."""
    failed = value == "FAILURE"
    return ProviderError(
        ErrorCode.VALIDATION_FAILED if failed else ErrorCode.PROVIDER_ERROR,
        f"mpgs answered {status} with {what} {value}",
        retryable=not failed,
        provider_status=status,
        provider_code=value,
    )


def _check_outcome(status: int, result: str | None, update_status: str | None) -> None:
    """``result`` when there is one (Create), else ``session.updateStatus`` (Update); unknown is never success."""
    update_status = (update_status or "")[:40]
    if result is not None:
        if result != "SUCCESS":
            raise _not_success(status, "result", result[:40])
        if update_status in ("", "SUCCESS", "NO_UPDATE"):  # an explicit SUCCESS needs no updateStatus
            return
    elif update_status == "SUCCESS":
        return
    raise _not_success(status, "session updateStatus", update_status or "(none)")


def parse_session(status: int, body: bytes, *, now: datetime, include_aes256_key: bool) -> MpgsSession:
    """A 2xx reply as a session. ``aes256Key`` is dropped unless the account opts in; no message ever holds it."""
    try:
        reply = _reply_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise malformed_reply(PROVIDER, status, "a body that is not a session") from None
    error = error_in_reply(status, reply.error)
    if error is not None:
        raise error
    session = reply.session
    if session is None or not session.id:
        raise malformed_reply(PROVIDER, status, "no session.id")
    _check_outcome(status, reply.result, session.update_status)
    return MpgsSession(
        id=session.id,
        expires_at=now + SESSION_LIFETIME,  # an estimate: see SESSION_LIFETIME
        version=session.version,
        update_status=session.update_status,
        authentication_limit=session.authentication_limit,
        aes256_key=session.aes256_key if include_aes256_key else None,
    )


def merge_created(created: MpgsSession, updated: MpgsSession) -> MpgsSession:
    """The session after create + PUT: the PUT's view, with what its reply does not echo from the create
    (Update Session replies carry only ``id``, ``updateStatus`` and ``version`` of the session)."""
    return msgspec.structs.replace(
        updated,
        authentication_limit=updated.authentication_limit
        if updated.authentication_limit is not None
        else created.authentication_limit,
        aes256_key=updated.aes256_key if updated.aes256_key is not None else created.aes256_key,
    )


def merge_updated(command: UpdateMpgsSession, updated: MpgsSession) -> MpgsSession:
    """An update's session: Update Session replies do not echo ``authenticationLimit``; when the command set it
    and MPGS answered SUCCESS, the session holds the value sent."""
    limit = command.options.authentication_limit
    if updated.authentication_limit is not None or not isinstance(limit, int):
        return updated
    return msgspec.structs.replace(updated, authentication_limit=limit)
