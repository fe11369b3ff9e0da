"""The idempotency store through Redis Sentinel: a master, a replica and three sentinels of the test's own
(``tests/sentinel_cluster.py``), the store built from settings the way the service builds it.

A loop of claims runs while the master is SIGKILLed (or handed over with ``SENTINEL FAILOVER``): every error is
``StoreUnavailable``, the store answers again on the promoted replica, and the outcomes known to be replicated
are all there. Writes the old master acknowledged but had not replicated are lost with it (asynchronous
replication): after a kill, those of the last moment; after ``SENTINEL FAILOVER``, those it took between the
replica's promotion and the store's next look at the sentinels. The test counts them and prints the figure
rather than asserting it away: it is the window in which a command can be claimed twice.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from service.bootstrap import build_store
from service.idempotency.records import Claimed, Done, StoreUnavailable
from service.idempotency.redis_store import MASTER_LOOK_INTERVAL, RedisStore
from service.metrics import Metrics
from service.settings import SettingsError, settings_from_mapping
from tests.sentinel_cluster import MASTER_NAME, Node, SentinelCluster

PASSWORD = "data-node-pw-sentinel-test"
SENTINEL_PASSWORD = "sentinel-pw-sentinel-test"
BACK_WITHIN = 15.0  # seconds from the fault until the store answers on the new master
LEASE = 30.0
DB = 3  # the url's db is the one used on every data node


@pytest.fixture
async def cluster() -> AsyncIterator[SentinelCluster]:
    cluster = SentinelCluster(password=PASSWORD, sentinel_password=SENTINEL_PASSWORD)
    try:
        await cluster.start()
        yield cluster
    finally:
        await cluster.close()


def _sentinel_store(cluster: SentinelCluster, tmp_path: Path) -> tuple[RedisStore, str]:
    """As the service builds it: the sentinels, the master's name, the data nodes' password in ``url`` and the
    sentinels' own password from a file."""
    password_file = tmp_path / "sentinel-password"
    password_file.write_text(SENTINEL_PASSWORD + "\n")
    table: dict[str, Any] = {
        "backend": "redis",
        "sentinels": cluster.sentinel_addresses,
        "master_name": MASTER_NAME,
        "url": cluster.url(db=DB),
        "sentinel_password_file": str(password_file),
        "key_prefix": f"sentinel-test-{uuid.uuid4().hex[:8]}:",
    }
    store = build_store(settings_from_mapping({"idempotency": table}, {}), Metrics())
    assert isinstance(store, RedisStore)
    return store, table["key_prefix"]


async def _claim_and_finish(store: RedisStore, command_id: str) -> None:
    claim = await store.claim(command_id, "fp", uuid.uuid4().hex, LEASE)
    assert isinstance(claim, Claimed), claim
    assert await store.finish(command_id, claim.token, Done("fp", f'{{"id":"{command_id}"}}')) is not None


async def _replicated(cluster: SentinelCluster, master: Node) -> None:
    """Everything the master took so far is on the replica: one write of our own, then WAIT for it (the
    replication stream is one ordered stream, so every earlier write went first)."""
    async with cluster.client(master) as client:
        await client.set("sentinel-test:marker", "1")
        assert await client.wait(1, 5000) == 1


class ClaimLoop:
    """Workers claiming and finishing fresh commands as replicas would; on ``StoreUnavailable`` a worker probes
    ``ping`` (as the paused consumer does) and goes on once it answers. Any other exception fails the test."""

    def __init__(self, store: RedisStore, workers: int = 8) -> None:
        self.store = store
        self.workers = workers
        self.finished: list[tuple[str, float]] = []  # (command id, when the store acknowledged its outcome)
        self.errors = 0
        self.stop = asyncio.Event()

    async def run(self) -> None:
        await asyncio.gather(*(self._worker() for _ in range(self.workers)))

    async def _worker(self) -> None:
        while not self.stop.is_set():
            command_id = f"loop-{uuid.uuid4().hex}"
            try:
                await _claim_and_finish(self.store, command_id)
            except StoreUnavailable:
                self.errors += 1
                await self._until_ping_answers()
                continue
            self.finished.append((command_id, time.monotonic()))

    async def _until_ping_answers(self) -> None:
        while not self.stop.is_set():
            await asyncio.sleep(0.1)
            try:
                await self.store.ping()
                return
            except StoreUnavailable:
                continue

    def since(self, moment: float) -> list[str]:
        return [cid for cid, at in self.finished if at >= moment]


async def _present(cluster: SentinelCluster, node: Node, prefix: str, command_ids: list[str]) -> set[str]:
    """The ids whose record ``node`` holds (a lost one would be claimed anew: a second provider call)."""
    async with cluster.client(node, db=DB) as client, client.pipeline(transaction=False) as pipe:
        for command_id in command_ids:
            pipe.exists(f"{prefix}command:{command_id}")
        found = await pipe.execute()
    return {command_id for command_id, exists in zip(command_ids, found, strict=True) if exists}


