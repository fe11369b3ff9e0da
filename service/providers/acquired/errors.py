"""Acquired's error object as a ``ProviderError``. Never assumes a body parses: HTML maps by status."""

from __future__ import annotations

from typing import Any

import msgspec

from contracts.names import ErrorCode
from service.providers.acquired import wire
from service.providers.base import ProviderError, status_error

PROVIDER = "acquired"
MAX_MESSAGE = 500

_error_decoder = msgspec.json.Decoder(wire.ErrorReply)

# For an error object inside a 2xx (never seen, but unknown is never success): code by ``error_type``.
_BY_ERROR_TYPE: dict[str, ErrorCode] = {
    "validation": ErrorCode.VALIDATION_FAILED,
    "unauthorized": ErrorCode.AUTHENTICATION_FAILED,
    "forbidden": ErrorCode.AUTHENTICATION_FAILED,
    "not_found": ErrorCode.NOT_FOUND,
    "conflict": ErrorCode.CONFLICT,
}


def _decode(body: bytes) -> wire.ErrorReply | None:
    try:
        return _error_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def _first_invalid(parameters: list[Any] | None) -> tuple[str | None, str | None]:
    """(parameter, reason) of the first well-formed ``invalid_parameters`` item."""
    for item in parameters or []:
        if isinstance(item, dict) and isinstance(item.get("parameter"), str):
            reason = item.get("reason")
            return item["parameter"], reason if isinstance(reason, str) else None
    return None, None


def _message(reply: wire.ErrorReply, status: int) -> tuple[str, str | None]:
    field, reason = _first_invalid(reply.invalid_parameters)
    title = reply.title or f"{PROVIDER} answered {status}"
    if field is None:
        return title[:MAX_MESSAGE], None
    return f"{title} ({field}: {reason or 'invalid'})"[:MAX_MESSAGE], field


def parse_error(status: int, body: bytes) -> ProviderError:
    """Any non-2xx reply as a typed error; the HTTP status decides code and retryability."""
    reply = _decode(body)
    if reply is None or (reply.error_type is None and reply.title is None):
        return status_error(status, f"{PROVIDER} answered {status} without an Acquired error body")
    message, field = _message(reply, status)
    return status_error(status, message, provider_code=reply.error_type, field=field)


def error_in_success(status: int, body: bytes) -> ProviderError | None:
    """An Acquired error object (``"status": "error"``) inside a 2xx: never a success."""
    reply = _decode(body)
    if reply is None or reply.status != "error":
        return None
    message, field = _message(reply, status)
    code = _BY_ERROR_TYPE.get(reply.error_type or "", ErrorCode.PROVIDER_ERROR)
    return ProviderError(
        code, message, retryable=False, provider_status=status, provider_code=reply.error_type, field=field
    )
