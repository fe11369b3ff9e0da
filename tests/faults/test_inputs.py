"""R11, S1, S2: hostile or broken input, and secrets that must stay where they belong.

S2's log injection (newlines, ANSI escapes, fake JSON in fields) is tests/integration/test_intake.py::
test_log_injection_stays_one_record; here every replica's whole log is checked to be one JSON record per
line, by the ledger in every test and below after a connection loss (the AMQP library's own records).
"""

from __future__ import annotations

import uuid
from typing import Any

import aio_pika
import msgspec
import pytest

from service.messaging.disposition import REASON_HEADER
from service.simulator import primer as primer_simulator
from tests.faults.commands import CREATE, UPDATE, new_id, primer, worldline
from tests.faults.conftest import ACQUIRED_KEY, MPGS_PASSWORD, PRIMER_KEY, WORLDLINE_SECRET, FaultRun
from tests.faults.processes import Replicas

PAN = "4000056655665556"  # a test card number: it must reach the provider and nothing else
CVV = "cvv-canary-7731"


def _marker() -> str:
    return f"MARKER-{uuid.uuid4().hex[:12]}"


async def _dead_letters(faults: FaultRun) -> list[aio_pika.abc.AbstractIncomingMessage]:
    """Everything in the dead-letter queue (taken: call it after ``check``)."""
    connection = await aio_pika.connect(faults.broker.url)
    found = []
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(faults.topology.dead_letter_queue)
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            found.append(message)
    return found


async def test_r11_poison_and_invalid_input(faults: FaultRun) -> None:
    """R11: undecodable body, wrong types, unknown fields, missing command_id, oversized body, wrong content
    type: dead-lettered (nothing to answer) or answered with ``session.failed`` (a command_id can be read);
    the service neither crashes nor loops; the log holds no body."""
    replicas = await faults.start(1)
    ledger = faults.ledger
    markers = [_marker() for _ in range(10)]
    poison: list[tuple[bytes, dict[str, Any], str]] = [
        (b"\x00\xff not json " + markers[0].encode(), {}, "body is not valid JSON"),
        (msgspec.json.encode({**primer("x"), "command_id": None, "order_id": markers[1]}), {}, "command_id"),
        (msgspec.json.encode({"command_id": 42, "provider": "primer", "order_id": markers[2]}), {}, "command_id"),
        (msgspec.json.encode([markers[3], 1, 2]), {}, "without a usable command_id"),
        (msgspec.json.encode(primer(new_id("r11ct"), order_id=markers[4])), {"content_type": "text/xml"}, "text/xml"),
        (msgspec.json.encode({**primer(new_id("r11big")), "order_id": markers[5] + "x" * 300_000}), {}, "exceeds"),
    ]
    answered = {
        "amount": {**primer(new_id("r11a")), "amount": "12.50", "metadata": {"note": markers[6]}},
        "colour": {**primer(new_id("r11b")), "colour": markers[7]},
        "currency": {**primer(new_id("r11c")), "currency": "eur", "metadata": {"note": markers[8]}},
        "session_id": {"command_id": new_id("r11d"), "provider": "primer", "metadata": {"note": markers[9]}},
    }
    good = [worldline(new_id("r11ok")) for _ in range(10)]
    for index, body in enumerate(good):
        await ledger.send(CREATE, body)
        if index < len(poison):
            data, properties, _ = poison[index]
            await ledger.send_poison(data, message_id=f"poison-{index}", **properties)
    for field, body in answered.items():
        await ledger.send(UPDATE if field == "session_id" else CREATE, body)
    ledger.faults = len(poison) + len(answered)
    report = await ledger.check(replicas)
    assert report.dead_letters == len(poison)
    for field, body in answered.items():
        (event,) = ledger.events[body["command_id"]]
        assert event.error_code == "invalid_command" and event.error_field == field, (field, event)
    for body in good:
        assert [e.type for e in ledger.events[body["command_id"]]] == ["session.created"]
    dead = {message.message_id: message for message in await _dead_letters(faults)}
    for index, (data, _, reason) in enumerate(poison):
        message = dead[f"poison-{index}"]
        assert message.body == data and reason in str(message.headers[REASON_HEADER]), (index, message.headers)
    outcomes = [r["outcome"] for r in replicas.log_records() if r.get("event") == "command"]
    assert outcomes.count("dead_letter") == len(poison)  # each poison handled once: no loop
    log = replicas.log_text()
    assert not [m for m in markers if m in log], "a body reached the log"


def _everything_published(faults: FaultRun, replicas: Replicas, dead: list[Any], metrics: list[str]) -> str:
    """Logs, events (bodies and headers), dead letters' headers and properties, metrics: one text to search."""
    events = [e.body.decode() + repr(e.headers) for e in faults.ledger.deliveries]
    dead_letters = [repr(m.headers) + repr(m.info()) for m in dead]
    return "\n".join([replicas.log_text(), *events, *dead_letters, *metrics])


