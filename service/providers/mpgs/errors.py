"""MPGS error replies as ``ProviderError``: pure, and never assuming the body parses (CDN pages, garbage)."""

from __future__ import annotations

import msgspec

from contracts.names import ErrorCode
from service.providers.base import ProviderError, status_error
from service.providers.mpgs import wire

PROVIDER = "mpgs"
_error_decoder = msgspec.json.Decoder(wire.ErrorReply)

# SERVER_BUSY and SERVER_FAILED may be retried (MPGS says "after several minutes").
_SERVER_CAUSES = frozenset({"SERVER_BUSY", "SERVER_FAILED"})
# Names MPGS might give the session id when it refuses an unknown or expired one (unconfirmed: see below).
_SESSION_FIELDS = frozenset({"session.id", "sessionid", "session"})


def _names_session(field: str | None) -> bool:
    return field is not None and field.lower() in _SESSION_FIELDS


def _refine(error: ProviderError, status: int, cause: str | None, field: str | None) -> ProviderError:
    """Adjust the status-based classification with MPGS's ``cause`` and ``field``. Any 5xx stays retryable."""
    if cause == "REQUEST_REJECTED" and status < 500:
        error.code, error.retryable = ErrorCode.VALIDATION_FAILED, False
    elif status in (401, 403, 404, 410, 429):
        pass  # authentication (MPGS says INVALID_REQUEST there too), not found, rate limited: by status
    elif cause in _SERVER_CAUSES:
        error.code, error.retryable = ErrorCode.PROVIDER_UNAVAILABLE, True
    elif status == 400 and _names_session(field):
        # An unknown or expired session most likely comes back as 400 INVALID_REQUEST naming the session id
        # (unconfirmed; a 404 is handled as not_found above). Any other 400 stays validation_failed.
        error.code, error.retryable = ErrorCode.NOT_FOUND, False
    return error


def parse_error(status: int, body: bytes) -> ProviderError:
    """Any non-2xx reply as a typed error. Messages hold MPGS's explanation, never a request body or secret."""
    try:
        detail = _error_decoder.decode(body).error
    except (msgspec.DecodeError, msgspec.ValidationError):
        return status_error(status, f"mpgs answered {status} without an MPGS error body")
    cause = detail.cause[:40] if detail.cause else None
    message = detail.explanation or f"mpgs answered {status} ({cause or 'no cause'})"
    error = status_error(
        status,
        message[:500],
        provider_code=cause,
        field=detail.field[:200] if detail.field else None,
        request_id=detail.support_code,
    )
    return _refine(error, status, cause, detail.field)
