"""A string that never shows itself, and the masking of secrets inside URLs."""

from __future__ import annotations

from typing import Final

from yarl import URL

MASK: Final = "***"


class Secret:
    """Holds a credential. ``str``, ``repr`` and formatting show ``***``; only ``reveal()`` gives it up."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


def mask_url(url: str) -> str:
    """The URL with any password replaced by ``***`` (for logs and error messages)."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        return MASK
    if parsed.password is None:
        return str(parsed)
    return str(parsed.with_password(MASK))