async def _metrics_texts(replicas: Replicas) -> list[str]:
    return [repr(await replicas.metrics(replica)) for replica in replicas.live]


async def test_s1_secrets_stay_out_of_logs_events_dead_letters_metrics(faults: FaultRun) -> None:
    """S1: canary card number and CVV in a command's metadata (they go to the provider, which needs them, and
    nowhere else: events carry no metadata), every configured credential, the Acquired bearer token and MPGS's
    aes256Key from provider replies: none appears in logs, dead-letter headers, metric labels or events. A
    dead letter's *body* is the original message, kept whole so it can be replayed; it is not searched."""
    replicas = await faults.start(1)
    ledger = faults.ledger
    metadata = {"card_number": PAN, "cvv": CVV}
    await ledger.send(CREATE, primer(new_id("s1a"), metadata=metadata))
    await ledger.send(CREATE, primer(new_id("s1b"), amount=40000, metadata=metadata))  # provider 400
    await ledger.send(CREATE, worldline(new_id("s1c"), "sim-400"))
    await ledger.send(CREATE, {"command_id": new_id("s1d"), "provider": "mpgs", "amount": 1502, "currency": "GBP"})
    acquired = {"command_id": new_id("s1e"), "provider": "acquired", "order_id": "ord-s1e", "amount": 1502}
    await ledger.send(CREATE, {**acquired, "currency": "GBP"})
    await ledger.send_poison(msgspec.json.encode({**primer("x"), "command_id": None, "metadata": metadata}))
    ledger.faults = 2
    await ledger.check(replicas)
    assert [e.type for e in ledger.events[next(iter(ledger.events))]] == ["session.created"]
    state = faults.simulator
    aes_keys = [s["aes256Key"] for key, s in state.sessions.items() if key.startswith("mpgs:")]
    tokens = list(state.extra.get("acquired_tokens", {}))
    assert aes_keys and tokens, "the provider replies carried no secret to look for"
    text = _everything_published(faults, replicas, await _dead_letters(faults), await _metrics_texts(replicas))
    canaries = [PAN, CVV, PRIMER_KEY, WORLDLINE_SECRET, MPGS_PASSWORD, ACQUIRED_KEY, *aes_keys, *tokens]
    assert [c[:6] + "…" for c in canaries if c in text] == []


async def test_s1_command_values_quoted_by_validation_errors(faults: FaultRun) -> None:
    """S1: a card number in the wrong field (an enum, the provider tag) is refused without being repeated in
    the refusal's event, the dead-letter reason or the log."""
    replicas = await faults.start(1)
    ledger = faults.ledger
    options = {"payment_methods": [PAN]}
    await ledger.send(CREATE, {"command_id": new_id("s1f"), "provider": "acquired", "options": options})
    await ledger.send_poison(msgspec.json.encode({"provider": PAN, "amount": 100}))
    await ledger.check(replicas)
    text = _everything_published(faults, replicas, await _dead_letters(faults), await _metrics_texts(replicas))
    assert PAN not in text


async def test_s1_provider_error_echoing_a_card_number(faults: FaultRun, monkeypatch: pytest.MonkeyPatch) -> None:
    """S1, provider replies: a provider validation error that quotes the card number it refused (as real APIs
    do) must not carry it into the broadly consumed ``session.failed``."""
    create = primer_simulator._create

    def echoing(state: Any, body: Any) -> Any:
        metadata = body.metadata if isinstance(body.metadata, dict) else {}
        if "card_number" in metadata:
            return primer_simulator._invalid("$.metadata.card_number", f"{metadata['card_number']} is not allowed")
        return create(state, body)

    monkeypatch.setattr(primer_simulator, "_create", echoing)
    replicas = await faults.start(1)
    ledger = faults.ledger
    command_id = new_id("s1g")
    await ledger.send(CREATE, primer(command_id, metadata={"card_number": PAN}))
    (event,) = await ledger.wait_for(command_id)
    assert event.error_code == "validation_failed"
    await ledger.check(replicas)
    assert PAN not in event.body.decode()


async def test_s2_every_log_line_is_one_json_record_after_a_connection_loss(faults: FaultRun) -> None:
    """S2 at the process level: every line a replica writes is one JSON record, including what the AMQP
    library says when the broker drops the connection."""
    replicas = await faults.start(1)
    await faults.broker.close_all_connections("fault suite: S2")
    await replicas.wait_ready_again(15)
    await faults.ledger.send(CREATE, worldline(new_id("s2")))
    report = await faults.ledger.check(replicas)
    assert report.non_json_log_lines == 0, replicas.non_json_log_lines()[:3]
    library = [r for r in replicas.log_records() if str(r.get("logger", "")).startswith(("aiormq", "aio_pika"))]
    assert library, "the connection loss left no library record to check"
