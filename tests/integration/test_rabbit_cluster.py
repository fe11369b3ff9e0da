"""The three-node cluster helper (tests/rabbit_cluster.py) does what the cluster fault tests rely on: a quorum
queue declared on one node is replicated on all three, killing its leader's VM elects a leader among the other
two without losing a confirmed message, and the killed node comes back with its data as a member again.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter

import aio_pika
import pytest

from tests.rabbit_cluster import RabbitCluster, rabbit_cluster_fixture  # noqa: F401 (the rabbit_cluster fixture)

MESSAGES = 100
ELECTION_TIMEOUT = 30.0
REJOIN_TIMEOUT = 60.0


async def _wait_online(cluster: RabbitCluster, queue: str, member: str, timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    while member not in (online := await cluster.online_members_of(queue)):
        assert time.monotonic() < deadline, f"{member} is not an online member of {queue} again: {online}"
        await asyncio.sleep(0.5)
    return online


async def test_a_killed_leader_is_replaced_and_rejoins_without_losing_messages(rabbit_cluster: RabbitCluster) -> None:
    cluster = rabbit_cluster
    queue_name = f"ps-cluster-smoke-{uuid.uuid4().hex[:8]}"
    connection_name = f"smoke-publisher-{uuid.uuid4().hex[:8]}"
    first = cluster.nodes[0]
    try:
        connection = await aio_pika.connect(first.url, client_properties={"connection_name": connection_name})
        async with connection:
            channel = await connection.channel()  # publisher confirms on
            queue = await channel.declare_queue(queue_name, durable=True, arguments={"x-queue-type": "quorum"})
            bodies = {f"message-{index}".encode() for index in range(MESSAGES)}
            await asyncio.gather(
                *(
                    channel.default_exchange.publish(
                        aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=queue.name
                    )
                    for body in bodies
                )
            )  # each publish returns once the broker confirmed it
            assert await cluster.node_of_connection(connection_name) == first.name

        assert await cluster.members_of(queue_name) == sorted(node.name for node in cluster.nodes)
        leader = await cluster.leader_of(queue_name)
        assert leader in {node.name for node in cluster.nodes}

        killed_at = time.monotonic()
        await cluster.kill(leader)
        new_leader = await cluster.wait_leader(queue_name, not_on=leader, timeout=ELECTION_TIMEOUT)
        election_seconds = time.monotonic() - killed_at
        assert new_leader != leader

        survivor = next(node for node in cluster.nodes if node.name != leader)
        received = set()
        async with await aio_pika.connect(survivor.url) as connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(queue_name, passive=True)
            assert queue.declaration_result.message_count == MESSAGES
            while (message := await queue.get(fail=False, timeout=10)) is not None:
                received.add(message.body)
                await message.ack()
        assert received == bodies

        restarted_at = time.monotonic()
        await cluster.start_node(leader)
        online = await _wait_online(cluster, queue_name, leader, REJOIN_TIMEOUT)
        assert online == sorted(node.name for node in cluster.nodes)
        await cluster.wait_clustered()
        print(  # shown with -s: the figures the fault tests are sized on
            f"cluster boot {cluster.boot_seconds:.1f}s, new leader {new_leader} after {election_seconds:.1f}s, "
            f"{leader} back as a member after {time.monotonic() - restarted_at:.1f}s"
        )
    finally:
        await cluster.revive()
        await cluster.ctl(None, "delete_queue", queue_name, check=False)


async def _publish_results(url: str, exchange_name: str, seconds: float, *, renew_on_nack: bool) -> list[str]:
    """Confirmed publishes every 50 ms for ``seconds`` on one channel of a new connection to ``url``: "ack" or
    "nack" each, in order; with ``renew_on_nack`` the channel is replaced after each nack."""
    results: list[str] = []
    deadline = time.monotonic() + seconds
    async with await aio_pika.connect(url) as connection:
        channel = await connection.channel()
        while time.monotonic() < deadline:
            exchange = await channel.get_exchange(exchange_name, ensure=False)
            try:
                await exchange.publish(aio_pika.Message(b"x", delivery_mode=2), "k", mandatory=True, timeout=5)
                results.append("ack")
            except aio_pika.exceptions.DeliveryError:
                results.append("nack")
                if renew_on_nack:
                    await channel.close()
                    channel = await connection.channel()
            await asyncio.sleep(0.05)
    return results


async def test_a_channel_opened_while_a_quorum_queue_had_no_leader_is_renewed_after_a_nack(
    rabbit_cluster: RabbitCluster,
) -> None:
    """The broker behaviour the service and the client work around (service.messaging.publisher, ``_renew``): on
    this RabbitMQ (3.10.8) a channel whose first publish to a quorum queue fell while the queue's leader was down
    kept nacking for as long as we watched, long after the new leader; a new channel publishes at once. Whatever a
    later RabbitMQ does with the old channel, renewing after a nack must get the publishes through."""
    cluster = rabbit_cluster
    name = f"ps-cluster-nack-{uuid.uuid4().hex[:8]}"
    first, second = cluster.nodes[0], cluster.nodes[1]
    try:
        async with await aio_pika.connect(first.url) as connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(name, durable=True, arguments={"x-queue-type": "quorum"})
            exchange = await channel.declare_exchange(name, "topic", durable=True)
            await queue.bind(exchange, "k")
        if await cluster.leader_of(name) != first.name:
            pytest.skip("the queue's leader is not on the node it was declared on")
        await cluster.kill(first)
        # At once, while the leader is down: a new connection to a survivor, its first publishes to the queue.
        stale, renewed = await asyncio.gather(
            _publish_results(second.url, name, 8, renew_on_nack=False),
            _publish_results(second.url, name, 8, renew_on_nack=True),
        )
        leader = await cluster.wait_leader(name, not_on=first.name, timeout=ELECTION_TIMEOUT)
        print(f"\nnew leader {leader}; one channel kept: {Counter(stale)}, the last 20 {Counter(stale[-20:])}; "
              f"renewed after each nack: {Counter(renewed)}, the last 20 {Counter(renewed[-20:])}")  # fmt: skip
        assert renewed[-20:] == ["ack"] * 20, renewed  # nacks during the election at most, then acks
    finally:
        await cluster.revive()
        async with await aio_pika.connect(second.url) as connection:
            channel = await connection.channel()
            await channel.queue_delete(name)
            await channel.exchange_delete(name)
