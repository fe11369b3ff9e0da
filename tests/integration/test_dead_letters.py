"""The dead-letter CLI on the real broker: list leaves everything in place, replay is confirmed before the ack."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import msgspec
import pytest
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue

from contracts.events import SessionCreated
from service.__main__ import _parser
from service.deadletters import (
    REPLAYED_HEADER,
    DeadLetterError,
    format_line,
    list_dead_letters,
    original_routing_key,
    purge,
    reason_of,
    replay,
    replay_headers,
    run_from_args,
)
from service.messaging.disposition import REASON_HEADER
from service.settings import Settings
from tests.harness import Harness, RunningService, run_cli, write_config

PRIMER_KEY = "sim-primer-key-dead-letters"
CARD = b"4111111111111111"  # stands for body data that must never be printed


def _accounts(harness: Harness) -> dict[str, Any]:
    return {"default": {"primer": {"base_url": harness.simulator_url, "api_key": PRIMER_KEY}}}


def _create(command_id: str) -> bytes:
    return msgspec.json.encode({"command_id": command_id, "provider": "primer", "amount": 1250, "currency": "EUR"})


async def _dead_letter(
    harness: Harness,
    settings: Settings,
    body: bytes,
    *,
    message_id: str | None,
    routing_key: str = "session.create",
    reason: str = "content type 'text/plain' is not application/json",
    headers: dict[str, Any] | None = None,
    **properties: Any,
) -> None:
    """A dead letter as the service publishes one (the dead-letter exchange, our headers)."""
    channel = await harness.channel()
    exchange = await channel.get_exchange(settings.topology.dead_letter_exchange)
    all_headers = {
        **(headers or {}),
        REASON_HEADER: reason,
        "x-payment-sessions-original-exchange": settings.topology.commands_exchange,
        "x-payment-sessions-original-routing-key": routing_key,
        "x-payment-sessions-redelivered": False,
    }
    properties.setdefault("content_type", "application/json")
    message = aio_pika.Message(
        body,
        headers=all_headers,
        message_id=message_id,
        timestamp=datetime.now(UTC),
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        **properties,
    )
    await exchange.publish(message, routing_key)


async def _ready(harness: Harness, queue: str) -> int:
    """Ready messages now (a robust channel would answer a passive declare from its cache)."""
    channel = await (await harness.channel()).get_underlay_channel()
    declared = await channel.queue_declare(queue, passive=True)
    return declared.message_count or 0


async def _wait_ready(harness: Harness, queue: str, count: int, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while (ready := await _ready(harness, queue)) < count:
        assert asyncio.get_running_loop().time() < deadline, f"{ready} of {count} messages in {queue}"
        await asyncio.sleep(0.05)


async def _spy(harness: Harness, settings: Settings) -> AbstractQueue:
    """A queue that receives a copy of every command published to the commands exchange."""
    channel = await harness.channel()
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    await queue.bind(settings.topology.commands_exchange, "#")
    return queue


async def _next(queue: AbstractQueue, timeout: float = 10.0) -> AbstractIncomingMessage:
    deadline = asyncio.get_running_loop().time() + timeout
    while (message := await queue.get(no_ack=True, fail=False)) is None:
        assert asyncio.get_running_loop().time() < deadline, f"nothing in {queue.name}"
        await asyncio.sleep(0.05)
    return message


async def _service(harness: Harness, **overrides: Any) -> RunningService:
    return await harness.start(_accounts(harness), **overrides)


async def test_list_leaves_every_dead_letter_in_place(harness: Harness) -> None:
    service = await _service(harness)
    settings, queue = service.settings, service.topology.dead_letter_queue
    poison = {f"poison-{index}": b"not json " + CARD + bytes([48 + index]) for index in range(3)}
    for message_id, body in poison.items():
        await service.publish("session.create", body, message_id=message_id)
    await _wait_ready(harness, queue, 3)  # dead-lettered by the service itself
    direct = [f"direct-{index}" for index in range(3)]
    for message_id in direct:
        await _dead_letter(harness, settings, _create(message_id), message_id=message_id)

    first = await list_dead_letters(settings)
    second = await list_dead_letters(settings)

    ids = [letter.message_id for letter in first.letters]
    assert sorted(ids[:3]) == sorted(poison) and ids[3:] == direct
    assert [letter.message_id for letter in second.letters] == ids  # same count, same order
    assert first.queued == 6 and first.queue == queue
    for letter in first.letters[:3]:
        assert letter.source == "service" and "not valid JSON" in letter.reason
        assert letter.routing_key == "session.create"
        assert letter.message_id is not None and letter.size == len(poison[letter.message_id])
        assert letter.timestamp is not None and letter.replays == 0
    assert await _ready(harness, queue) == 6
    remaining = await service.dead_letters(6)
    assert [message.message_id for message in remaining] == ids
    assert [message.body for message in remaining[:3]] == [poison[message_id or ""] for message_id in ids[:3]]


async def test_replay_by_id_sends_the_command_again_and_leaves_the_others(harness: Harness, command_id: str) -> None:
    service = await _service(harness)
    settings, queue = service.settings, service.topology.dead_letter_queue
    spy = await _spy(harness, settings)
    channel = await harness.channel()
    replies = await channel.declare_queue(exclusive=True, auto_delete=True)
    other = f"cmd-{uuid.uuid4()}"
    await _dead_letter(harness, settings, _create(other), message_id=other)
    await _dead_letter(
        harness,
        settings,
        _create(command_id),
        message_id=command_id,
        correlation_id="corr-replay",
        reply_to=replies.name,
        headers={"x-sender-trace": "trace-1"},
    )

    report = await replay(settings, [command_id, "no-such-id"])

    assert [letter.message_id for letter in report.replayed] == [command_id]
    assert report.not_replayed == [] and report.missing == ["no-such-id"] and not report.complete
    (event,) = await harness.tap_for(settings.topology).wait_for(command_id)
    assert isinstance(event, SessionCreated)
    reply = await _next(replies)  # reply_to kept
    assert json.loads(reply.body)["command_id"] == command_id and reply.correlation_id == "corr-replay"
    command = await _next(spy)
    assert command.body == _create(command_id) and command.routing_key == "session.create"
    assert command.message_id == command_id and command.correlation_id == "corr-replay"
    assert command.content_type == "application/json"
    assert command.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert command.headers == {"x-sender-trace": "trace-1", REPLAYED_HEADER: 1}
    listing = await list_dead_letters(settings)
    assert [letter.message_id for letter in listing.letters] == [other]  # untouched
    assert await _ready(harness, queue) == 1


async def test_replay_all_replays_commands_only_and_never_loops(harness: Harness) -> None:
    service = await _service(harness)
    settings, queue = service.settings, service.topology.dead_letter_queue
    spy = await _spy(harness, settings)
    created, updated = f"cmd-{uuid.uuid4()}", f"cmd-{uuid.uuid4()}"
    update = {"command_id": updated, "provider": "primer", "session_id": "sim-unknown", "amount": 100}
    await _dead_letter(harness, settings, _create(created), message_id=created, headers={REPLAYED_HEADER: 2})
    await _dead_letter(harness, settings, msgspec.json.encode(update), message_id=updated, routing_key="session.update")
    await _dead_letter(harness, settings, b"not json", message_id="still-poison", reason="body is not valid JSON")
    await _dead_letter(harness, settings, _create("c"), message_id="not-a-command", routing_key="session.delete")

    report = await replay(settings, None)

    assert [letter.message_id for letter in report.replayed] == [created, updated, "still-poison"]
    assert [item.letter.message_id for item in report.not_replayed] == ["not-a-command"]
    assert "session.delete" in report.not_replayed[0].why and report.missing == []
    tap = harness.tap_for(settings.topology)
    assert isinstance((await tap.wait_for(created))[0], SessionCreated)
    await tap.wait_for(updated)  # whatever the provider says, the command was handled
    copies = {message.message_id: message for message in [await _next(spy) for _ in range(3)]}
    assert copies[created].headers[REPLAYED_HEADER] == 3
    assert copies[updated].headers[REPLAYED_HEADER] == 1
    # the poison is dead-lettered again by the service; replay --all took only what was queued at its start
    await _wait_ready(harness, queue, 2)
    listing = await list_dead_letters(settings)
    assert {letter.message_id for letter in listing.letters} == {"not-a-command", "still-poison"}
    assert next(letter for letter in listing.letters if letter.message_id == "still-poison").source == "service"


async def test_a_broker_dead_letter_is_listed_and_replayed(harness: Harness, command_id: str) -> None:
    service = await _service(harness, tap=False, broker={"delivery_limit": 1})
    settings, queue = service.settings, service.topology.dead_letter_queue
    await service.publish("session.create", _create(command_id), message_id=command_id)
    await _wait_ready(harness, queue, 1)  # its event is unroutable: the delivery limit dead-letters it

    (letter,) = (await list_dead_letters(settings)).letters
    assert letter.message_id == command_id and letter.source == "broker"
    assert letter.reason in ("delivery_limit", "rejected", "expired")
    assert letter.routing_key == "session.create" and letter.size == len(_create(command_id))

    tap = await harness.tap(settings.topology)  # now the event has somewhere to go
    spy = await _spy(harness, settings)
    report = await replay(settings, [command_id])
    assert [replayed.message_id for replayed in report.replayed] == [command_id] and report.complete
    assert isinstance((await tap.wait_for(command_id))[0], SessionCreated)
    command = await _next(spy)
    assert command.headers == {REPLAYED_HEADER: 1}  # x-death and x-first-death-* are gone
    assert await _ready(harness, queue) == 0


async def test_purge_refuses_without_yes(harness: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    service = await _service(harness)
    settings, queue = service.settings, service.topology.dead_letter_queue
    for index in range(3):
        await _dead_letter(harness, settings, b"x", message_id=f"purge-{index}")

    refused = await purge(settings, confirmed=False)
    assert (refused.count, refused.purged) == (3, False)
    assert await run_from_args(settings, _parser().parse_args(["dead-letters", "purge"])) == 1
    assert f"3 dead letters would be removed from {queue}; add --yes" in capsys.readouterr().out
    assert await _ready(harness, queue) == 3

    assert await run_from_args(settings, _parser().parse_args(["dead-letters", "purge", "--yes"])) == 0
    assert f"purged 3 dead letters from {queue}" in capsys.readouterr().out
    assert await _ready(harness, queue) == 0
    assert (await purge(settings, confirmed=False)).count == 0


async def test_a_missing_queue_is_reported(harness: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    settings = harness.settings(_accounts(harness))  # nothing declared
    with pytest.raises(DeadLetterError, match="does not exist"):
        await list_dead_letters(settings)
    assert await run_from_args(settings, _parser().parse_args(["dead-letters", "list"])) == 2
    assert "dead-letter queue" in capsys.readouterr().err


async def test_cli_lists_without_bodies(harness: Harness, tmp_path: Path) -> None:
    service = await _service(harness)
    settings, queue = service.settings, service.topology.dead_letter_queue
    plain = b'{"card": "' + CARD + b'"}'
    await _dead_letter(harness, settings, plain, message_id="plain-1")
    await _dead_letter(harness, settings, CARD, message_id="evil\x1b[2J", reason="body is not valid JSON")
    config = write_config(tmp_path / "dead-letters.toml", harness.amqp_url, settings.topology)

    code, out, err = await run_cli(config, "dead-letters", "list")
    assert code == 0, err
    lines = out.splitlines()
    reason = "content type 'text/plain' is not application/json"
    assert lines[0].split("\t")[:4] == ["plain-1", "session.create", reason, str(len(plain))]
    assert lines[1].startswith("evil\\x1b[2J\tsession.create\tbody is not valid JSON\t16\t")
    assert lines[2] == f"total: 2 dead letters in {queue}"
    assert "\x1b" not in out and CARD.decode() not in out + err
    assert "guest:guest@" not in out + err  # the broker is logged (to stderr) with its password masked
    assert all(json.loads(line)["level"] for line in err.splitlines())

    code, out, err = await run_cli(config, "dead-letters", "list", "--json")
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert [record["message_id"] for record in records] == ["plain-1", "evil\x1b[2J"]
    assert records[1]["reason"] == "body is not valid JSON" and records[1]["source"] == "service"
    assert CARD.decode() not in out
    assert await _ready(harness, queue) == 2


@pytest.mark.parametrize(
    ("headers", "reason", "routing_key"),
    [
        ({REASON_HEADER: "body is not valid JSON", "x-payment-sessions-original-routing-key": "session.create"},
         ("body is not valid JSON", "service"), "session.create"),
        ({"x-death": [{"reason": b"delivery_limit", "queue": "q", "routing-keys": [b"session.update"], "count": 1}],
          "x-first-death-reason": "delivery_limit"}, ("delivery_limit", "broker"), "session.update"),
        ({"x-first-death-reason": "rejected"}, ("rejected", "broker"), None),
        ({}, ("unknown", "unknown"), None),
    ],
)  # fmt: skip
def test_reason_and_routing_key_of_both_kinds(
    headers: dict[str, Any], reason: tuple[str, str], routing_key: str | None
) -> None:
    assert reason_of(headers) == reason
    assert original_routing_key(headers) == routing_key


def test_replay_headers_start_clean() -> None:
    headers = {
        "x-sender": "kept",
        REASON_HEADER: "r",
        "x-payment-sessions-original-exchange": "e",
        "x-payment-sessions-original-routing-key": "session.create",
        "x-payment-sessions-redelivered": True,
        REPLAYED_HEADER: 4,
        "x-death": [{"reason": "delivery_limit"}],
        "x-first-death-reason": "delivery_limit",
        "x-first-death-queue": "q",
        "x-first-death-exchange": "e",
        "x-last-death-reason": "delivery_limit",
        "x-delivery-count": 3,
    }
    assert replay_headers(headers) == {"x-sender": "kept", REPLAYED_HEADER: 5}
    assert replay_headers({REPLAYED_HEADER: True}) == {REPLAYED_HEADER: 1}


def test_a_line_escapes_control_characters() -> None:
    from service.deadletters import DeadLetterInfo

    letter = DeadLetterInfo(
        message_id="a\nb",
        routing_key=None,
        reason="r\x1b",
        source="unknown",
        size=3,
        timestamp=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        replays=0,
        deliveries=0,
    )
    assert format_line(letter) == "a\\x0ab\t-\tr\\x1b\t3\t2026-01-02T03:04:05Z"
