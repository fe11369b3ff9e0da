"""MPGS error replies as ``ProviderError``: pure, and never assuming the body parses (CDN pages, garbage).

MPGS's error object is ``{"result": "ERROR", "error": {"cause", "explanation", "field", "supportCode",
"validationType"}}``. ``cause`` (MPGS's "Transaction Errors" page) decides with the HTTP status:

- INVALID_REQUEST: "does not conform to the API protocol": ``validation_failed`` (401 is our credentials, by
  status; a 400 naming the session id is an unknown or expired session, ``not_found``).
- REQUEST_REJECTED: "rejected due to security reasons such as firewall rules, expired certificate …"; next action
  "review the authentication credentials you supplied": ``authentication_failed``, not retried.
- SERVER_BUSY, SERVER_FAILED: "you may attempt the API request again several minutes later": retryable.

Any 5xx stays retryable whatever the cause. ``supportCode`` (MPGS returns it for SERVER_FAILED and
REQUEST_REJECTED) becomes ``request_id`` wherever it appears, also on a 2xx that carries an error object.
"""

from __future__ import annotations

import msgspec

from contracts.names import ErrorCode
from service.providers.base import ProviderError, status_error
from service.providers.mpgs import PROVIDER, wire

__all__ = ["PROVIDER", "error_in_reply", "parse_error"]

_error_decoder = msgspec.json.Decoder(wire.ErrorReply)

_BY_CAUSE: dict[str, tuple[ErrorCode, bool]] = {
    "INVALID_REQUEST": (ErrorCode.VALIDATION_FAILED, False),
    "REQUEST_REJECTED": (ErrorCode.AUTHENTICATION_FAILED, False),
    "SERVER_BUSY": (ErrorCode.PROVIDER_UNAVAILABLE, True),
    "SERVER_FAILED": (ErrorCode.PROVIDER_UNAVAILABLE, True),
}
_BY_STATUS_ONLY = frozenset({401, 403, 404, 410, 429})  # authentication, not found, rate limited: as the status says
# Names MPGS might give the session id when it refuses an unknown or expired one (unconfirmed: see _refine).
_SESSION_FIELDS = frozenset({"session.id", "sessionid", "session"})


def _text(value: object, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _refine(error: ProviderError, status: int, cause: str | None) -> ProviderError:
    """The status-based classification refined by MPGS's ``cause`` and ``field``."""
    if status >= 500 or status in _BY_STATUS_ONLY:
        return error
    if cause in _BY_CAUSE:
        error.code, error.retryable = _BY_CAUSE[cause]
    if status == 400 and cause == "INVALID_REQUEST" and (error.field or "").lower() in _SESSION_FIELDS:
        # An unknown or expired session most likely comes back as 400 INVALID_REQUEST naming the session id
        # (unconfirmed; a 404 is not_found by status). Any other 400 stays validation_failed.
        error.code, error.retryable = ErrorCode.NOT_FOUND, False
    return error


def from_detail(status: int, detail: wire.ErrorDetail) -> ProviderError:
    """An MPGS error object (from an error reply, or inside a 2xx) as a typed error."""
    cause = _text(detail.cause, 40)
    message = _text(detail.explanation, 500) or f"mpgs answered {status} ({cause or 'no cause'})"
    error = status_error(
        status,
        message,
        provider_code=cause,
        field=_text(detail.field, 200),
        request_id=_text(detail.support_code, 128),
    )
    if 200 <= status < 300:  # an error object inside a 2xx: never success; by its cause, else worth a retry
        error.code, error.retryable = ErrorCode.PROVIDER_ERROR, True
    return _refine(error, status, cause)


def parse_error(status: int, body: bytes) -> ProviderError:
    """Any non-2xx reply as a typed error. Messages hold MPGS's explanation, never a request body or secret."""
    try:
        detail = _error_decoder.decode(body).error
    except (msgspec.DecodeError, msgspec.ValidationError):
        return status_error(status, f"mpgs answered {status} without an MPGS error body")
    return from_detail(status, detail)


def error_in_reply(status: int, detail: wire.ErrorDetail | None) -> ProviderError | None:
    """The error object a 2xx may carry (``result`` ERROR): never success."""
    return None if detail is None else from_detail(status, detail)
