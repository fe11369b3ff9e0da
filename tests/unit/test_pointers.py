"""Expiry pointers in batches (service/messaging/pointers.py): the group commit against a fake publisher whose
confirms the test releases, and a returned batch through ExpiryWatch on a moved clock. The broker's part (a
batch through the real TTL tiers) is in tests/integration/test_session_expiry.py."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.events import SessionExpired
from service.expiry import ExpiryWatch, Note, tier_for
from service.idempotency.memory import MemoryStore
from service.messaging import pointers as wire
from service.messaging.delivery import Delivery
from service.messaging.outcomes import Drop, Later
from service.messaging.pointers import Pointer, PointerBatcher
from service.messaging.publisher import PublishFailed
from service.messaging.topology import EXPIRY_ROUTING_KEY, expiry_queue
from tests.unit.fakes import NOW, MovingClock, unit_settings

TIERS = (1.0, 10.0, 100.0, 1000.0, 10000.0)


class HeldPublisher:
    """Each publish waits until the test confirms it (or refuses it): what is in flight is visible."""

    def __init__(self) -> None:
        self.bodies: list[tuple[str, list[Pointer]]] = []
        self.confirms: list[asyncio.Future[None]] = []

    async def schedule(self, queue: str, body: bytes, headers: Mapping[str, Any], **properties: Any) -> None:
        self.bodies.append((queue, list(wire.decode(body))))
        confirm: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.confirms.append(confirm)
        await confirm


def _pointer(n: int) -> Pointer:
    return Pointer(key=f"{n:064x}", expires_at=NOW + timedelta(minutes=n), noted_at=n)


async def _settled() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_pointers_arriving_while_a_publish_waits_go_together_in_the_next() -> None:
    publisher = HeldPublisher()
    batcher = PointerBatcher(publisher)  # type: ignore[arg-type]
    first = asyncio.create_task(batcher.send("q", (_pointer(0),)))
    await _settled()
    assert [len(p) for _, p in publisher.bodies] == [1]  # alone: nothing waited for company
    rest = [asyncio.create_task(batcher.send("q", (_pointer(n),))) for n in range(1, 6)]
    await _settled()
    assert len(publisher.bodies) == 1 and not any(task.done() for task in [first, *rest])
    publisher.confirms[0].set_result(None)
    await _settled()
    assert first.done() and not any(task.done() for task in rest)  # each waits for its own publish's confirm
    assert [[p.noted_at for p in batch] for _, batch in publisher.bodies] == [[0], [1, 2, 3, 4, 5]]
    publisher.confirms[1].set_result(None)
    await asyncio.gather(*rest)


async def test_a_refused_batch_fails_every_command_it_carried_and_the_next_goes_on() -> None:
    publisher = HeldPublisher()
    batcher = PointerBatcher(publisher)  # type: ignore[arg-type]
    first = asyncio.create_task(batcher.send("q", (_pointer(0),)))
    await _settled()
    carried = [asyncio.create_task(batcher.send("q", (_pointer(n),))) for n in (1, 2)]
    await _settled()
    publisher.confirms[0].set_result(None)
    await _settled()
    publisher.confirms[1].set_exception(PublishFailed("not confirmed (nack)"))
    results = await asyncio.gather(*carried, return_exceptions=True)
    assert first.result() is None and all(isinstance(r, PublishFailed) for r in results)
    later = asyncio.create_task(batcher.send("q", (_pointer(3),)))
    await _settled()
    publisher.confirms[2].set_result(None)
    await later


async def test_queues_do_not_wait_for_each_other_and_batches_are_capped() -> None:
    publisher = HeldPublisher()
    batcher = PointerBatcher(publisher, max_batch=3)  # type: ignore[arg-type]
    tasks = [asyncio.create_task(batcher.send("a", (_pointer(0),))), asyncio.create_task(batcher.send("b", ()))]
    await _settled()
    assert [queue for queue, _ in publisher.bodies] == ["a", "b"]
    tasks += [asyncio.create_task(batcher.send("a", (_pointer(n), _pointer(n + 1)))) for n in (1, 3, 5)]
    await _settled()
    for confirm in publisher.confirms[:2]:
        confirm.set_result(None)
    while not all(task.done() for task in tasks):
        await _settled()
        for confirm in publisher.confirms:
            if not confirm.done():
                confirm.set_result(None)
    assert [len(batch) for queue, batch in publisher.bodies if queue == "a"] == [1, 2, 2, 2]


async def test_a_caller_that_gives_up_leaves_the_publish_to_the_others() -> None:
    publisher = HeldPublisher()
    batcher = PointerBatcher(publisher)  # type: ignore[arg-type]
    first = asyncio.create_task(batcher.send("q", (_pointer(0),)))
    await _settled()
    gone, stays = (asyncio.create_task(batcher.send("q", (_pointer(n),))) for n in (1, 2))
    await _settled()
    gone.cancel()
    publisher.confirms[0].set_result(None)
    await _settled()
    publisher.confirms[1].set_result(None)
    await asyncio.gather(first, stays)
    assert [p.noted_at for p in publisher.bodies[1][1]] == [1, 2]


def test_a_lone_pointer_object_from_before_batching_still_reads() -> None:
    pointer = _pointer(7)
    assert wire.decode(msgspec.json.encode(pointer)) == (pointer,)
    assert wire.decode(wire.encode([pointer, pointer])) == (pointer, pointer)
    for refused in (b"{}", b"[1]", b'[{"key": "k"}]', b"null", b'{"key":"k","expires_at":"x","noted_at":1}'):
        with pytest.raises((msgspec.DecodeError, msgspec.ValidationError)):
            wire.decode(refused)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(min_value=-50, max_value=50_000, allow_nan=False),  # seconds from now to the expiry
            st.sampled_from(["noted", "superseded", "forgotten"]),
        ),
        min_size=1,
        max_size=30,
    )
)
async def test_every_pointer_of_a_returned_batch_gets_exactly_one_fate(batch: list[tuple[float, str]]) -> None:
    """Due and noted: its session.expired; due and superseded or forgotten: nothing; not due: its next tier, with
    the pointers of one tier together. Generated batches, against tier_for and the store's notes."""
    clock, store, config = MovingClock(), MemoryStore(retention=3600), unit_settings()
    watch = ExpiryWatch(store, clock, config)
    pointers = []
    for n, (seconds, fate) in enumerate(batch):
        pointer = Pointer(key=f"{n:064x}", expires_at=NOW + timedelta(seconds=seconds), noted_at=1000 + n)
        pointers.append(pointer)
        if fate != "forgotten":
            noted_at = pointer.noted_at + (1 if fate == "superseded" else 0)
            note = Note(session_id=f"s-{n}", expires_at=pointer.expires_at, noted_at=noted_at,
                        envelope={"command_id": f"c-{n}", "correlation_id": None, "provider": "primer",
                                  "account": None, "order_id": None, "amount": None, "currency": None})  # fmt: skip
            await store.note_session(pointer.key, msgspec.json.encode(note).decode(), noted_at, 3600)
    delivery = Delivery(body=wire.encode(pointers), routing_key=EXPIRY_ROUTING_KEY)
    outcome = await watch.process(delivery)
    assert isinstance(outcome, Later | Drop)
    hops = outcome.hops if isinstance(outcome, Later) else ()
    events = outcome.events if isinstance(outcome, Later) else ()
    hopped = [(hop.queue, pointer) for hop in hops for pointer in hop.pointers]
    assert len({queue for queue, _ in hopped}) == len(hops)  # one hop per tier queue
    expected_events, expected_hops = [], []
    for pointer, (_, fate) in zip(pointers, batch, strict=True):
        tier = tier_for((pointer.expires_at - NOW).total_seconds(), TIERS)  # as stored: to the microsecond
        if tier is not None:
            expected_hops.append((expiry_queue(config.topology, tier), pointer))
        elif fate == "noted":
            expected_events.append(pointer)
    assert sorted(hopped, key=lambda h: h[1].key) == expected_hops
    assert [(e.session_id, e.expires_at) for e in events if isinstance(e, SessionExpired)] == [
        (f"s-{int(p.key, 16)}", p.expires_at) for p in expected_events
    ]
    if len(batch) > 1:
        assert outcome.label == "expiry_batch"
