"""Acquired's error object as a ``ProviderError``. Never assumes a body parses: HTML maps by status.

Acquired's errors (its "Handling errors" and "HTTP responses" pages) are ``{"status": "error", "error_type",
"title", "instance", "invalid_parameters": [{"parameter", "reason"}]}``. One documented example names the
item's text ``description`` instead of ``reason``: both are read. ``instance`` ("where the error occurred", a
problem-details occurrence reference) is the only reference Acquired gives back, so it becomes ``request_id``.
"""

from __future__ import annotations

from typing import Any

import msgspec

from contracts.names import ErrorCode
from service.providers.acquired import PROVIDER, wire
from service.providers.base import ProviderError, status_error

MAX_MESSAGE = 500
MAX_PARAMETERS = 5  # invalid parameters quoted in a message; the first one is also the error's field

_error_decoder = msgspec.json.Decoder(wire.ErrorReply)

# An error object inside a 2xx (never seen, but unknown is never success): code by ``error_type``, the values
# Acquired documents plus the ones its examples use (validation, not_found).
_BY_ERROR_TYPE: dict[str, tuple[ErrorCode, bool]] = {
    "validation": (ErrorCode.VALIDATION_FAILED, False),
    "bad_request": (ErrorCode.VALIDATION_FAILED, False),
    "unauthorized": (ErrorCode.AUTHENTICATION_FAILED, False),
    "forbidden": (ErrorCode.AUTHENTICATION_FAILED, False),
    "not_found": (ErrorCode.NOT_FOUND, False),
    "conflict": (ErrorCode.CONFLICT, False),
    "internal_server_error": (ErrorCode.PROVIDER_UNAVAILABLE, True),
}


def _decode(body: bytes) -> wire.ErrorReply | None:
    try:
        return _error_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def _text(item: dict[str, Any], key: str) -> str | None:
    value = item.get(key)
    return value if isinstance(value, str) and value else None


def invalid_parameters(parameters: list[Any] | None) -> list[tuple[str, str | None]]:
    """(parameter, reason) of every well-formed ``invalid_parameters`` item, in Acquired's order."""
    found: list[tuple[str, str | None]] = []
    for item in parameters or []:
        if isinstance(item, dict) and _text(item, "parameter") is not None:
            found.append((item["parameter"], _text(item, "reason") or _text(item, "description")))
    return found


def _message(reply: wire.ErrorReply, status: int) -> tuple[str, str | None]:
    parameters = invalid_parameters(reply.invalid_parameters)
    title = reply.title or f"{PROVIDER} answered {status}"
    if not parameters:
        return title[:MAX_MESSAGE], None
    quoted = "; ".join(f"{name}: {reason or 'invalid'}" for name, reason in parameters[:MAX_PARAMETERS])
    more = f"; {len(parameters) - MAX_PARAMETERS} more" if len(parameters) > MAX_PARAMETERS else ""
    return f"{title} ({quoted}{more})"[:MAX_MESSAGE], parameters[0][0]


def _is_error_object(reply: wire.ErrorReply | None) -> bool:
    return reply is not None and (reply.error_type is not None or reply.title is not None)


def parse_error(status: int, body: bytes) -> ProviderError:
    """Any non-2xx reply as a typed error; the HTTP status decides code and retryability."""
    reply = _decode(body)
    if reply is None or not _is_error_object(reply):
        return status_error(status, f"{PROVIDER} answered {status} without an Acquired error body")
    message, field = _message(reply, status)
    return status_error(status, message, provider_code=reply.error_type, field=field, request_id=reply.instance)


def error_in_success(status: int, body: bytes) -> ProviderError | None:
    """An Acquired error object (``"status": "error"``) inside a 2xx: never a success."""
    reply = _decode(body)
    if reply is None or reply.status != "error":
        return None
    message, field = _message(reply, status)
    code, retryable = _BY_ERROR_TYPE.get(reply.error_type or "", (ErrorCode.PROVIDER_ERROR, True))
    return ProviderError(
        code,
        message,
        retryable=retryable,
        provider_status=status,
        provider_code=reply.error_type,
        field=field,
        request_id=reply.instance,
    )
