"""Values that become one segment of a provider URL path (S9).

``urllib.parse.quote`` leaves ``.`` and ``..`` as they are, and the HTTP client resolves them: an update of
session ``..`` became ``PUT /v1/`` at Acquired. So a command value is checked against the provider's id
alphabet before it is quoted (configured merchant ids are checked by the settings).
"""

from __future__ import annotations

import re
from urllib.parse import quote

from contracts.names import ErrorCode
from service.providers.base import ProviderError

_DOT_SEGMENTS = frozenset({"", ".", ".."})
_NEVER = re.compile(r"[/\\%\x00-\x20\x7f]")  # separators, escapes (decoded by some servers), controls, spaces


def _one_segment(value: str) -> bool:
    return value not in _DOT_SEGMENTS and not _NEVER.search(value)


def segment(value: str, field: str, alphabet: re.Pattern[str], *, provider: str) -> str:
    """``value`` quoted as one path segment, or ``invalid_command`` naming ``field`` before any request when it
    is empty, ``.``, ``..``, holds ``/``, ``\\`` or ``%``, or does not fully match ``alphabet``."""
    if not (_one_segment(value) and alphabet.fullmatch(value)):
        raise ProviderError(
            ErrorCode.INVALID_COMMAND, f"{field} is not a valid {provider} id", retryable=False, field=field
        )
    return quote(value, safe="")
