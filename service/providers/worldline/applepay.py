"""Pure mapping for Apple Pay merchant validation through Worldline (payment product 302)."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

import msgspec
from msgspec import Struct

from contracts.commands import ApplePayCreateOptions
from contracts.events import ApplePaySession
from contracts.names import ErrorCode
from service.providers.base import ProviderError, malformed_reply
from service.providers.paths import segment
from service.providers.worldline import wire
from service.providers.worldline.urls import check_client_api_url

PROVIDER = "worldline-applepay"
APPLE_PAY_PRODUCT = "302"
SESSION_LIFETIME = timedelta(minutes=5)  # Apple: a merchant session is single use and lives 5 minutes
_TOKEN = re.compile(r"[\x21-\x7e]{1,256}")  # printable ASCII: the client session id goes into a header
CUSTOMER_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")  # Worldline customer ids ("1234-a6601884..."): a path segment

_encoder = msgspec.json.Encoder()
_reply_decoder = msgspec.json.Decoder(wire.ApplePaySessionReply)
_apple_decoder = msgspec.json.Decoder(wire.AppleMerchantSession)


class ClientApiTarget(Struct, frozen=True, kw_only=True):
    """Where and how to call the client API: a prior Worldline session's URL and credentials."""

    url: str
    authorization: str


def create_body(options: ApplePayCreateOptions, validation_url: str) -> bytes:
    """``validation_url`` is the checked URL (``urls.check_validation_url``), not the raw option."""
    specific = wire.ApplePayInput(
        display_name=options.display_name, domain_name=options.domain_name, validation_url=validation_url
    )
    return _encoder.encode(wire.ApplePaySessionRequest(specific_input=specific))


def client_api_target(options: ApplePayCreateOptions, base_url: str) -> ClientApiTarget | None:
    """The client API call when the command names a prior session (all three ids), else None (server API)."""
    if options.client_session_id is None or options.customer_id is None or options.client_api_url is None:
        return None
    if not _TOKEN.fullmatch(options.client_session_id):  # fullmatch: "$" would let a final newline through
        raise ProviderError(
            ErrorCode.INVALID_COMMAND,
            "options.client_session_id must be printable ASCII without spaces",
            retryable=False,
            field="options.client_session_id",
        )
    customer = segment(options.customer_id, "options.customer_id", CUSTOMER_ID, provider="worldline")
    client_api_url = check_client_api_url(options.client_api_url, base_url)
    path = f"/v1/{customer}/products/{APPLE_PAY_PRODUCT}/sessions"
    return ClientApiTarget(url=client_api_url + path, authorization=f"GCS v1Client:{options.client_session_id}")


def session_id(session_object: str) -> str:
    """Apple's ``merchantSessionIdentifier`` when the object is JSON holding one, else a digest of it."""
    try:
        identifier = _apple_decoder.decode(session_object).merchant_session_identifier
    except (msgspec.DecodeError, msgspec.ValidationError):
        identifier = None
    return identifier or hashlib.sha256(session_object.encode("utf-8")).hexdigest()[:32]


def parse_session(status: int, body: bytes, now: datetime) -> ApplePaySession:
    try:
        reply = _reply_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise malformed_reply(PROVIDER, status, "a body that is not an Apple Pay session") from None
    output = reply.specific_output
    if output is None or not output.session_object:
        raise malformed_reply(PROVIDER, status, "no sessionObject")
    return ApplePaySession(
        id=session_id(output.session_object),
        session_object=output.session_object,
        expires_at=now + SESSION_LIFETIME,
    )
