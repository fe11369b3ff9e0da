"""Worldline error replies as ``ProviderError``: pure, and never assuming the body parses (CDN pages, garbage).

Every 4xx and 5xx of the server API, the client API and the Apple Pay session endpoints carries the same
``ErrorResponse``: ``{"errorId", "errors": [{"category", "code", "httpStatusCode", "id", "message",
"propertyName", "requestId"}]}`` (any key of an item may be missing). ``errorId`` is what Worldline's support
asks for: it becomes ``ProviderError.request_id`` (``error.provider_reference`` in ``session.failed``).
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from contracts.names import ErrorCode
from service.providers.base import ProviderError, status_error
from service.providers.worldline import WORLDLINE, wire

IN_PROGRESS = "1409"  # a request with the same idempotence key is still running: retry later, same key
NO_SESSIONS_FOR_PRODUCT = "1426"  # CREATE_SESSION_NOT_AVAILABLE_FOR_PRODUCT (not in the public corpus)
MAX_MESSAGE = 500

_error_decoder = msgspec.json.Decoder(wire.ErrorReply)


def _redacted(text: str, values: Sequence[str]) -> str:
    for value in values:
        if value:
            text = text.replace(value, "***")
    return text


def _text(value: str | int | None) -> str | None:
    return None if value is None or value == "" else str(value)


def _refine(error: ProviderError, status: int, code: str | None) -> ProviderError:
    """1409 (still running) is retried with the same key; 1426 (no sessions for that product) is final."""
    if status == 409 and code == IN_PROGRESS:
        error.code, error.retryable = ErrorCode.CONFLICT, True
    elif status == 404 and code == NO_SESSIONS_FOR_PRODUCT:
        error.code, error.retryable = ErrorCode.UNSUPPORTED, False
    return error


def parse_error(status: int, body: bytes, *, provider: str = WORLDLINE, redact: Sequence[str] = ()) -> ProviderError:
    """Any non-2xx reply as a typed error, classified by status (the SDK's ``ERROR_MAP``, 401 like 403) and
    refined by the first error's code. ``redact`` lists command values (payment tokens) an echoed message
    must not carry into events."""
    try:
        reply = _error_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return status_error(status, f"{provider} answered {status} without a Worldline error body")
    first = reply.errors[0] if reply.errors else None
    code = _text(first.code) if first is not None else None
    message = (first.message if first is not None else None) or f"{provider} answered {status}"
    error = status_error(
        status,
        _redacted(message, redact)[:MAX_MESSAGE],
        provider_code=code,
        field=first.property_name if first is not None else None,
        request_id=_text(reply.error_id),
    )
    return _refine(error, status, code)
