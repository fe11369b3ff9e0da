"""Money on events (issue 13): every event about a command carries the command's ``amount`` and ``currency``
where it had them, valid ones only for a command that breaks the contract elsewhere."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.codec import decode_command, decode_event
from contracts.names import CommandType
from service.handlers import envelope_of
from service.messaging.intake import Accepted, Invalid, take


def _take(routing_key: str, body: dict[str, Any]) -> Accepted | Invalid:
    taken = take(routing_key, "application/json", msgspec.json.encode(body), max_body_bytes=1 << 20)
    assert isinstance(taken, Accepted | Invalid), taken
    return taken


@pytest.mark.parametrize(
    ("routing_key", "body", "money"),
    [
        ("session.create", {"command_id": "c-1", "provider": "primer", "amount": 12, "currency": "EUR"}, (12, "EUR")),
        ("session.create", {"command_id": "c-2", "provider": "worldline", "options": {"tokens": []}}, (None, None)),
        ("session.update", {"command_id": "c-3", "provider": "primer", "session_id": "s", "amount": 15}, (15, None)),
        ("session.update", {"command_id": "c-4", "provider": "mpgs", "session_id": "s"}, (None, None)),
    ],
)  # fmt: skip
def test_a_valid_command_lends_its_money_to_its_events(
    routing_key: str, body: dict[str, Any], money: tuple[int | None, str | None]
) -> None:
    taken = _take(routing_key, body)
    assert isinstance(taken, Accepted)
    envelope = envelope_of(taken.command)
    assert (envelope["amount"], envelope["currency"]) == money


@pytest.mark.parametrize(
    ("amount", "currency", "money"),
    [
        (1250, "EUR", (1250, "EUR")),  # the command is invalid for another reason: its money is still echoed
        ("1250", "EUR", (None, "EUR")),
        (-1, "eur", (None, None)),
        (True, "XXX", (None, None)),  # a bool is not an amount; XXX is no currency
        (10**16, None, (None, None)),
    ],
)
def test_an_invalid_command_echoes_only_valid_money(
    amount: object, currency: object, money: tuple[object, object]
) -> None:
    body = {"command_id": "c-9", "provider": "primer", "amount": amount, "currency": currency, "unknown_field": 1}
    taken = _take("session.create", body)
    assert isinstance(taken, Invalid)
    assert (taken.envelope["amount"], taken.envelope["currency"]) == money


@given(st.dictionaries(st.sampled_from(["amount", "currency", "command_id", "provider"]), st.from_type(object)))
def test_whatever_a_broken_command_holds_the_event_stays_valid(fields: dict[str, Any]) -> None:
    """The envelope of any command that fails validation makes a ``session.failed`` the contract decodes."""
    body = {"command_id": "c-h", "provider": "primer", **fields, "unknown_field": 1}
    try:
        payload = msgspec.json.encode(body)
    except (TypeError, msgspec.EncodeError):
        return
    taken = take("session.create", "application/json", payload, max_body_bytes=1 << 20)
    if not isinstance(taken, Invalid):
        return
    event = {"type": "session.failed", "event_id": "e", "occurred_at": "2026-11-30T00:00:00Z", "operation": "create",
             "error": {"code": "invalid_command", "message": "m", "retryable": False}, **taken.envelope}  # fmt: skip
    decode_event(msgspec.json.encode(event))


def test_the_commands_decoded_here_are_the_contract_s() -> None:
    command = decode_command(
        CommandType.CREATE, b'{"command_id":"c","provider":"acquired","amount":1,"currency":"GBP"}'
    )
    assert envelope_of(command)["currency"] == "GBP"
