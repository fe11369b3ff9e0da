"""R19: a three-node RabbitMQ cluster loses nodes under load (issue 12).

The cluster is our own (tests/rabbit_cluster.py: three nodes on free ports, quorum queues replicated on all
three). The replicas and the ledger are given every node in one address (``amqp://…@n1,n2,n3/vhost``) and move
to a live node by themselves. Under load: SIGKILL the node that leads the commands queue, then a node a replica
is connected to, then restart both. With two of three nodes down the quorum queues have no majority: publishes
are refused (nacked: the publisher knows to send them again) and deliveries stop until a node returns; nothing
may be lost or doubled meanwhile. The ledger of
the fault suite must pass: 0 lost, no command with two outcomes, at most one keyed provider create per command,
queues drained.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aio_pika
import pytest

from service.messaging.topology import declare
from service.settings import settings_from_mapping
from tests.faults.broker import BrokerControl, _json, _props
from tests.faults.commands import mixed
from tests.faults.conftest import FaultRun
from tests.harness import Harness
from tests.rabbit_cluster import RabbitCluster, rabbit_cluster_fixture  # noqa: F401 (the rabbit_cluster fixture)


class ClusterBroker(BrokerControl):
    """The fault suite's broker control on a vhost of the cluster: ``url`` names every node, and ``rabbitmqctl``
    goes to a node that is up."""

    def __init__(self, cluster: RabbitCluster, vhost: str) -> None:
        self.cluster = cluster
        self.vhost = vhost
        hosts = ",".join(f"127.0.0.1:{node.amqp_port}" for node in cluster.nodes)
        self.url = f"amqp://guest:guest@{hosts}/{vhost}"

    async def ctl(self, *args: str, timeout: float = 60.0, check: bool = True) -> str:
        return await self.cluster.ctl(None, *args, timeout=timeout, check=check)

    async def drop(self) -> None:
        await self.ctl("delete_vhost", self.vhost, check=False)

    async def nodes_of(self, connection_prefix: str) -> set[str]:
        """The nodes serving the client connections whose name starts with ``connection_prefix``."""
        rows = _json(
            await self.ctl("list_connections", "-p", self.vhost, "port", "client_properties", "--formatter", "json")
        )
        by_port = {node.amqp_port: node.name for node in self.cluster.nodes}
        return {
            by_port[int(row["port"])]
            for row in rows
            if str(_props(row.get("client_properties")).get("connection_name", "")).startswith(connection_prefix)
            and int(row.get("port") or 0) in by_port
        }


@pytest.fixture
async def cluster_faults(
    rabbit_cluster: RabbitCluster, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[FaultRun]:
    vhost = f"faults-cluster-{int(time.time())}-{uuid.uuid4().hex[:8]}"
    await rabbit_cluster.add_vhost(vhost)
    broker = ClusterBroker(rabbit_cluster, vhost)
    try:
        async with Harness(broker.url) as harness:
            run = FaultRun(broker, harness, tmp_path, request.node.name)
            try:
                yield run
            finally:
                with contextlib.suppress(Exception):
                    await rabbit_cluster.revive()  # whatever the test did: every node up for the clean-up
                await run.close()
    finally:
        await broker.drop()


async def _events_seen(faults: FaultRun, count: int, load: asyncio.Future[None], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while len(faults.ledger.deliveries) < count:
        if time.monotonic() > deadline or (load.done() and load.exception()):
            raise AssertionError(f"fewer than {count} events; {await _state(faults, load)}")
        await asyncio.sleep(0.05)


async def _state(faults: FaultRun, load: asyncio.Future[None]) -> str:
    """What the load, the broker and the replicas say, for a failure message."""
    broker = faults.broker
    assert isinstance(broker, ClusterBroker)
    ledger = faults.ledger
    parts = [
        f"load: {'running' if not load.done() else 'cancelled' if load.cancelled() else repr(load.exception())}",
        f"sent {len(ledger.sent_bodies)}, {Counter(ledger.status.values())}, unknown {sum(ledger.unknown.values())}",
    ]
    for what, probe in (
        ("queues", broker.queues("test." + faults.suffix)),
        ("consumers", broker.consumers(faults.topology.commands_queue)),
        ("connections", broker.connections()),
        ("leader", broker.cluster.queue_info(faults.topology.commands_queue, broker.vhost)),
        ("readyz", asyncio.gather(*(faults.replicas.readyz(r) for r in faults.replicas.live))),
    ):
        try:
            parts.append(f"{what}: {await probe}")
        except Exception as exc:
            parts.append(f"{what}: {type(exc).__name__} {exc}")
    return "; ".join(parts)


async def _until(probe: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := await probe()):
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.25)
    return value


@pytest.mark.slow
async def test_r19_cluster_loses_the_leader_then_a_replicas_node(
    cluster_faults: FaultRun, rabbit_cluster: RabbitCluster
) -> None:
    faults, cluster = cluster_faults, rabbit_cluster
    assert isinstance(faults.broker, ClusterBroker)
    broker, vhost, queue = faults.broker, faults.broker.vhost, faults.topology.commands_queue
    # The worst case, every time: the queues are declared on the first node, which leads them, and the ledger's
    # publisher and events consumer are connected there too (tests.harness.connect_any takes the first node).
    settings = settings_from_mapping(faults.replicas.config, {})
    async with await aio_pika.connect(cluster.nodes[0].url_for(vhost)) as connection:
        await declare(
            await connection.channel(),
            settings.topology,
            delivery_limit=settings.broker.delivery_limit,
            retry=settings.retry,
        )
    replicas = await faults.start(2)
    members = await cluster.members_of(queue, vhost)
    assert members == sorted(node.name for node in cluster.nodes), f"the commands queue is not on all three: {members}"
    faults.simulator.latency_ms = 30
    load = asyncio.ensure_future(faults.ledger.send_all(mixed(600, "r19"), per_second=40))
    await _events_seen(faults, 60, load)

    figures: dict[str, float] = {}
    leader = await cluster.leader_of(queue, vhost)
    started = time.monotonic()
    await cluster.kill(leader)
    new_leader = await cluster.wait_leader(queue, vhost, not_on=leader, timeout=60)
    figures["new leader elected s"] = time.monotonic() - started
    seen = len(faults.ledger.deliveries)
    await _events_seen(faults, seen + 40, load)  # commands keep becoming events on two nodes
    figures["40 more events after the kill s"] = time.monotonic() - started

    app_id = str(faults.replicas.config["broker"]["app_id"])
    serving = await _until(lambda: broker.nodes_of(app_id), 30, "no replica connection is listed")
    victim = sorted(serving)[0]  # a node a replica is connected to (perhaps the new leader: then no majority)
    await cluster.kill(victim)
    second_kill = time.monotonic()
    await asyncio.sleep(5)  # the replicas on it move to the last node; a queue without a majority waits
    await cluster.revive()  # both come back with their data and rejoin
    figures["both nodes back s"] = time.monotonic() - second_kill
    await cluster.wait_leader(queue, vhost, timeout=60)
    await replicas.wait_ready_again(60)
    faults.ledger.faults = 2
    await asyncio.wait_for(load, 300)
    report = await faults.ledger.check(replicas, timeout=180, allow_rotated_creates=True)
    after = await cluster.members_of(queue, vhost)
    assert after == members, f"members after the restarts: {after}"
    print(
        f"\nR19: killed leader {leader} (new leader {new_leader}), then {victim} (replicas' node); "
        + ", ".join(f"{name} {value:.1f}" for name, value in figures.items())
        + f"; ledger: {report.summary()}"
    )
