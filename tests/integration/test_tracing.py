"""W3C Trace Context on the real broker: a command's ``traceparent`` reaches the provider request, the event, every
retry round, the dead-letter queue and every log line; a command without one (or with an invalid one) gets a trace
of its own, the same everywhere."""

from __future__ import annotations

import re
from typing import Any

from aio_pika.abc import AbstractIncomingMessage

from contracts.events import SessionCreated, SessionFailed
from tests.harness import Harness

# The W3C Trace Context Recommendation's own examples (https://www.w3.org/TR/trace-context/#examples-of-http-traceparent-headers
# and #tracestate-header): a witness that is not us.
PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
STATE = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"
VALID = re.compile(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")


def _accounts(harness: Harness) -> dict[str, Any]:
    return {"default": {"primer": {"base_url": harness.simulator_url, "api_key": "key-trace"}}}


def _create(command_id: str, amount: int = 1250) -> dict[str, Any]:
    return {"command_id": command_id, "provider": "primer", "amount": amount, "currency": "EUR"}


def _event_message(harness: Harness, topology: Any, command_id: str) -> AbstractIncomingMessage:
    tap = harness.tap_for(topology)
    return next(m for m in tap.messages if m.headers.get("cloudEvents_subject") == command_id)


def _trace_ids_logged(harness: Harness, command_id: str) -> list[str]:
    records = [r for r in harness.log_records() if r.get("event") == "command" and r.get("command_id") == command_id]
    return [r.get("trace_id") for r in records]


def _parts(traceparent: object) -> list[str]:
    assert isinstance(traceparent, str) and VALID.fullmatch(traceparent), traceparent
    return traceparent.split("-")


async def test_the_commands_trace_reaches_the_provider_the_event_and_the_log(harness: Harness, command_id: str) -> None:
    service = await harness.start(_accounts(harness))
    event = await service.send(
        "session.create", _create(command_id), headers={"traceparent": PARENT, "tracestate": STATE}
    )
    assert isinstance(event, SessionCreated)
    (sent,) = harness.simulator.traceparents
    _, trace_id, provider_span, flags = _parts(sent)
    assert (trace_id, flags) == (TRACE_ID, "01")
    headers = _event_message(harness, service.topology, command_id).headers
    _, event_trace, our_span, _ = _parts(headers["traceparent"])
    assert event_trace == TRACE_ID
    assert our_span not in (provider_span, "00f067aa0ba902b7")  # our span: neither the caller's nor the request's
    assert headers["tracestate"] == STATE  # vendor state travels unchanged
    assert _trace_ids_logged(harness, command_id) == [TRACE_ID]


async def test_every_retry_round_stays_in_the_commands_trace(harness: Harness, command_id: str) -> None:
    service = await harness.start(_accounts(harness))
    await service.publish("session.create", _create(command_id, amount=50000), headers={"traceparent": PARENT})
    (event,) = await harness.tap_for(service.topology).wait_for(command_id)
    assert isinstance(event, SessionFailed) and event.attempts == 3
    assert [_parts(sent)[1] for sent in harness.simulator.traceparents] == [TRACE_ID] * 3
    assert _trace_ids_logged(harness, command_id) == [TRACE_ID] * 3
    assert _parts(_event_message(harness, service.topology, command_id).headers["traceparent"])[1] == TRACE_ID


async def test_a_command_without_a_valid_traceparent_gets_a_trace_of_its_own(harness: Harness, command_id: str) -> None:
    """No header, and headers the spec calls invalid (version ff, upper case, an all-zero trace id): a new trace,
    the same at the provider, on the event and in the log."""
    service = await harness.start(_accounts(harness))
    invalid = [None, "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
               PARENT.upper(), "00-00000000000000000000000000000000-00f067aa0ba902b7-01"]  # fmt: skip
    for index, traceparent in enumerate(invalid):
        headers = {} if traceparent is None else {"traceparent": traceparent, "tracestate": STATE}
        await service.send("session.create", _create(f"{command_id}-{index}"), headers=headers)
        provider_trace = _parts(harness.simulator.traceparents[index])[1]
        event_headers = _event_message(harness, service.topology, f"{command_id}-{index}").headers
        assert provider_trace != TRACE_ID
        assert _parts(event_headers["traceparent"])[1] == provider_trace
        assert "tracestate" not in event_headers  # state belongs to the parent it came with
        assert _trace_ids_logged(harness, f"{command_id}-{index}") == [provider_trace]


async def test_a_dead_letter_carries_the_commands_trace(harness: Harness) -> None:
    service = await harness.start(_accounts(harness))
    await service.publish("session.create", b"\xff not json", headers={"traceparent": PARENT})
    (letter,) = await service.dead_letters(1)
    assert _parts(letter.headers["traceparent"])[1] == TRACE_ID
