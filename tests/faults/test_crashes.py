"""R1, R2, R5: replicas that die (SIGKILL at random, SIGKILL at an exact point) or are asked to stop."""

from __future__ import annotations

import asyncio
import os
import random
import time

from tests.faults.amqp_proxy import AmqpProxy
from tests.faults.commands import CREATE, mixed, new_id, primer, worldline
from tests.faults.conftest import FaultRun
from tests.faults.processes import Replica, Replicas, metric


async def test_r1_sigkill_at_random_moments_under_load(faults: FaultRun) -> None:
    """R1: SIGKILL the service at random moments under load, restart it: ledger passes."""
    seed = int(os.environ.get("FAULT_SEED") or time.time())
    rng = random.Random(seed)
    print(f"\nR1 seed {seed} (FAULT_SEED={seed} replays the kill schedule)")
    replicas = await faults.start(2)
    faults.simulator.latency_ms = 40  # commands are at the provider when the blow falls
    load = asyncio.ensure_future(faults.ledger.send_all(mixed(360, "r1"), per_second=60))
    kills = 0
    while not load.done() and kills < 5:
        await asyncio.sleep(rng.uniform(0.4, 1.2))
        victim = rng.choice(replicas.live)
        await replicas.kill(victim)
        kills += 1
        await replicas.restart(victim, wait=rng.random() < 0.5)  # sometimes the other replica is alone a while
    await load
    assert kills >= 3
    faults.ledger.faults = kills
    await asyncio.gather(*(r.wait_ready() for r in replicas.live))
    await faults.ledger.check(replicas, allow_rotated_creates=True)  # a kill after a Primer create: see ledger


async def _wait_queue_depth(faults: FaultRun, depth: int, timeout: float = 15.0) -> None:
    """The commands queue has ``depth`` messages ready (call it when no replica consumes)."""
    deadline = time.monotonic() + timeout
    name = faults.topology.commands_queue
    while (await faults.broker.ready(name))[name] != depth:
        assert time.monotonic() < deadline, f"{name} never held {depth} messages"
        await asyncio.sleep(0.1)


async def _crash_at(faults: FaultRun, hold: str, body: dict[str, object]) -> Replica:
    """Start a replica behind the proxy, send ``body``, SIGKILL the replica at the held point."""
    proxy = AmqpProxy("127.0.0.1", 5672, faults.topology.events_exchange)
    port = await proxy.start()
    try:
        url = faults.broker.url.replace(":5672/", f":{port}/")
        (replica,) = await faults.replicas.start(1, amqp_url=url)
        proxy.arm(hold)  # type: ignore[arg-type]
        await faults.ledger.send(CREATE, body)
        await asyncio.wait_for((proxy.confirmed if hold == "ack" else proxy.held).wait(), 15)
        if hold == "ack":
            await faults.ledger.wait_for(str(body["command_id"]))  # the event is out, confirmed, consumed
        await faults.replicas.kill(replica)
    finally:
        await proxy.close()
    await _wait_queue_depth(faults, 1)  # the command was never acked: the broker has it again
    return replica


async def test_r2_crash_after_event_confirmed_before_ack(faults: FaultRun) -> None:
    """R2: crash after the event is confirmed but before the command is acked: redelivery republishes the same
    event_id, no second provider call. Deterministic: an AMQP proxy swallows the replica's frames after the
    event's publish (so the ack never reaches the broker) and the replica is SIGKILLed once the confirm is
    through. Second half: the crash falls between storing the outcome and publishing it (the proxy swallows
    the publish itself): the one event comes from the replica that takes over, still with one provider call."""
    await faults.start(0)
    ledger = faults.ledger
    replicas = faults.replicas
    for body in (worldline(new_id("r2w")), primer(new_id("r2p"))):
        command_id = str(body["command_id"])
        await _crash_at(faults, "ack", body)
        (first,) = ledger.events[command_id]
        (survivor,) = await replicas.start(1)
        events = await ledger.wait_for(command_id, 2)
        assert [e.event_id for e in events] == [first.event_id] * 2 and first.type == "session.created"
        assert _creates(faults, body) == 1
        assert await _logged_outcomes(survivor, command_id) == ["duplicate"]  # the stored event, republished as is
        await replicas.terminate(survivor)
    body = worldline(new_id("r2s"))
    command_id = str(body["command_id"])
    await _crash_at(faults, "publish", body)
    assert ledger.events[command_id] == []  # the event never left the dead replica
    (survivor,) = await replicas.start(1)
    (event,) = await ledger.wait_for(command_id)
    assert event.type == "session.created" and _creates(faults, body) == 1
    assert await _logged_outcomes(survivor, command_id) == ["duplicate"]
    ledger.faults = 3
    await ledger.check(replicas)


