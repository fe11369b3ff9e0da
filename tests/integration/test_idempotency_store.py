"""Both idempotency stores, the same semantics; the Redis one against the real Redis."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from service.idempotency.memory import MemoryStore
from service.idempotency.records import Busy, Claimed, Done
from service.idempotency.redis_store import RedisStore
from service.ports import IdempotencyStore

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[IdempotencyStore]:
    if request.param == "memory":
        yield MemoryStore(retention=5)
        return
    redis_store = RedisStore.from_url(REDIS_URL, prefix=f"test-{uuid.uuid4().hex}:", retention=5)
    yield redis_store
    await redis_store.close()


async def test_claim_then_finish_then_duplicates_see_the_outcome(store: IdempotencyStore) -> None:
    assert await store.claim("c1", "fp", "t1", 5) == Claimed("t1")
    assert await store.claim("c1", "fp", "t2", 5) == Busy("t1", "fp")
    outcome = Done("fp", '{"type":"session.created"}')
    assert await store.finish("c1", "t1", outcome) == outcome
    assert await store.claim("c1", "fp", "t3", 5) == outcome
    assert await store.finish("c1", "t3", Done("fp", "other")) == outcome  # the first outcome stands


async def test_a_lease_is_handed_over_once(store: IdempotencyStore) -> None:
    assert await store.claim("c2", "fp", "t1", 5) == Claimed("t1")
    assert await store.extend("c2", "t1", 5)
    assert not await store.extend("c2", "t9", 5)
    assert await store.claim("c2", "fp", "t2", 5, previous="t1") == Claimed("t2")  # the retried message
    assert await store.claim("c2", "fp", "t3", 5, previous="t1") == Busy("t2", "fp")  # a second copy of it


async def test_an_expired_lease_can_be_taken_over(store: IdempotencyStore) -> None:
    assert await store.claim("c3", "fp", "t1", 0.1) == Claimed("t1")
    await asyncio.sleep(0.2)
    assert await store.claim("c3", "fp", "t2", 5) == Claimed("t2")
    assert await store.finish("c3", "t1", Done("fp", "late")) is None  # the old owner lost it


async def test_release_frees_only_for_the_owner(store: IdempotencyStore) -> None:
    await store.claim("c4", "fp", "t1", 5)
    await store.release("c4", "t2")
    assert isinstance(await store.claim("c4", "fp", "t2", 5), Busy)
    await store.release("c4", "t1")
    assert await store.claim("c4", "fp", "t2", 5) == Claimed("t2")


async def test_outcomes_expire_after_retention(store: IdempotencyStore) -> None:
    short = MemoryStore(retention=0.1) if isinstance(store, MemoryStore) else None
    if short is None:
        assert isinstance(store, RedisStore)
        short_redis = RedisStore.from_url(REDIS_URL, prefix=f"test-{uuid.uuid4().hex}:", retention=0.1)
        target: IdempotencyStore = short_redis
    else:
        target = short
    await target.claim("c5", "fp", "t1", 5)
    await target.finish("c5", "t1", Done("fp", "e"))
    await asyncio.sleep(0.2)
    assert await target.claim("c5", "fp", "t2", 5) == Claimed("t2")
    await target.close()


async def test_a_session_note_keeps_the_latest_and_forgets_after_its_time(store: IdempotencyStore) -> None:
    """service.expiry's notes: a note made earlier than the one kept (a replayed create after its update) is
    dropped, a later one replaces it, and a note is forgotten after its ttl."""
    key = f"session-{uuid.uuid4().hex}"
    assert await store.session_note(key) is None
    await store.note_session(key, "update", noted_at=2_000, ttl=5)
    await store.note_session(key, "create", noted_at=1_000, ttl=5)
    assert await store.session_note(key) == "update"
    await store.note_session(key, "second update", noted_at=3_000, ttl=0.3)
    assert await store.session_note(key) == "second update"
    await asyncio.sleep(0.5)
    assert await store.session_note(key) is None


async def _reads_processed(client: redis.Redis) -> int:
    return int((await client.info("stats"))["total_reads_processed"])


async def test_calls_in_flight_share_round_trips_and_each_gets_its_own_answer() -> None:
    """300 claims at once, as a full prefetch makes them: Redis's own read counter shows them arriving in a
    handful of pipelines, and each claim still gets its own answer (a second claim of an id sees the first)."""
    store = RedisStore.from_url(REDIS_URL, prefix=f"test-{uuid.uuid4().hex}:", retention=5)
    client = redis.Redis.from_url(REDIS_URL)
    try:
        await store.ping()
        before = await _reads_processed(client)
        answers = await asyncio.gather(*(store.claim(f"c{n % 150}", "fp", f"t{n}", 5) for n in range(300)))
        reads = await _reads_processed(client) - before - 1  # our own INFO
        assert answers[:150] == [Claimed(f"t{n}") for n in range(150)]
        assert answers[150:] == [Busy(f"t{n}", "fp") for n in range(150)]
        assert reads < 30, f"{reads} reads for 300 calls: not pipelined"
    finally:
        await store.close()
        await client.aclose()


async def test_scripts_redis_forgot_are_loaded_again() -> None:
    """SCRIPT FLUSH, as a restart or a failover to a replica that never ran them leaves Redis: the next calls
    (several in one pipeline) still get their answers."""
    store = RedisStore.from_url(REDIS_URL, prefix=f"test-{uuid.uuid4().hex}:", retention=5)
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert await store.claim("a", "fp", "t1", 5) == Claimed("t1")
        await client.script_flush()
        answers = await asyncio.gather(
            store.claim("a", "fp", "t2", 5), store.claim("b", "fp", "t3", 5), store.session_note("nothing")
        )
        assert answers == [Busy("t1", "fp"), Claimed("t3"), None]
    finally:
        await store.close()
        await client.aclose()
