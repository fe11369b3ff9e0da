"""R15: a large backlog, drained with bounded in-flight work and flat memory."""

from __future__ import annotations

import asyncio
import os
import statistics
import time

import pytest

from tests.faults.commands import CREATE, new_id, primer
from tests.faults.conftest import FaultRun
from tests.faults.processes import metric

PREFETCH = 64


@pytest.mark.slow
async def test_r15_large_backlog_drains_within_prefetch_and_flat_memory(faults: FaultRun) -> None:
    """R15: a large backlog (100k in reliability.md; 20,000 here by default, ``FAULT_BACKLOG`` to change it,
    sized so the drain takes well under two minutes on two shared cores): in-flight never exceeds the prefetch
    (read from /metrics throughout), the replica's memory (VmRSS) stays flat while draining."""
    count = int(os.environ.get("FAULT_BACKLOG", "20000"))
    await faults.start(0, broker={"prefetch": PREFETCH})
    await faults.replicas.declare_topology()  # the backlog builds up before any replica runs
    ledger = faults.ledger
    started = time.monotonic()
    await ledger.send_all([(CREATE, primer(new_id("r15"))) for _ in range(count)], concurrency=1000)
    published = time.monotonic() - started
    (replica,) = await faults.replicas.start(1)
    drain_started = time.monotonic()
    in_flight: list[float] = []
    rss: list[tuple[int, int]] = []  # (events so far, kB)
    while len(ledger.deliveries) < count and time.monotonic() - drain_started < 150:
        in_flight.append(metric(await faults.replicas.metrics(replica), "payment_sessions_commands_in_flight"))
        rss.append((len(ledger.deliveries), replica.rss_kb()))
        await asyncio.sleep(0.2)
    drained = time.monotonic() - drain_started
    ledger.faults = 0
    await ledger.check(faults.replicas)
    early = [kb for done, kb in rss if count * 0.1 <= done <= count * 0.3]
    late = [kb for done, kb in rss if done >= count * 0.7]
    early_mb, late_mb = statistics.median(early) / 1024, statistics.median(late) / 1024
    print(
        f"\nR15: {count} commands published in {published:.1f}s, drained in {drained:.1f}s "
        f"({count / drained:.0f}/s); in flight max {max(in_flight):.0f} of prefetch {PREFETCH} over "
        f"{len(in_flight)} samples; RSS {early_mb:.0f} MB -> {late_mb:.0f} MB"
    )
    assert max(in_flight) <= PREFETCH
    assert max(in_flight) > PREFETCH / 2  # the bound was actually reached: the backlog kept it busy
    assert late_mb - early_mb < 20, f"RSS grew {late_mb - early_mb:.1f} MB while draining"
