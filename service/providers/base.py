"""Provider-neutral error type, the scrubbing of provider text, and the default HTTP status classification."""

from __future__ import annotations

import hashlib
import re

from contracts.events import ErrorInfo
from contracts.names import ErrorCode

MAX_MESSAGE = 300  # characters of provider text an event may carry
_SCAN_LIMIT = 4096  # longer text is cut before the patterns run: only the first MAX_MESSAGE characters survive
_MASK = "***"
_CARD_LIKE = re.compile(r"(?<!\d)\d(?:[ -]?\d){11,18}(?!\d)")
# ``Basic <base64>`` and ``Bearer <token>`` (token68); shorter runs are words ("Bearer token"), not credentials.
_AUTH_SCHEME = re.compile(r"\b(Basic|Bearer)(\s+)[A-Za-z0-9._~+/\\-]{8,}=*", re.IGNORECASE)
# Worldline: ``GCS v1HMAC:<apiKeyId>:<signature>`` and ``GCS v1Client:<clientSessionId>``.
_GCS = re.compile(r"\b(v1HMAC|v1Client):[^\s\"',;<>]+", re.IGNORECASE)
_CREDENTIAL_NAME = r"[\w.-]*?(?:api[_-]?key|app[_-]?key|password|secret|token|authorization|aes256[_-]?key)[\w-]*"
# ``"<key>": "<value>"`` (also single-quoted or JSON inside JSON) and ``<key>: value`` / ``<key>=value``.
_KEY_VALUE = re.compile(
    rf"""(?P<key>(?:\\?["'])?{_CREDENTIAL_NAME}(?:\\?["'])?\s*[:=]\s*)"""
    r"""(?P<value>"(?:[^"\\]|\\.)*(?:"|$)|'(?:[^'\\]|\\.)*(?:'|$)|\\"(?:(?!\\").)*(?:\\"|$)"""
    r"""|(?:(?:basic|bearer|gcs)\s+)?[^\s,;&"'<>{}\[\]]+)""",
    re.IGNORECASE,
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _masked_value(match: re.Match[str]) -> str:
    value = match["value"]
    quote = value[:2] if value.startswith('\\"') else value[:1] if value[:1] in "\"'" else ""
    return f"{match['key']}{quote}{_MASK}{quote}"


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def scrub(text: str) -> str:
    """Provider text made fit for an event: credentials (``Basic``/``Bearer`` values, Worldline ``v1HMAC``/
    ``v1Client`` values, the values of secret-looking keys) and card-like digit runs (12-19 digits, spaces or
    dashes allowed) masked, control characters escaped, at most ``MAX_MESSAGE`` characters."""
    text = text[:_SCAN_LIMIT]
    text = _AUTH_SCHEME.sub(rf"\1\2{_MASK}", text)
    text = _GCS.sub(rf"\1:{_MASK}", text)
    text = _KEY_VALUE.sub(_masked_value, text)
    text = _CONTROL.sub(_escaped, _CARD_LIKE.sub(_MASK, text))
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


_REFERENCE = re.compile(r"[A-Za-z0-9._:/#@+=-]{1,128}")


def _reference(text: str | None) -> str | None:
    """A provider's support reference as events may carry it: an id, 1-128 characters of an id's alphabet (so
    neither a secret pattern nor a sentence); anything else is not a reference and is dropped."""
    return text if text is not None and _REFERENCE.fullmatch(text) else None


class ProviderError(Exception):
    """A provider refused or failed a call. The message never holds a secret or a request body: provider text
    is scrubbed on the way in, and again whenever ``message`` is replaced.

    ``counts_for_breaker`` is False when the failure says nothing about the provider account's health (a host
    the command chose failed): the circuit breaker then counts the call neither as success nor as failure."""

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
        counts_for_breaker: bool = True,
    ) -> None:
        super().__init__()
        self.message = message
        self.code = code
        self.retryable = retryable
        self.provider_status = provider_status
        self.provider_code = provider_code
        self.field = field
        self.request_id = _reference(request_id)
        self.counts_for_breaker = counts_for_breaker

    @property
    def message(self) -> str:
        return self._message

    @message.setter
    def message(self, text: str) -> None:
        self._message = scrub(text)
        self.args = (self._message,)

    def to_error_info(self) -> ErrorInfo:
        return ErrorInfo(
            code=self.code.value,
            message=self.message,
            retryable=self.retryable,
            provider_status=self.provider_status,
            provider_code=self.provider_code,
            field=self.field,
            provider_reference=self.request_id,
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
