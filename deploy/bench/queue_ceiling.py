"""How much one quorum queue moves on this broker, with no service and no provider in the way: the ceiling the
commands queue's leader puts on the whole deployment, however many replicas consume it.

    .venv/bin/python deploy/bench/queue_ceiling.py [--count 50000] [--prefetch 1000]

Publishes ``count`` persistent messages of a command's size with confirms (``window`` outstanding), then consumes
them with ``prefetch`` and acks each, as the service does. Prints messages/s for each phase and for a command's
round trip (one enqueue, one delivery, one ack: what the commands queue sees per command), and the broker's CPU
per 1,000 messages when the broker runs on this machine. The queue is uuid-named and deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from pathlib import Path

import aio_pika

sys.path.insert(0, str(Path(__file__).resolve().parent))
from broker import local_broker_pid
from contenders import process_cpu

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
BODY = b'{"command_id":"cmd-' + b"x" * 36 + b'","provider":"primer","amount":1250,"currency":"EUR"}' + b" " * 200


async def main(count: int, prefetch: int, window: int) -> None:
    broker_pid = local_broker_pid(AMQP_URL)
    name = f"bench-ceiling-{uuid.uuid4().hex[:12]}"
    connection = await aio_pika.connect(AMQP_URL, client_properties={"connection_name": "bench-ceiling"})
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await channel.declare_queue(name, durable=True, arguments={"x-queue-type": "quorum"})
        try:
            cpu0, started = (process_cpu(broker_pid) if broker_pid else 0.0), time.monotonic()
            gate = asyncio.Semaphore(window)

            async def publish() -> None:
                async with gate:
                    message = aio_pika.Message(BODY, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
                    await channel.default_exchange.publish(message, routing_key=name)

            await asyncio.gather(*(publish() for _ in range(count)))
            cpu1, published = (process_cpu(broker_pid) if broker_pid else 0.0), time.monotonic()

            consumer = await connection.channel()
            await consumer.set_qos(prefetch_count=prefetch)
            done = asyncio.Event()
            seen = 0

            async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
                nonlocal seen
                await message.ack()
                seen += 1
                if seen == count:
                    done.set()

            source = await consumer.get_queue(name)
            tag = await source.consume(on_message)
            await done.wait()
            await source.cancel(tag)
            cpu2, consumed = (process_cpu(broker_pid) if broker_pid else 0.0), time.monotonic()
        finally:
            await channel.queue_delete(name)
    publish_s, consume_s = published - started, consumed - published
    print(f"one quorum queue, {count:,} messages of {len(BODY)} bytes, {os.cpu_count()} cores:")
    print(f"  publish with confirms (window {window}): {count / publish_s:,.0f} msg/s")
    print(f"  consume and ack (prefetch {prefetch}):   {count / consume_s:,.0f} msg/s")
    print(f"  enqueue + deliver + ack per message:   {count / (publish_s + consume_s):,.0f} msg/s")
    if broker_pid:
        per_1k = [(cpu1 - cpu0) / count * 1e6, (cpu2 - cpu1) / count * 1e6]
        print(f"  broker CPU per 1,000: publish {per_1k[0]:,.0f} ms, consume {per_1k[1]:,.0f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--prefetch", type=int, default=1000)
    parser.add_argument("--window", type=int, default=1000, help="publishes awaiting their confirm at once")
    args = parser.parse_args()
    asyncio.run(main(args.count, args.prefetch, args.window))
