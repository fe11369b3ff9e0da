"""Property tests (S7): whatever a delivery holds, it is settled exactly once.

Hypothesis generates bodies (arbitrary bytes, JSON-shaped documents, commands with one field broken, invalid
UTF-8 inside strings, nesting thousands deep), routing keys, header tables of every type the AMQP library
decodes (including the ones it cannot encode again) and properties; the store and the publisher fail at
random. Each delivery must end in exactly one ack or requeue, at most one broker write, and a dead letter
that keeps the body byte for byte. The publisher fake encodes headers and properties with the AMQP library's
own encoder, so a header we could not send again fails the test.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.messaging.delivery import ATTEMPTS_HEADER, DEFERRALS_HEADER, LEASE_HEADER, Delivery
from tests.unit.fakes import FakeSettlement, bootstrap_test_app, provider_down

LABELS = {"session.created", "session.updated", "session.failed", "duplicate", "conflict", "forbidden",
          "deferred", "parked", "dead_letter", "requeued", "retry_in_1s", "retry_in_5s"}  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.binary(max_size=40),  # AMQP byte arrays and long strings that are not UTF-8 decode to bytes
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**6), max_value=10**6),
    st.datetimes(min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2100, 1, 1)),
)
header_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)  # fmt: skip
ours = st.sampled_from([ATTEMPTS_HEADER, LEASE_HEADER, DEFERRALS_HEADER, "x-death", "x-delivery-count"])
headers = st.dictionaries(st.one_of(ours, st.text(max_size=20)), header_values, max_size=5)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
fields = st.sampled_from(["command_id", "provider", "account", "amount", "currency", "order_id", "session_id",
                          "customer", "metadata", "options", "issued_at", "correlation_id", "colour"])  # fmt: skip


@st.composite
def commands(draw: st.DrawFn) -> bytes:
    """A valid-looking command with zero or more fields replaced by anything JSON can hold."""
    body: dict[str, Any] = {
        "command_id": draw(st.sampled_from(["c-1", "c-2", "c-3"])),
        "provider": "primer",
        "amount": draw(st.integers(min_value=0, max_value=10**6)),
        "currency": "EUR",
        "session_id": "tok-1",
        "account": draw(st.sampled_from(["default", "shop"])),
    }
    for name in draw(st.lists(fields, max_size=3)):
        body[name] = draw(json_values)
    return msgspec.json.encode(body)


def _invalid_utf8(body: bytes) -> bytes:
    return body.replace(b'"primer"', b'"prim\xff\xfeer"', 1)


bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(msgspec.json.encode),
    commands(),
    commands().map(_invalid_utf8),
    st.integers(min_value=1, max_value=6000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.integers(min_value=1, max_value=6000).map(
        lambda depth: b'{"command_id": "deep", "provider": "primer", "metadata": ' + b"[" * depth + b"]" * depth + b"}"
    ),
    st.just(b'{"command_id": "big", "provider": "primer", "order_id": "' + b"x" * 5000 + b'"}'),
)
short_text = st.one_of(st.none(), st.text(max_size=30))
deliveries = st.builds(
    Delivery,
    body=bodies,
    routing_key=st.one_of(st.sampled_from(["session.create", "session.update"]), st.text(max_size=20)),
    exchange=st.text(max_size=10),
    headers=headers,
    content_type=st.one_of(
        st.none(), st.sampled_from(["application/json", "application/json; charset=utf-8"]), st.text(max_size=20)
    ),
    message_id=short_text,
    correlation_id=short_text,
    reply_to=st.one_of(short_text, st.just("amq.gen-reply")),
    user_id=st.one_of(st.none(), st.sampled_from(["shop-orders", "intruder"])),
    redelivered=st.booleans(),
)
faults = st.fixed_dictionaries(
    {"store_down": st.booleans(), "publish_refused": st.booleans(), "provider_down": st.booleans()}
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(st.tuples(deliveries, faults), min_size=1, max_size=6))
async def test_every_delivery_is_settled_exactly_once(batch: list[tuple[Delivery, dict[str, bool]]]) -> None:
    app = bootstrap_test_app(broker={"max_body_bytes": 4096})
    for delivery, fault in batch:
        app.store.down = fault["store_down"]
        app.publisher.refuse = fault["publish_refused"]
        app.provider.failures = {cid: provider_down() for cid in ("c-1", "c-2")} if fault["provider_down"] else {}
        before = len(app.publisher.writes)
        settlement = FakeSettlement()

        label, processed = await app.deliver(delivery, settlement)

        assert settlement.settlements == 1, (label, processed)
        assert label in LABELS, label
        written = app.publisher.writes[before:]
        assert len(written) == (0 if label == "requeued" else 1)
        if label == "requeued":
            assert settlement.requeues == 1
        elif label == "dead_letter":
            (write,) = written
            assert write.kind == "dead_letter" and write.body == delivery.body
        elif label == "parked":
            assert processed.store_unavailable and written[0].kind == "schedule"


@given(delivery=deliveries)
@settings(max_examples=300, deadline=None)
def test_reading_a_delivery_never_raises(delivery: Delivery) -> None:
    from service.messaging.intake import take

    take(delivery.routing_key, delivery.content_type, delivery.body, max_body_bytes=4096)
