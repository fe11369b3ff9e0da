"""Provider replies are read whole, through the real broker: a ~250 KB Primer reply that arrives chunked and
in pieces (it was once read as 108 KB, judged malformed and retried) creates the session; a reply over the
1 MiB cap fails once, not retryable, and is never parsed truncated."""

from __future__ import annotations

from typing import Any

from contracts.events import SessionCreated, SessionFailed
from service.providers.http import MAX_REPLY_BYTES
from service.simulator.primer import REPLY_BYTES_KEY
from tests.contract.test_primer import API_KEY
from tests.harness import Harness


def create(command_id: str, reply_bytes: int) -> dict[str, Any]:
    return {
        "provider": "primer",
        "command_id": command_id,
        "amount": 1250,
        "currency": "EUR",
        "customer": {"email": "ada@example.com"},
        "metadata": {REPLY_BYTES_KEY: reply_bytes, "channel": "web"},
    }


def primer_calls(harness: Harness) -> list[Any]:
    assert harness.simulator is not None
    return [call for call in harness.simulator.calls if call.provider == "primer"]


async def test_a_250_kb_reply_arriving_in_pieces_creates_the_session(harness: Harness, command_id: str) -> None:
    service = await harness.start({"default": {"primer": {"base_url": harness.simulator_url, "api_key": API_KEY}}})
    event = await service.send("session.create", create(command_id, 250 * 1024))
    assert isinstance(event, SessionCreated), event
    assert event.session.id.startswith("sim_primer_")
    assert [call.status for call in primer_calls(harness)] == [200]  # no retry


async def test_a_reply_over_the_cap_fails_once_and_is_not_retried(harness: Harness, command_id: str) -> None:
    service = await harness.start({"default": {"primer": {"base_url": harness.simulator_url, "api_key": API_KEY}}})
    event = await service.send("session.create", create(command_id, 2 * MAX_REPLY_BYTES))
    assert isinstance(event, SessionFailed), event
    error = event.error
    assert (error.code, error.retryable, error.provider_status, event.attempts) == ("provider_error", False, 200, 1)
    assert error.message == f"primer answered 200 with a body over the {MAX_REPLY_BYTES}-byte limit"
    assert len(primer_calls(harness)) == 1
