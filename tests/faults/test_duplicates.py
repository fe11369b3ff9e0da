"""R3, R4: duplicates and reused command ids, across two replicas sharing the Redis idempotency store."""

from __future__ import annotations

import asyncio
from collections import Counter

from tests.faults.commands import CREATE, new_id, primer, worldline
from tests.faults.conftest import FaultRun


async def test_r3_same_command_three_times_on_two_replicas(faults: FaultRun) -> None:
    """R3: the same command published 3 times (also to 2 replicas at once): one provider create, one distinct
    event_id."""
    replicas = await faults.start(2)
    faults.simulator.latency_ms = 300  # the copies overlap: one replica works while the other sees it busy
    ledger = faults.ledger
    commands = [worldline(new_id("r3w")) for _ in range(20)] + [primer(new_id("r3p")) for _ in range(10)]
    await asyncio.gather(*(ledger.send(CREATE, body) for body in commands for _ in range(3)))
    ledger.faults = 2 * len(commands)
    for body in commands:
        events = await ledger.wait_for(body["command_id"], 3)
        assert len({e.event_id for e in events}) == 1, events  # every copy answered with the same event
        assert events[0].type == "session.created"
    for body in commands[:20]:
        assert len(ledger.calls_for(body["command_id"], "worldline")) == 1
    primer_creates = [c for c in faults.simulator.calls if c.provider == "primer" and c.operation == "create"]
    assert len(primer_creates) == 10  # Primer sends no key, so this is the idempotency store's doing alone
    outcomes = Counter(r.get("outcome") for r in replicas.log_records() if r.get("event") == "command")
    assert outcomes["deferred"] > 0 and outcomes["duplicate"] > 0, outcomes  # both paths were exercised
    assert {r.index for r in replicas.all if any(x.get("outcome") for x in r.records())} == {0, 1}
    await ledger.check(replicas, allow_unkeyed_extra_creates=False)


async def test_r4_same_command_id_other_payload(faults: FaultRun) -> None:
    """R4: same command_id, different payload: a conflict outcome, the provider is not called again, the first
    outcome stands. Checked after the first finished, and while it is still in progress on the other replica."""
    replicas = await faults.start(2)
    ledger = faults.ledger
    done_first = [new_id("r4a") for _ in range(5)]
    for command_id in done_first:
        await ledger.send(CREATE, worldline(command_id))
        (first,) = await ledger.wait_for(command_id)
        await ledger.send(CREATE, worldline(command_id, "tok-other"))  # same id, another payload
        await ledger.wait_for(command_id, 2)
        await ledger.send(CREATE, worldline(command_id))  # the original again: the first outcome stands
        events = await ledger.wait_for(command_id, 3)
        conflict = events[1]
        assert conflict.type == "session.failed" and conflict.is_conflict_refusal and not conflict.retryable
        assert events[2].event_id == first.event_id and events[2].type == "session.created"
        assert len(ledger.calls_for(command_id, "worldline")) == 1
    faults.simulator.latency_ms = 1000  # the first copy is still at the provider when the second arrives
    in_progress = [new_id("r4b") for _ in range(5)]
    for command_id in in_progress:
        await ledger.send(CREATE, worldline(command_id))
    for command_id in in_progress:
        await ledger.send(CREATE, worldline(command_id, "tok-other"))
    for command_id in in_progress:
        events = await ledger.wait_for(command_id, 2)
        assert sorted(e.type for e in events) == ["session.created", "session.failed"], events
        assert sum(e.is_conflict_refusal for e in events) == 1
        assert len(ledger.calls_for(command_id, "worldline")) == 1
    ledger.faults = 15
    report = await ledger.check(replicas)
    assert report.conflicts == 10


async def test_r4_invalid_then_valid_payload_same_command_id(faults: FaultRun) -> None:
    """R4, first payload invalid: the answer (``invalid_command``) is the first outcome and must stand; the
    valid payload under the same command_id afterwards must be a conflict, with no provider call."""
    replicas = await faults.start(1)
    ledger = faults.ledger
    command_id = new_id("r4c")
    await ledger.send(CREATE, {**primer(command_id), "amount": "12.50"})  # wrong type: invalid_command
    (first,) = await ledger.wait_for(command_id)
    assert first.error_code == "invalid_command"
    await ledger.send(CREATE, primer(command_id))
    events = await ledger.wait_for(command_id, 2)
    assert events[1].is_conflict_refusal, events[1]
    assert [c for c in faults.simulator.calls if c.provider == "primer"] == []
    ledger.faults = 1
    await ledger.check(replicas)
