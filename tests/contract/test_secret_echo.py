"""S8 end to end: a provider (or a WAF in front of it) answers an error that quotes the request back, headers
and body. Through the real broker and the simulator's ``sim-echo`` / 400.01 trigger, for every provider with
credentials: no configured secret, no Basic or Bearer credential and no Acquired token reaches the
``session.failed`` event (body and headers), the log or a dead letter."""

from __future__ import annotations

import base64
from typing import Any

from contracts.events import SessionFailed
from tests.contract.test_acquired import APP_ID, APP_KEY, COMPANY_ID, MID
from tests.contract.test_mpgs import MERCHANT, PASSWORD
from tests.contract.test_primer import API_KEY
from tests.contract.test_worldline import SECRET, VALIDATION_URL, worldline_table
from tests.harness import Harness

ECHO_AMOUNT = 40001  # triggers.FAULTS_BY_AMOUNT: 400 quoting the request
ECHO_WORD = "sim-echo"


def accounts(base_url: str) -> dict[str, Any]:
    return {
        "default": {
            "primer": {"base_url": base_url, "api_key": API_KEY},
            "mpgs": {"base_url": base_url, "merchant_id": MERCHANT, "api_password": PASSWORD},
            "acquired": {
                "base_url": base_url,
                "app_id": APP_ID,
                "app_key": APP_KEY,
                "company_id": COMPANY_ID,
                "mid": MID,
            },
            "worldline": worldline_table(base_url),
        }
    }


def commands(command_id: str) -> list[dict[str, Any]]:
    primer = {"provider": "primer", "command_id": command_id + "-pr", "amount": ECHO_AMOUNT, "currency": "EUR"}
    acquired = {"provider": "acquired", "command_id": command_id + "-aq", "order_id": "order-echo"}
    acquired |= {"amount": ECHO_AMOUNT, "currency": "GBP"}
    mpgs = {"provider": "mpgs", "command_id": command_id + "-mp", "correlation_id": ECHO_WORD}  # on the POST
    worldline = {"provider": "worldline", "command_id": command_id + "-wl", "options": {"tokens": [ECHO_WORD]}}
    apple = {"validation_url": VALIDATION_URL, "domain_name": "shop.example", "display_name": ECHO_WORD}
    apple_pay = {"provider": "worldline-applepay", "command_id": command_id + "-ap", "options": apple}
    return [primer, acquired, mpgs, worldline, apple_pay]


async def drain_dead_letters(harness: Harness, queue_name: str) -> list[Any]:
    channel = await harness.channel()
    queue = await channel.get_queue(queue_name)
    found = []
    while (message := await queue.get(no_ack=True, fail=False)) is not None:
        found.append(message)
    return found


def credentials(harness: Harness) -> list[str]:
    assert harness.simulator is not None
    tokens = list(harness.simulator.extra.get("acquired_tokens", {}))
    assert tokens, "Acquired issued no token: nothing to look for"
    basic = base64.b64encode(f"merchant.{MERCHANT}:{PASSWORD}".encode()).decode()
    configured = [API_KEY, PASSWORD, APP_KEY, SECRET]
    return [*configured, basic, *tokens, "v1HMAC:sim-key-1"]


async def test_echoed_requests_carry_no_credential_into_events_logs_or_dead_letters(
    harness: Harness, command_id: str
) -> None:
    service = await harness.start(accounts(harness.simulator_url))
    for body in commands(command_id):
        event = await service.send("session.create", body)
        assert isinstance(event, SessionFailed), event
        assert (event.error.code, event.error.provider_status) == ("validation_failed", 400), event
        assert "POST /" in event.error.message and "***" in event.error.message, event.error.message  # echoed
    tap = harness.tap_for(service.topology)
    published = [message.body.decode() + repr(message.headers) for message in tap.messages]
    dead = await drain_dead_letters(harness, service.topology.dead_letter_queue)
    text = "\n".join([harness.log_text(), *published, *(m.body.decode() + repr(m.headers) for m in dead)])
    assert command_id in harness.log_text()  # the capture works
    leaked = [value for value in credentials(harness) if value in text]
    assert leaked == [], [value[:6] + "…" for value in leaked]
