"""Pure mapping between our commands and Worldline Connect's client-session JSON, and its error replies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import msgspec
from msgspec import UNSET, UnsetType

from contracts.commands import CreateWorldlineSession, PaymentProductFilter
from contracts.events import WorldlineSession
from contracts.names import ErrorCode
from service.providers.base import ProviderError, malformed_reply, status_error
from service.providers.worldline import wire

PROVIDER = "worldline"
SESSION_LIFETIME = timedelta(hours=2)  # Worldline documents the lifetime but sends no expiry field
IN_PROGRESS = "1409"  # a request with the same idempotence key is still running: retry later, same key
NO_SESSIONS_FOR_PRODUCT = "1426"  # CREATE_SESSION_NOT_AVAILABLE_FOR_PRODUCT

_encoder = msgspec.json.Encoder()
_session_decoder = msgspec.json.Decoder(wire.SessionReply)
_error_decoder = msgspec.json.Decoder(wire.ErrorReply)


def _product_filter(chosen: PaymentProductFilter | None) -> wire.ProductFilter | UnsetType:
    """Empty lists are left out, and so is a filter with nothing in it."""
    if chosen is None or not (chosen.groups or chosen.products):
        return UNSET
    return wire.ProductFilter(groups=chosen.groups or UNSET, products=chosen.products or UNSET)


def create_body(command: CreateWorldlineSession) -> bytes:
    options = command.options
    filters: wire.PaymentProductFilters | UnsetType = UNSET
    if options.payment_product_filters is not None:
        restrict_to = _product_filter(options.payment_product_filters.restrict_to)
        exclude = _product_filter(options.payment_product_filters.exclude)
        if restrict_to is not UNSET or exclude is not UNSET:
            filters = wire.PaymentProductFilters(restrict_to=restrict_to, exclude=exclude)
    body = wire.SessionRequest(payment_product_filters=filters, tokens=options.tokens or UNSET)
    return _encoder.encode(body)


def parse_session(status: int, body: bytes, now: datetime) -> WorldlineSession:
    """A 2xx reply (200 or 201: which one Worldline sends is unconfirmed) as a session."""
    try:
        reply = _session_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise malformed_reply(PROVIDER, status, "a body that is not a client session") from None
    if not reply.client_session_id or not reply.customer_id:
        raise malformed_reply(PROVIDER, status, "no clientSessionId or customerId")
    return WorldlineSession(
        id=reply.client_session_id,
        client_session_id=reply.client_session_id,
        customer_id=reply.customer_id,
        client_api_url=reply.client_api_url,
        asset_url=reply.asset_url,
        invalid_tokens=reply.invalid_tokens or [],
        region=reply.region,
        expires_at=now + SESSION_LIFETIME,
    )


def _redacted(text: str, values: Sequence[str]) -> str:
    for value in values:
        if value:
            text = text.replace(value, "***")
    return text


def parse_error(status: int, body: bytes, *, provider: str = PROVIDER, redact: Sequence[str] = ()) -> ProviderError:
    """Any non-2xx reply as a typed error. The body may be HTML from a CDN: never assume it parses.

    ``redact`` lists command values (payment tokens) that an echoed message must not carry into events.
    """
    try:
        reply = _error_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return status_error(status, f"{provider} answered {status} without a Worldline error body")
    first = reply.errors[0] if reply.errors else None
    code = str(first.code) if first is not None and first.code is not None else None
    message = (first.message if first is not None else None) or f"{provider} answered {status}"
    error = status_error(
        status,
        _redacted(message, redact)[:500],
        provider_code=code,
        field=first.property_name if first is not None else None,
        request_id=reply.error_id,
    )
    if status == 409 and code == IN_PROGRESS:
        error.code, error.retryable = ErrorCode.CONFLICT, True
    elif status == 404 and code == NO_SESSIONS_FOR_PRODUCT:
        error.code, error.retryable = ErrorCode.UNSUPPORTED, False
    return error
