"""R17: the idempotency store's Redis master is SIGKILLed under load and Sentinel promotes its replica.

Two replicas find the master through three sentinels (``tests/sentinel_cluster.py``). The commands in hand when
the master dies are parked, consuming pauses until the promoted replica answers, and the ledger passes. A
command whose provider call was under way when the store went away is run again after it comes back (its
outcome could not be stored): at Worldline with the same idempotency key (one session), at Primer under a
derived key after 409 (a ``rotated`` create; the first session expires). The test prints how many provider
calls were repeated that way. (How many acknowledged writes a promotion loses is measured at the store level,
``tests/integration/test_sentinel.py``.)
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from tests.faults.commands import mixed
from tests.faults.conftest import FaultRun
from tests.sentinel_cluster import MASTER_NAME, SentinelCluster


async def test_r17_redis_master_sigkilled_under_load_sentinel_promotes_the_replica(faults: FaultRun) -> None:
    cluster = SentinelCluster()
    try:
        await cluster.start()
        sentinel = {"sentinels": cluster.sentinel_addresses, "master_name": MASTER_NAME, "url": cluster.url()}
        replicas = await faults.start(2, idempotency=sentinel, retry={"store_delay": 1.0})
        faults.simulator.latency_ms = 30  # commands are at the provider when the master dies
        load = asyncio.ensure_future(faults.ledger.send_all(mixed(300, "r17"), per_second=50))
        await asyncio.sleep(2.0)
        old = cluster.master
        killed_at = time.monotonic()
        await cluster.kill(old)
        new, promoted_after = await cluster.wait_promoted(old)
        await load
        faults.ledger.faults = 1
        report = await faults.ledger.check(replicas, allow_rotated_creates=True)
        settled_after = time.monotonic() - killed_at
        outcomes = Counter(r["outcome"] for r in replicas.log_records() if r.get("event") == "command")
        resumed = [r for r in replicas.log_records() if r.get("event", "").startswith("consuming resumed")]
        assert outcomes["parked"] >= 1 and len(resumed) >= 1, (outcomes, resumed)  # it did pause and resume
        worldline_repeats = sum(
            max(0, len(faults.ledger.calls_for(cid, "worldline")) - 1) for cid in faults.ledger.sent_bodies
        )
        print(
            f"R17: {new.name} promoted {promoted_after:.1f}s after the SIGKILL, ledger settled "
            f"{settled_after:.1f}s after it; outcomes {dict(outcomes)}; provider calls repeated after the store "
            f"came back: Worldline {worldline_repeats} (same key, one session each), Primer rotated "
            f"{report.rotated_creates}; dup_creates {report.duplicate_provider_creates}"
        )
    finally:
        await faults.replicas.stop_all()  # before their store goes away
        await cluster.close()
