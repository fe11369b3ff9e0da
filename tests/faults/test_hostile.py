"""S7, S9, S10 on the real broker: 300 hostile messages of every kind the security review found, then a valid
command, which must be processed. The consumer runs at prefetch 8, where five unsettled deliveries used to stop
it; afterwards every queue is empty (nothing ready, nothing unacknowledged) but the dead-letter queue, which
holds exactly the messages nobody could answer, and the ledger passes.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import aio_pika
import msgspec

from tests.faults import raw_publish
from tests.faults.commands import CREATE, UPDATE, new_id, primer, worldline
from tests.faults.conftest import FaultRun

PER_KIND = 20

# Nobody can answer these: each must be dead-lettered with its body (ledger: dead letters == poison sent).
POISON: dict[str, Callable[[int], tuple[bytes, dict[str, Any]]]] = {
    "invalid UTF-8 in a string": lambda i: (b'{"command_id":"u8-%d","provider":"primer","order_id":"\xff"}' % i, {}),
    "nesting 5,000 deep": lambda i: (b"[" * 5000 + b"]" * 5000, {}),
    "nesting inside a command": lambda i: (
        b'{"command_id":"deep-%d","provider":"primer","metadata":' % i + b"[" * 4000 + b"]" * 4000 + b"}",
        {},
    ),
    "arbitrary bytes": lambda i: (bytes(range(256)) * (i + 1), {}),
    "body over the limit": lambda i: (b'{"command_id":"big-%d","order_id":"' % i + b"x" * 300_000 + b'"}', {}),
    "wrong content type": lambda i: (msgspec.json.encode(primer(new_id("ct"))), {"content_type": "text/xml"}),
    "no usable command_id": lambda i: (msgspec.json.encode({"provider": "primer", "command_id": [i]}), {}),
}


def _odd_headers(i: int) -> dict[str, Any]:
    """Every header type the AMQP library sends, our own header names with the wrong types among them."""
    return {
        "x-payment-sessions-attempts": "many",
        "x-payment-sessions-lease": i,
        "x-payment-sessions-deferrals": -1,
        "x-payment-sessions-reason": {"nested": [1, "two", None]},
        "huge": 2**63 - 1,
        "price": Decimal("12.50"),
        "when": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        "flag": True,
        "nothing": None,
        "list": [1, 2.5, "x", [True]],
    }


# A command_id can be read: each gets exactly one terminal event (ledger: nothing lost, no second outcome),
# ``invalid_command`` naming the field, or a session when the command itself is fine.
EXPECTED = {
    "correlation_id of 256 ASCII": "correlation_id",
    "correlation_id of 200 é": "correlation_id",
    "issued_at without an offset": "issued_at",
    "a currency that is not ISO 4217": "currency",
    "a session id of ..": "session_id",
    "odd header types": None,
    "reply_to naming a shared queue": None,
}
ANSWERED: dict[str, Callable[[int], tuple[str, dict[str, Any], dict[str, Any]]]] = {
    "correlation_id of 256 ASCII": lambda i: (CREATE, primer(new_id("c256"), correlation_id="c" * 256), {}),
    "correlation_id of 200 é": lambda i: (CREATE, primer(new_id("c200"), correlation_id="é" * 200), {}),
    "issued_at without an offset": lambda i: (CREATE, primer(new_id("naive"), issued_at="2026-11-30T10:00:00"), {}),
    "a currency that is not ISO 4217": lambda i: (CREATE, {**primer(new_id("cur")), "currency": "XYZ"}, {}),
    "a session id of ..": lambda i: (
        UPDATE,
        {"command_id": new_id("dots"), "provider": "mpgs", "session_id": "..", "order_id": "o-1"},
        {},
    ),
    "odd header types": lambda i: (CREATE, worldline(new_id("hdr")), {"headers": _odd_headers(i)}),
    "reply_to naming a shared queue": lambda i: (CREATE, worldline(new_id("rt")), {"reply_to": "__DLQ__"}),
}

# Published through a hop that writes what client libraries refuse to encode (see raw_publish).
RAW: dict[str, Callable[[int], tuple[str, dict[str, Any], dict[str, Any]]]] = {
    "message_id that is not UTF-8": lambda i: (
        CREATE,
        worldline(new_id("rawid")),
        {"message_id": raw_publish.MESSAGE_ID},
    ),
    "reply_to that is not UTF-8, header name that is not UTF-8, timestamp past 9999": lambda i: (
        CREATE,
        worldline(new_id("rawmix")),
        {"reply_to": raw_publish.REPLY_TO, "headers": {raw_publish.HEADER_NAME: 1}, "timestamp": raw_publish.TIMESTAMP},
    ),
}


async def _straight_to_the_queue(faults: FaultRun, body: bytes) -> None:
    """Through the default exchange: the routing key is the queue's name, not a command type."""
    connection = await aio_pika.connect(faults.broker.url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        message = aio_pika.Message(body, content_type="application/json")
        await channel.default_exchange.publish(message, faults.topology.commands_queue, mandatory=True)
    faults.ledger.poison_sent += 1


async def _publish_raw(url: str, exchange_name: str, sends: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(exchange_name, ensure=False)
        for routing_key, body, properties in sends:
            message = aio_pika.Message(msgspec.json.encode(body), content_type="application/json", **properties)
            await exchange.publish(message, routing_key, mandatory=True)


async def test_hostile_input_settles_and_the_next_command_is_processed(faults: FaultRun) -> None:
    replicas = await faults.start(1, broker={"prefetch": 8})
    ledger = faults.ledger
    kinds: Counter[str] = Counter()
    sent: dict[str, list[str]] = {kind: [] for kind in ANSWERED}
    for index in range(PER_KIND):
        for kind, make in POISON.items():
            body, properties = make(index)
            await ledger.send_poison(body, **properties)
            kinds[kind] += 1
        await _straight_to_the_queue(faults, b'{"command_id": "direct"}')
        kinds["unknown routing key (default exchange)"] += 1
        for kind, make in ANSWERED.items():
            routing_key, body, properties = make(index)
            if properties.get("reply_to") == "__DLQ__":
                properties = {**properties, "reply_to": faults.topology.dead_letter_queue}
            await ledger.send(routing_key, body, **properties)
            sent[kind].append(body["command_id"])
            kinds[kind] += 1
    hop = raw_publish.RewritingHop(faults.broker.url)
    try:
        raw_url = await hop.start()
        sends = [make(index) for index in range(PER_KIND) for make in RAW.values()]
        for _, body, _ in sends:
            ledger.sent_bodies[body["command_id"]].append(msgspec.json.encode(body))
            ledger.status[body["command_id"]] = "confirmed"
        await _publish_raw(raw_url, faults.topology.commands_exchange, sends)
        kinds.update({kind: PER_KIND for kind in RAW})
    finally:
        await hop.close()
    assert sum(kinds.values()) >= 300, kinds

    last = worldline(new_id("after"))
    await ledger.send(CREATE, last)
    (event,) = await ledger.wait_for(last["command_id"])
    assert event.type == "session.created"

    ledger.faults = sum(kinds.values())
    report = await ledger.check(replicas)  # all settled: queues empty but the dead letters, nothing unacked
    queues = await faults.broker.queues(ledger.prefix)
    assert all(q["messages_unacknowledged"] == 0 for q in queues.values()), queues
    for kind, field in EXPECTED.items():
        for command_id in sent[kind]:
            (outcome,) = {(e.type, e.error_code, e.error_field) for e in ledger.events[command_id]}
            wanted = ("session.created", None, None) if field is None else ("session.failed", "invalid_command", field)
            assert outcome == wanted, (kind, outcome)
    outcomes = Counter(r["outcome"] for r in replicas.log_records() if r.get("event") == "command")
    print(f"\nhostile ledger: {dict(kinds)}\noutcomes: {dict(outcomes)}\n{report.summary()}")
    assert outcomes["dead_letter"] == ledger.poison_sent
