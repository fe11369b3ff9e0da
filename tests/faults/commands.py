"""Command bodies for the fault suite. Worldline is the workhorse: its calls carry an idempotency key the
ledger can trace back to the command; Primer rides along for the provider that (today) sends none."""

from __future__ import annotations

import uuid
from typing import Any

CREATE = "session.create"
UPDATE = "session.update"


def new_id(tag: str) -> str:
    return f"cmd-{tag}-{uuid.uuid4().hex[:16]}"


def primer(command_id: str, amount: int = 1000, **fields: Any) -> dict[str, Any]:
    return {"command_id": command_id, "provider": "primer", "amount": amount, "currency": "EUR", **fields}


def worldline(command_id: str, *tokens: str, **fields: Any) -> dict[str, Any]:
    options = {"tokens": ["tok-1", *tokens], "payment_product_filters": {"restrict_to": {"groups": ["cards"]}}}
    return {"command_id": command_id, "provider": "worldline", "options": options, **fields}


def mixed(count: int, tag: str, worldline_share: int = 2) -> list[tuple[str, dict[str, Any]]]:
    """``count`` creates, ``worldline_share`` of every 3 at Worldline, the rest at Primer."""
    return [
        (CREATE, worldline(new_id(tag)) if index % 3 < worldline_share else primer(new_id(tag)))
        for index in range(count)
    ]
