"""Pure mapping of Acquired's login: ``POST /v1/login`` with app_id and app_key, a Bearer token back."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from contracts.names import ErrorCode
from service.providers.acquired import PROVIDER, wire
from service.providers.acquired.errors import parse_error
from service.providers.base import ProviderError, malformed_reply

DEFAULT_TOKEN_LIFETIME = 3600  # seconds; Acquired documents 1 h and sends it as ``expires_in``

_encoder = msgspec.json.Encoder()
_login_decoder = msgspec.json.Decoder(wire.LoginReply)


def login_body(app_id: str, app_key: str) -> bytes:
    return _encoder.encode(wire.LoginRequest(app_id=app_id, app_key=app_key))


def parse_login(status: int, body: bytes) -> tuple[str, int]:
    """(access_token, expires_in seconds) from a 2xx login reply."""
    try:
        reply = _login_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise malformed_reply(PROVIDER, status, "a login reply that is not a token") from None
    if not reply.access_token:
        raise malformed_reply(PROVIDER, status, "a login reply without access_token")
    if reply.token_type is not None and reply.token_type.lower() != "bearer":
        raise malformed_reply(PROVIDER, status, "a login reply whose token is not a Bearer token")
    expires_in = DEFAULT_TOKEN_LIFETIME if reply.expires_in is None else reply.expires_in
    return reply.access_token, expires_in


def parse_login_error(status: int, body: bytes, *, secrets: Iterable[str]) -> ProviderError:
    """A refused login is our configuration's fault: 400/401/403 (and a 404 from a wrong base_url) are all
    ``authentication_failed``, never retryable; 5xx stay retryable.

    Acquired's message is kept but scrubbed of ``secrets`` in case a reason echoes the key back.
    """
    error = parse_error(status, body)
    if error.code in (ErrorCode.VALIDATION_FAILED, ErrorCode.NOT_FOUND):
        error.code, error.retryable = ErrorCode.AUTHENTICATION_FAILED, False
    message = f"login failed: {error.message}"
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    error.message = message  # scrubbed again by ProviderError
    return error
