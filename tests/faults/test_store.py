"""R16: the idempotency store (Redis) goes away and comes back."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable

import pytest

from tests.faults.commands import CREATE, new_id, worldline
from tests.faults.conftest import FaultRun
from tests.faults.processes import metric
from tests.tcp_switch import TcpSwitch


@pytest.mark.slow
async def test_r16_store_outage_of_a_minute_parks_commands_and_dead_letters_none(faults: FaultRun) -> None:
    """R16: Redis unreachable for 60 s while 50 commands arrive: consuming pauses, readiness says not ready,
    nothing is dead-lettered or answered meanwhile; once Redis is back all 50 complete and the ledger passes."""
    switch = TcpSwitch()
    await switch.on()
    try:
        replicas = await faults.start(1, idempotency={"url": f"redis://127.0.0.1:{switch.port}/0"})
        (replica,) = replicas.live
        before = [worldline(new_id("pre")) for _ in range(5)]
        await faults.ledger.send_all([(CREATE, body) for body in before])
        await faults.ledger.wait_all()
        await switch.off()
        outage_started = time.monotonic()
        during = [worldline(new_id("outage")) for _ in range(50)]
        await faults.ledger.send_all([(CREATE, body) for body in during], per_second=5)
        await _eventually_async(lambda: replicas.readyz(replica), 503, timeout=15)
        assert not any(faults.ledger.events[body["command_id"]] for body in during)  # nothing answered
        await asyncio.sleep(max(0.0, 60 - (time.monotonic() - outage_started)))
        assert await replicas.readyz(replica) == 503
        assert not any(faults.ledger.events[body["command_id"]] for body in during)
        await switch.on()
        faults.ledger.faults = 1
        report = await faults.ledger.check(replicas, timeout=60)  # 55 outcomes, 0 dead letters, ready again
        assert report.dead_letters == 0
        outcomes = [r["outcome"] for r in replicas.log_records() if r.get("event") == "command"]
        assert "dead_letter" not in outcomes and "requeued" not in outcomes, outcomes
        assert outcomes.count("session.created") == 55
        parked = metric(await replicas.metrics(replica), "payment_sessions_idempotency_store_errors_total")
        assert parked == outcomes.count("parked") >= 1  # /metrics counts each command parked for the store
        print(f"\nR16: outcomes during and after the outage: {Counter(outcomes)}")
    finally:
        await switch.close()


async def _eventually_async(probe: Callable[[], Awaitable[object]], wanted: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while (value := await probe()) != wanted:
        assert time.monotonic() < deadline, f"{value!r}, expected {wanted!r}"
        await asyncio.sleep(0.2)
