"""The memory idempotency store stays within ``max_records``: the oldest finished outcomes go first, leases never."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from service.idempotency.memory import MemoryStore
from service.idempotency.records import Busy, Claimed, Done


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _finish(store: MemoryStore, command_id: str) -> None:
    assert isinstance(await store.claim(command_id, "fp", "t-" + command_id, 60), Claimed)
    await store.finish(command_id, "t-" + command_id, Done("fp", "{}"))


async def test_the_oldest_finished_outcomes_are_forgotten_first_and_counted() -> None:
    evicted: list[int] = []
    store = MemoryStore(retention=3600, max_records=3, on_evict=lambda: evicted.append(1))
    for command_id in ("a", "b", "c", "d"):
        await _finish(store, command_id)
    assert len(store) == 3 and len(evicted) == 1
    assert isinstance(await store.claim("a", "fp", "new", 60), Claimed)  # forgotten: treated as new
    assert isinstance(await store.claim("d", "fp", "new", 60), Done)  # the newest stands


async def test_leases_in_progress_are_never_evicted() -> None:
    store = MemoryStore(retention=3600, max_records=2)
    await store.claim("busy", "fp", "token", 60)
    for command_id in ("a", "b", "c"):
        await _finish(store, command_id)
    assert await store.claim("busy", "fp", "other", 60) == Busy("token", "fp")


async def test_expired_records_go_before_live_ones() -> None:
    clock = Clock()
    store = MemoryStore(retention=10, max_records=100, clock=clock)
    await _finish(store, "old")
    clock.now = 11
    await _finish(store, "new")
    assert len(store) == 1 and isinstance(await store.claim("old", "fp", "t", 60), Claimed)


@settings(max_examples=50, deadline=None)
@given(ids=st.lists(st.text(min_size=1, max_size=4), min_size=1, max_size=60), cap=st.integers(1, 10))
async def test_never_more_finished_records_than_the_cap(ids: list[str], cap: int) -> None:
    store = MemoryStore(retention=3600, max_records=cap)
    for command_id in ids:
        claim = await store.claim(command_id, "fp", "t-" + command_id, 60)
        if isinstance(claim, Claimed):
            await store.finish(command_id, claim.token, Done("fp", "{}"))
        assert len(store) <= cap