async def _failover_under_load(cluster: SentinelCluster, store: RedisStore, prefix: str, fault: str) -> None:
    before = [f"before-{i}" for i in range(50)]
    for command_id in before:
        await _claim_and_finish(store, command_id)
    old = cluster.master
    await _replicated(cluster, old)
    loop = ClaimLoop(store)
    running = asyncio.ensure_future(loop.run())
    try:
        await asyncio.sleep(1.0)  # the loop is in full swing
        replicated_until = time.monotonic()
        await _replicated(cluster, old)  # what the loop wrote up to here is safe
        await asyncio.sleep(0.5)
        fault_at = time.monotonic()
        await (cluster.kill(old) if fault == "kill" else cluster.failover())
        new, promoted_after = await cluster.wait_promoted(old)
        promoted_at = time.monotonic()  # from here the new master replicates nothing: what it holds was written there
        while not await _present(cluster, new, prefix, loop.since(promoted_at)):
            assert time.monotonic() - fault_at < BACK_WITHIN, f"store not on the new master {BACK_WITHIN:g}s after"
            await asyncio.sleep(0.05)
        on_new_at = time.monotonic()
        await asyncio.sleep(1.0 + MASTER_LOOK_INTERVAL)  # and it keeps working there
    finally:
        loop.stop.set()
        await running  # raises whatever a worker met that was not StoreUnavailable
    safe = before + [cid for cid, at in loop.finished if at < replicated_until]
    assert await _present(cluster, new, prefix, safe) == set(safe)  # replicated before the fault: all there
    settled = loop.since(on_new_at + MASTER_LOOK_INTERVAL)
    assert await _present(cluster, new, prefix, settled) == set(settled)  # written on the new master
    window = [(cid, at) for cid, at in loop.finished if replicated_until <= at < on_new_at + MASTER_LOOK_INTERVAL]
    kept = await _present(cluster, new, prefix, [cid for cid, _ in window])
    lost = [at - fault_at for cid, at in window if cid not in kept]
    await store.ping()
    print(
        f"\nsentinel {fault}: promoted {new.name} after {promoted_after:.1f}s, store writing there after "
        f"{on_new_at - fault_at:.1f}s, {loop.errors} StoreUnavailable, {len(loop.finished)} outcomes; "
        f"{len(lost)} of {len(window)} acknowledged after the last WAIT lost with the old master"
        + (f" (acknowledged {min(lost):+.2f}s to {max(lost):+.2f}s from the {fault})" if lost else "")
    )


async def test_master_sigkilled_under_load_the_store_follows_the_promoted_replica(
    cluster: SentinelCluster, tmp_path: Path
) -> None:
    store, prefix = _sentinel_store(cluster, tmp_path)
    try:
        await _failover_under_load(cluster, store, prefix, "kill")
    finally:
        await store.close()


async def test_sentinel_failover_command_demotes_the_master_and_the_store_follows(
    cluster: SentinelCluster, tmp_path: Path
) -> None:
    """The planned variant; the demoted master then refuses writes (READONLY), which is StoreUnavailable."""
    store, prefix = _sentinel_store(cluster, tmp_path)
    try:
        await _failover_under_load(cluster, store, prefix, "failover")
    finally:
        await store.close()
    old = cluster.master
    async with cluster.client(old) as client:
        deadline = time.monotonic() + 15
        while (await client.info("replication"))["role"] != "slave":  # sentinels reconfigure it shortly after
            assert time.monotonic() < deadline, "the old master was never turned into a replica"
            await asyncio.sleep(0.1)
    direct = RedisStore.from_url(f"redis://:{PASSWORD}@127.0.0.1:{old.port}/{DB}", prefix="sentinel-test:", retention=5)
    try:
        with pytest.raises(StoreUnavailable, match="ReadOnlyError"):
            await direct.claim("on-a-replica", "fp", "t1", LEASE)
    finally:
        await direct.close()


async def test_no_master_known_is_store_unavailable(cluster: SentinelCluster, tmp_path: Path) -> None:
    """A master name the sentinels do not monitor: every operation and the probe are ``StoreUnavailable``."""
    table = {"backend": "redis", "sentinels": cluster.sentinel_addresses, "master_name": "nobody",
             "url": cluster.url(), "sentinel_password": SENTINEL_PASSWORD}  # fmt: skip
    store = build_store(settings_from_mapping({"idempotency": table}, {}), Metrics())
    try:
        with pytest.raises(StoreUnavailable, match="MasterNotFoundError"):
            await store.claim("c1", "fp", "t1", LEASE)
        with pytest.raises(StoreUnavailable):
            await store.ping()
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"sentinels": ["s:26379"]}, 'idempotency: sentinels need backend = "redis"'),
        ({"backend": "redis", "sentinels": ["s"]}, "idempotency: sentinels: 's' is not host:port"),
        ({"backend": "redis", "sentinels": ["s:0"]}, "idempotency: sentinels: 's:0' is not host:port"),
        ({"backend": "redis", "sentinels": ["s:1"], "master_name": ""}, "idempotency: master_name must name"),
        (
            {"backend": "redis", "sentinels": ["s:1"], "url": "rediss://:hunter2@r/0"},
            "idempotency: with sentinels, url must be redis://",
        ),
        ({"backend": "redis", "sentinel_password": "hunter2"}, "idempotency: sentinel_password is set but"),
    ],
)
def test_sentinel_settings_are_checked_in_one_line(table: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError) as raised:
        settings_from_mapping({"idempotency": table}, {})
    assert str(raised.value).startswith(message)
    assert "hunter2" not in str(raised.value) and "\n" not in str(raised.value)


def test_sentinel_settings_accepted() -> None:
    table = {"backend": "redis", "sentinels": ["s-0:26379", "[::1]:26380"], "master_name": "payments"}
    idempotency = settings_from_mapping({"idempotency": table}, {"REDIS_URL": "redis://:pw@ignored:1/2"}).idempotency
    assert idempotency.sentinel_addresses() == [("s-0", 26379), ("::1", 26380)]
    assert idempotency.url.reveal() == "redis://:pw@ignored:1/2" and idempotency.sentinel_password is None
