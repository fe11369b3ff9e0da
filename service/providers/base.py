"""Provider-neutral error type and the default HTTP status classification."""

from __future__ import annotations

import hashlib
import re

from contracts.events import ErrorInfo
from contracts.names import ErrorCode

_CARD_LIKE = re.compile(r"(?<!\d)\d(?:[ -]?\d){11,18}(?!\d)")


def scrub(text: str) -> str:
    """Mask digit runs that could be a card number (12-19 digits, spaces or dashes allowed) in provider text."""
    return _CARD_LIKE.sub("***", text)


class ProviderError(Exception):
    """A provider refused or failed a call. The message never holds a secret or a request body; provider
    text that quotes a card number is masked on the way in."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        retryable: bool,
        provider_status: int | None = None,
        provider_code: str | None = None,
        field: str | None = None,
        request_id: str | None = None,
    ) -> None:
        message = scrub(message)
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable
        self.provider_status = provider_status
        self.provider_code = provider_code
        self.field = field
        self.request_id = request_id

    def to_error_info(self) -> ErrorInfo:
        return ErrorInfo(
            code=self.code.value,
            message=self.message,
            retryable=self.retryable,
            provider_status=self.provider_status,
            provider_code=self.provider_code,
            field=self.field,
        )

    def __repr__(self) -> str:
        return f"ProviderError({self.code.value!r}, {self.message!r}, status={self.provider_status})"


def unsupported(provider: str, operation: str) -> ProviderError:
    return ProviderError(ErrorCode.UNSUPPORTED, f"{provider} has no session {operation} operation", retryable=False)


_BY_STATUS: dict[int, tuple[ErrorCode, bool]] = {
    400: (ErrorCode.VALIDATION_FAILED, False),
    401: (ErrorCode.AUTHENTICATION_FAILED, False),
    403: (ErrorCode.AUTHENTICATION_FAILED, False),
    404: (ErrorCode.NOT_FOUND, False),
    409: (ErrorCode.CONFLICT, False),
    410: (ErrorCode.NOT_FOUND, False),
    422: (ErrorCode.VALIDATION_FAILED, False),
    429: (ErrorCode.RATE_LIMITED, True),
}


def classify_status(status: int) -> tuple[ErrorCode, bool]:
    """The default (code, retryable) for an HTTP error status; adapters refine it with the error body."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ErrorCode.PROVIDER_UNAVAILABLE, True
    return ErrorCode.PROVIDER_ERROR, False


def status_error(
    status: int,
    message: str,
    *,
    provider_code: str | None = None,
    field: str | None = None,
    request_id: str | None = None,
) -> ProviderError:
    code, retryable = classify_status(status)
    return ProviderError(
        code,
        message,
        retryable=retryable,
        provider_status=status,
        provider_code=provider_code,
        field=field,
        request_id=request_id,
    )


def malformed_reply(provider: str, status: int, what: str) -> ProviderError:
    """A 2xx we cannot interpret: unknown is never success, and a retry may fare better."""
    return ProviderError(
        ErrorCode.PROVIDER_ERROR,
        f"{provider} answered {status} with {what}",
        retryable=True,
        provider_status=status,
    )


def idempotency_key(command_id: str, attempt: int = 0) -> str:
    """The provider idempotency key of a command: deterministic (every retry and redelivery reuses it),
    ASCII, 40 characters. ``attempt`` > 0 derives a fresh key when the first one can no longer be used."""
    seed = command_id if attempt == 0 else f"{command_id}\x1f{attempt}"
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:40]