def _creates(faults: FaultRun, body: dict[str, object]) -> int:
    if body["provider"] == "worldline":
        return len(faults.ledger.calls_for(str(body["command_id"]), "worldline"))
    return sum(1 for c in faults.simulator.calls if c.provider == body["provider"] and c.operation == "create")


async def _logged_outcomes(replica: Replica, command_id: str, timeout: float = 10.0) -> list[str]:
    """The replica's outcome lines for the command, once there is one: a command's line is written after its ack,
    so its event can reach the ledger first. Polls the process's log (no event to await in another process)."""
    deadline = time.monotonic() + timeout
    while not (found := _outcomes(replica, command_id)) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return found


def _outcomes(replica: Replica, command_id: str) -> list[str]:
    return [
        r["outcome"] for r in replica.records() if r.get("event") == "command" and r.get("command_id") == command_id
    ]


async def _in_flight(replicas: Replicas, replica: Replica) -> float:
    return metric(await replicas.metrics(replica), "payment_sessions_commands_in_flight")


async def test_r5_sigterm_with_commands_in_flight(faults: FaultRun) -> None:
    """R5: SIGTERM with commands in flight: consuming stops at once, in-flight ones finish and are acked, exit
    within the grace period (``shutdown_grace`` = 10 s here)."""
    (replica,) = (await faults.start(1)).live
    replicas = faults.replicas
    ledger = faults.ledger
    faults.simulator.latency_ms = 1000  # each provider call takes 0.5-1.5 s, within the 2 s deadline
    in_flight = [worldline(new_id("r5a")) for _ in range(20)]
    await ledger.send_all([(CREATE, body) for body in in_flight])
    deadline = time.monotonic() + 10
    while await _in_flight(replicas, replica) < len(in_flight):
        assert time.monotonic() < deadline, "the commands never went in flight"
        await asyncio.sleep(0.05)
    stopping = asyncio.ensure_future(replicas.terminate(replica, timeout=20))
    deadline = time.monotonic() + 1.0
    while await replicas.readyz(replica) != 503 or await _consumers(faults) != 0:
        assert time.monotonic() < deadline, "still consuming a second after SIGTERM"
        await asyncio.sleep(0.05)
    later = [worldline(new_id("r5b")) for _ in range(10)]
    await ledger.send_all([(CREATE, body) for body in later])
    code, seconds = await stopping
    assert code == 0 and seconds < 10, (code, seconds)
    await ledger.wait_all([body["command_id"] for body in in_flight], timeout=10)  # no other replica runs
    for body in in_flight:  # finished by the stopping replica: one call each, the event out before the ack
        assert [e.type for e in ledger.events[body["command_id"]]] == ["session.created"]
        assert len(ledger.calls_for(body["command_id"])) == 1
    taken = {r.get("command_id") for r in replica.records() if r.get("event") == "command"}
    assert taken == {body["command_id"] for body in in_flight}  # nothing taken after SIGTERM
    await _wait_queue_depth(faults, len(later))  # acked: only the later ones are left, waiting
    faults.simulator.latency_ms = 0
    await replicas.start(1)
    ledger.faults = 1
    await ledger.check(replicas)


async def _consumers(faults: FaultRun) -> int:
    return await faults.broker.consumers(faults.topology.commands_queue)
