"""The baseline: plain aio-pika doing the least a correct consumer can do.

Consume a command, publish a fixed-size event with publisher confirms (mandatory), ack. No decoding, no
provider call: what is left between this and the service is the service's own cost.
"""

from __future__ import annotations

import asyncio
import json
import sys

import aio_pika
from aio_pika.abc import AbstractIncomingMessage


async def main(url: str, commands_queue: str, events_exchange: str, prefetch: int) -> None:
    connection = await aio_pika.connect_robust(url)
    consume = await connection.channel()
    await consume.set_qos(prefetch_count=prefetch)
    publish = await connection.channel(publisher_confirms=True, on_return_raises=True)
    events = await publish.get_exchange(events_exchange)
    queue = await consume.get_queue(commands_queue)

    async def on_message(message: AbstractIncomingMessage) -> None:
        command_id = json.loads(message.body)["command_id"]
        body = json.dumps({"type": "session.created", "command_id": command_id, "session": {"id": "x" * 40}})
        await events.publish(aio_pika.Message(body.encode(), content_type="application/json"), "session.created")
        await message.ack()

    await queue.consume(on_message)
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
