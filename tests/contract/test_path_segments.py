"""S9 end to end: a command value that would change the shape of a provider URL path (``..`` and friends)
is refused with ``invalid_command`` naming the field, and the provider never sees a request."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.events import SessionFailed
from tests.contract.test_acquired import APP_ID, APP_KEY
from tests.contract.test_mpgs import MERCHANT, PASSWORD
from tests.contract.test_worldline import VALIDATION_URL, worldline_table
from tests.harness import Harness

HOSTILE = ["..", ".", "a/b", "%2e%2e", "..%2f"]


def accounts(base_url: str) -> dict[str, Any]:
    return {
        "default": {
            "mpgs": {"base_url": base_url, "merchant_id": MERCHANT, "api_password": PASSWORD},
            "acquired": {"base_url": base_url, "app_id": APP_ID, "app_key": APP_KEY},
            "worldline": worldline_table(base_url),
        }
    }


def apple_pay(command_id: str, customer_id: str, base_url: str) -> dict[str, Any]:
    options = {"validation_url": VALIDATION_URL, "domain_name": "shop.example", "display_name": "Shop"}
    options |= {"client_session_id": "cs-1", "customer_id": customer_id, "client_api_url": f"{base_url}/client"}
    return {"provider": "worldline-applepay", "command_id": command_id, "options": options}


def update(provider: str, command_id: str, session_id: str) -> dict[str, Any]:
    return {"provider": provider, "command_id": command_id, "session_id": session_id, "amount": 100, "currency": "GBP"}


@pytest.mark.parametrize(
    ("provider", "routing_key", "field"),
    [
        ("mpgs", "session.update", "session_id"),
        ("acquired", "session.update", "session_id"),
        ("worldline-applepay", "session.create", "options.customer_id"),
    ],
)
async def test_a_value_that_is_no_single_segment_never_reaches_the_provider(
    harness: Harness, command_id: str, provider: str, routing_key: str, field: str
) -> None:
    service = await harness.start(accounts(harness.simulator_url))
    for index, value in enumerate(HOSTILE):
        body = (
            apple_pay(f"{command_id}-{index}", value, harness.simulator_url)
            if provider == "worldline-applepay"
            else update(provider, f"{command_id}-{index}", value)
        )
        event = await service.send(routing_key, body)
        assert isinstance(event, SessionFailed), (value, event)
        assert (event.error.code, event.error.field, event.error.retryable) == ("invalid_command", field, False)
        assert event.attempts == 0
    assert harness.simulator is not None
    assert harness.simulator.calls == []  # not even the Acquired login
