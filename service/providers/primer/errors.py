"""Primer error replies as ``ProviderError``: pure, and never assuming the body parses (CDN pages, garbage).

Every documented error is ``{"error": {"errorId", "description", "recoverySuggestion"?, "diagnosticsId",
"validationErrors"?}}`` (``tests/providers/primer/error-*.json``); ``diagnosticsId`` is the reference to quote to
Primer's support and becomes ``request_id``.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from contracts.names import ErrorCode
from service.providers.base import ProviderError, status_error
from service.providers.primer import PROVIDER, wire

# A reused X-Idempotency-Key: 409 IdempotencyKeyAlreadyExists, or 400 TransactionRequestIdempotencyKeyAlreadyExists
# (both documented for payments; the client-session endpoints document no key). Never a failure of the command.
KEY_EXISTS = frozenset({"IdempotencyKeyAlreadyExists", "TransactionRequestIdempotencyKeyAlreadyExists"})
# PATCH with a token Primer does not know (unknown or expired session) answers 400 with this id, not 404.
UNKNOWN_SESSION = "ClientSessionValidationError"
_error_decoder = msgspec.json.Decoder(wire.ErrorReply)


def _first_field(validation_errors: list[Any] | None) -> tuple[str | None, str | None]:
    """(path, description) of the first validation error: ``[{model, errors: [{path, description}]}]``, or flat."""
    for item in validation_errors or []:
        if not isinstance(item, dict):
            continue
        nested = item.get("errors")
        if isinstance(nested, list) and nested:
            return _first_field(nested)
        path = item.get("path") or item.get("field")
        if isinstance(path, str):
            description = item.get("description") or item.get("message")
            return path[:200], description if isinstance(description, str) else None
    return None, None


def _message(detail: wire.ErrorDetail, field_message: str | None, status: int) -> str:
    text = field_message or detail.description or f"{PROVIDER} answered {status}"
    if detail.recovery_suggestion and not field_message:
        text = f"{text} {detail.recovery_suggestion}"
    return text[:500]


def _retired_version(api_version: str | None, detail: wire.ErrorDetail | None) -> ProviderError:
    """410: Primer no longer serves the API version we send. Our configuration is wrong; no retry can help."""
    message = (
        f"{PROVIDER} answered 410: the API version {api_version!r} of the account's api_version setting "
        f"([accounts.<name>.primer] api_version) is retired; configure a supported one (2.4)"
    )
    if detail is not None and detail.description:
        message = f"{message}: {detail.description}"
    return ProviderError(
        ErrorCode.MISCONFIGURED,
        message[:500],
        retryable=False,
        provider_status=410,
        provider_code=detail.error_id[:100] if detail is not None and detail.error_id else None,
        request_id=_reference(detail),
    )


def parse_error(
    status: int,
    body: bytes,
    *,
    operation: Literal["create", "update"] = "create",
    api_version: str | None = None,
) -> ProviderError:
    """Any non-2xx reply as a typed error. The body may be HTML from a CDN: never assume it parses."""
    try:
        detail: wire.ErrorDetail | None = _error_decoder.decode(body).error
    except (msgspec.DecodeError, msgspec.ValidationError):
        detail = None
    if status == 410:
        return _retired_version(api_version, detail)
    if detail is None:
        return status_error(status, f"{PROVIDER} answered {status} without a Primer error body")
    field, field_message = _first_field(detail.validation_errors)
    error = status_error(
        status,
        _message(detail, field_message, status),
        provider_code=detail.error_id[:100] if detail.error_id else None,
        field=field,
        request_id=_reference(detail),
    )
    return _refine(error, status, detail.error_id, operation)


def _reference(detail: wire.ErrorDetail | None) -> str | None:
    reference = detail.diagnostics_id if detail else None
    return None if reference is None else str(reference)


def _refine(error: ProviderError, status: int, error_id: str | None, operation: str) -> ProviderError:
    if error_id in KEY_EXISTS and status in (400, 409):
        error.code, error.retryable = ErrorCode.CONFLICT, True
    elif error_id == UNKNOWN_SESSION and status == 400 and operation == "update":
        error.code, error.retryable = ErrorCode.NOT_FOUND, False
    return error
