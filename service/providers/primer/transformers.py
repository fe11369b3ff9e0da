"""Pure mapping between our commands and Primer's JSON. No I/O, testable from Primer's documented examples
(``tests/providers/primer/``)."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from msgspec import UNSET, UnsetType

from contracts.events import PrimerSession, PrimerWarning
from contracts.providers.primer import CreatePrimerSession, UpdatePrimerSession
from service.providers.base import malformed_reply
from service.providers.primer import PROVIDER, parts, wire

_encoder = msgspec.json.Encoder()
_reply_decoder = msgspec.json.Decoder(wire.ClientSessionReply)


def create_request(command: CreatePrimerSession) -> wire.ClientSessionRequest:
    """Every field the command gives; nothing it leaves out."""
    customer, options = command.customer, command.options
    return wire.ClientSessionRequest(
        order_id=parts.sent(command.order_id, patch=False),
        currency_code=parts.sent(command.currency, patch=False),
        amount=parts.sent(command.amount, patch=False),
        customer_id=UNSET if customer is None else parts.sent(customer.id, patch=False),
        customer=UNSET if customer is None else parts.customer(customer, patch=False),
        metadata=parts.sent(command.metadata, patch=False),
        order=parts.order(options, patch=False),
        payment_method=UNSET if options.payment_method is None else parts.payment_method(options.payment_method),
    )


def update_request(command: UpdatePrimerSession) -> wire.ClientSessionRequest:
    """``clientToken`` plus only what the command changes: ``UNSET`` is left out, ``None`` is sent as ``null``.
    A ``null`` customer clears the customer and its ``customerId``."""
    customer, options, method = command.customer, command.options, command.options.payment_method
    return wire.ClientSessionRequest(
        client_token=command.session_id,
        order_id=command.order_id,
        currency_code=command.currency,
        amount=command.amount,
        customer_id=customer if customer is None or customer is UNSET else customer.id,
        customer=parts.nested(customer, lambda c: parts.customer(c, patch=True), patch=True),
        metadata=command.metadata,
        order=parts.order(options, patch=True),
        payment_method=UNSET if isinstance(method, UnsetType) else parts.payment_method_change(method),
    )


def create_body(command: CreatePrimerSession) -> bytes:
    return _encoder.encode(create_request(command))


def update_body(command: UpdatePrimerSession) -> bytes:
    return _encoder.encode(update_request(command))


def _parse_expiry(text: str | None) -> datetime | None:
    """Primer's expiry is "UTC with no timezoneinfo" (its schema); an offset, when given, is honoured."""
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_session(status: int, body: bytes, *, previous_token: str | None = None) -> PrimerSession:
    """A 2xx reply as a session. POST answers ``clientToken`` and its expiry (``clientTokenExpirationDate`` in the
    schema, ``clientExpirationDate`` in the reference's example: either is read); PATCH answers the session without
    them (``ClientSessionAPIResponse``), so the token of the command stands and no expiry is known."""
    try:
        reply = _reply_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise malformed_reply(PROVIDER, status, "a body that is not a client session") from None
    token = reply.client_token or previous_token
    if not token:
        raise malformed_reply(PROVIDER, status, "no clientToken")
    return PrimerSession(
        id=token,
        client_token=token,
        expires_at=_parse_expiry(reply.client_token_expiration_date or reply.client_expiration_date),
        warnings=[PrimerWarning(type=w.type, code=w.code, message=w.message) for w in reply.warnings or []],
    )
