"""Pure mapping between our commands and Worldline's JSON: client sessions (``POST /v1/{merchantId}/sessions``)
and Apple Pay merchant sessions (``POST …/products/302/sessions``, server and client API alike). No I/O.

What is not sent, on purpose: the envelope's ``order_id`` and ``correlation_id`` (Worldline's requests have no
field for them; they are copied to events), empty filter lists (they filter nothing), and the Apple Pay client
API ids, which go into the URL and the ``Authorization`` header (``client_api``), not the body.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import msgspec
from msgspec import UNSET, UnsetType

from contracts.events import ApplePaySession, WorldlineSession
from contracts.providers.applepay import ApplePayCreateOptions
from contracts.providers.worldline import CreateWorldlineSession, PaymentProductFilter, PaymentProductFilters
from service.providers.base import malformed_reply
from service.providers.worldline import APPLE_PAY, WORLDLINE, wire
from service.providers.worldline.errors import parse_error

__all__ = [  # parse_error lives in ``errors`` and is re-exported: the adapter needs only this module
    "APPLE_PAY_PRODUCT",
    "APPLE_PAY_SESSION_LIFETIME",
    "SESSION_LIFETIME",
    "applepay_body",
    "create_body",
    "merchant_session_id",
    "parse_applepay_session",
    "parse_error",
    "parse_session",
]

SESSION_LIFETIME = timedelta(hours=2)  # Worldline documents the lifetime but sends no expiry field
APPLE_PAY_PRODUCT = 302
APPLE_PAY_SESSION_LIFETIME = timedelta(minutes=5)  # Apple: a merchant session is single use and lives 5 minutes

_encoder = msgspec.json.Encoder()
_session_decoder = msgspec.json.Decoder(wire.SessionReply)
_applepay_decoder = msgspec.json.Decoder(wire.ApplePaySessionReply)
_apple_decoder = msgspec.json.Decoder(wire.AppleMerchantSession)


def _product_filter(chosen: PaymentProductFilter | None) -> wire.ProductFilter | UnsetType:
    """Empty lists are left out, and so is a filter with nothing in it."""
    if chosen is None or not (chosen.groups or chosen.products):
        return UNSET
    return wire.ProductFilter(groups=chosen.groups or UNSET, products=chosen.products or UNSET)


def _filters(chosen: PaymentProductFilters | None) -> wire.PaymentProductFilters | UnsetType:
    if chosen is None:
        return UNSET
    restrict_to, exclude = _product_filter(chosen.restrict_to), _product_filter(chosen.exclude)
    if restrict_to is UNSET and exclude is UNSET:
        return UNSET
    return wire.PaymentProductFilters(restrict_to=restrict_to, exclude=exclude)


def create_body(command: CreateWorldlineSession) -> bytes:
    """The ``SessionRequest``: every option of the command, nothing else (``{}`` when it has none)."""
    options = command.options
    body = wire.SessionRequest(
        payment_product_filters=_filters(options.payment_product_filters),
        tokens=options.tokens or UNSET,
    )
    return _encoder.encode(body)


def parse_session(status: int, body: bytes, now: datetime) -> WorldlineSession:
    """A 2xx reply (201 in the reference; accept any 2xx) as a session."""
    try:
        reply = _session_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise malformed_reply(WORLDLINE, status, "a body that is not a client session") from None
    if not reply.client_session_id or not reply.customer_id:
        raise malformed_reply(WORLDLINE, status, "no clientSessionId or customerId")
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


def applepay_body(options: ApplePayCreateOptions, validation_url: str) -> bytes:
    """``validation_url`` is the checked URL (``urls.check_validation_url``), not the raw option."""
    specific = wire.ApplePayInput(
        display_name=UNSET if options.display_name is None else options.display_name,
        domain_name=options.domain_name,
        validation_url=validation_url,
    )
    return _encoder.encode(wire.ApplePaySessionRequest(specific_input=specific))


def merchant_session_id(session_object: str) -> str:
    """Apple's ``merchantSessionIdentifier`` when the object is JSON holding one, else a digest of it."""
    try:
        identifier = _apple_decoder.decode(session_object).merchant_session_identifier
    except (msgspec.DecodeError, msgspec.ValidationError):
        identifier = None
    return identifier or hashlib.sha256(session_object.encode("utf-8")).hexdigest()[:32]


def parse_applepay_session(status: int, body: bytes, now: datetime) -> ApplePaySession:
    """A 2xx reply (200 in the reference) as the merchant session; no ``sessionObject`` is never success."""
    try:
        reply = _applepay_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise malformed_reply(APPLE_PAY, status, "a body that is not an Apple Pay session") from None
    output = reply.specific_output
    if output is None or not output.session_object:
        raise malformed_reply(APPLE_PAY, status, "no sessionObject")
    return ApplePaySession(
        id=merchant_session_id(output.session_object),
        session_object=output.session_object,
        expires_at=now + APPLE_PAY_SESSION_LIFETIME,
    )
