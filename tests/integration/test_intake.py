"""Bad input on the real broker: every one ends as a precise session.failed or a dead letter."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.events import SessionCreated, SessionFailed
from service.messaging.disposition import REASON_HEADER
from tests.harness import Harness

PRIMER_KEY = "sim-primer-key-intake"


async def _service(harness: Harness, **overrides: Any) -> Any:
    return await harness.start(
        {"default": {"primer": {"base_url": harness.simulator_url, "api_key": PRIMER_KEY}}}, **overrides
    )


@pytest.mark.parametrize(
    ("routing_key", "body", "field", "fragment"),
    [
        ("session.create", {"provider": "paypal"}, "provider", "Invalid value"),
        ("session.create", {"provider": "primer", "currency": "eur"}, "currency", "Invalid enum value"),
        ("session.create", {"provider": "primer", "currency": "XYZ"}, "currency", "Invalid enum value"),
        ("session.create", {"provider": "primer", "issued_at": "2026-11-21T12:00:00"}, "issued_at", "timezone"),
        ("session.create", {"provider": "primer", "correlation_id": "é" * 128}, "correlation_id", "regex"),
        ("session.create", {"provider": "primer", "correlation_id": "a" * 256}, "correlation_id", "length <= 255"),
        ("session.update", {"provider": "mpgs", "session_id": "../x"}, "session_id", "regex"),
        ("session.update", {"provider": "acquired", "session_id": "a%2Fb"}, "session_id", "regex"),
        (
            "session.create",
            {
                "provider": "worldline-applepay",
                "options": {
                    "validation_url": "https://x",
                    "domain_name": "d",
                    "display_name": "n",
                    "customer_id": "..",
                },
            },
            "options.customer_id",
            "regex",
        ),
        ("session.create", {"provider": "primer", "amount": "12.50"}, "amount", "Expected `int"),
        ("session.create", {"provider": "primer", "colour": "red"}, "colour", "unknown field"),
        ("session.create", {"provider": "primer", "account": "nowhere"}, "account", "no primer configuration"),
        ("session.update", {"provider": "primer"}, "session_id", "missing required field"),
        (
            "session.create",
            {"provider": "primer", "options": {"line_items": [{"item_id": "a", "amount": -1}]}},
            "options.line_items[0].amount",
            ">= 0",
        ),
        ("session.create", {"provider": "primer", "order_id": "x" * 129}, "order_id", "length <= 128"),
    ],
)
async def test_invalid_commands_are_answered(
    harness: Harness, command_id: str, routing_key: str, body: dict[str, Any], field: str, fragment: str
) -> None:
    service = await _service(harness)
    event = await service.send(routing_key, {"command_id": command_id, **body})
    assert isinstance(event, SessionFailed), event
    assert event.error.code == "invalid_command" and not event.error.retryable
    assert event.error.field == field and fragment in event.error.message
    assert event.operation == ("update" if routing_key == "session.update" else "create")
    assert harness.simulator is not None and harness.simulator.calls == []


@pytest.mark.parametrize(
    ("body", "properties", "reason"),
    [
        (b"\x00\xffnot json", {}, "body is not valid JSON"),
        (b'{"provider": "primer"}', {}, "without a usable command_id"),
        (b'{"command_id": 42, "provider": "primer"}', {}, "without a usable command_id"),
        (b"[1, 2, 3]", {}, "without a usable command_id"),
        (b'{"command_id": "c", "provider": "primer"}', {"content_type": "text/xml"}, "content type 'text/xml'"),
        (b'{"command_id": "' + b"a" * 300_000 + b'"}', {}, "exceeds the 262144-byte limit"),
    ],
)
async def test_poison_is_dead_lettered_with_a_reason(
    harness: Harness, body: bytes, properties: dict[str, Any], reason: str
) -> None:
    service = await _service(harness)
    await service.publish("session.create", body, message_id="poison-1", **properties)
    (dead,) = await service.dead_letters(1)
    assert dead.body == body  # kept whole so it can be replayed after a fix
    assert reason in dead.headers[REASON_HEADER]
    assert dead.headers["x-payment-sessions-original-routing-key"] == "session.create"
    assert dead.message_id == "poison-1"
    assert body[:40].decode(errors="replace") not in harness.log_text() or len(body) < 40
    records = [r for r in harness.log_records() if r.get("event") == "command"]
    assert records and records[-1]["outcome"] == "dead_letter"


async def test_consumer_survives_a_mix_of_poison_and_good_commands(harness: Harness, command_id: str) -> None:
    service = await _service(harness)
    for index in range(5):
        await service.publish("session.create", b"{broken" + str(index).encode())
    event = await service.send(
        "session.create", {"command_id": command_id, "provider": "primer", "amount": 100, "currency": "EUR"}
    )
    assert isinstance(event, SessionCreated)
    assert len(await service.dead_letters(5)) == 5


async def test_log_injection_stays_one_record(harness: Harness) -> None:
    service = await _service(harness)
    hostile = 'evil\n{"level": "critical", "event": "forged"}\x1b[31m'
    await service.send(
        "session.create", {"command_id": "cmd-inject", "provider": "primer", "order_id": hostile, "currency": "x"}
    )
    lines = [line for line in harness.log_text().splitlines() if "forged" in line]
    assert len(lines) <= 1
    assert all(line.startswith("{") for line in harness.log_text().splitlines())
    assert not any(r.get("event") == "forged" for r in harness.log_records())
