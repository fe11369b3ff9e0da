"""The second peer: the first peer's job (``peer.py``) written the FastStream way.

A subscriber on the commands queue (body decoded by FastStream into a ``dict``), the same Primer POST over one
shared ``aiohttp.ClientSession``, ``broker.publish`` of the same event on a channel with publisher confirms and
``mandatory`` (returns raise), ``AckPolicy.NACK_ON_ERROR`` (ack after the handler, nack with requeue on an
exception). FastStream's per-message log lines are off (``logger=None``): the first peer logs nothing either.
Runs from its own venv (``.bench/faststream-venv``, made by ``run.py --faststream``), so the project's dependencies
stay as they are.

    .bench/faststream-venv/bin/python deploy/bench/faststream_peer.py AMQP_URL QUEUE EVENTS PROVIDER_URL PREFETCH
"""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import UTC, datetime

import aiohttp
from faststream import AckPolicy
from faststream.rabbit import Channel, ExchangeType, RabbitBroker, RabbitExchange, RabbitMessage, RabbitQueue
from peer import API_KEY, failed_event, session_event


async def main(url: str, commands_queue: str, events_exchange: str, provider_url: str, prefetch: int) -> None:
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    endpoint = provider_url.rstrip("/") + "/client-session"
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=256)  # as the service's and the first peer's
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=10)) as http:
        broker = RabbitBroker(
            url,
            default_channel=Channel(prefetch_count=prefetch, publisher_confirms=True, on_return_raises=True),
            logger=None,  # no "Received"/"Processed" line per message: the first peer logs nothing either
            client_properties={"connection_name": "bench-faststream"},
        )
        events = RabbitExchange(events_exchange, type=ExchangeType.TOPIC, declare=False)

        @broker.subscriber(RabbitQueue(commands_queue, declare=False), ack_policy=AckPolicy.NACK_ON_ERROR)
        async def create_session(command: dict, message: RabbitMessage) -> None:
            body = {
                "orderId": command.get("order_id"),
                "currencyCode": command["currency"],
                "amount": command["amount"],
            }
            headers = {"X-Api-Key": API_KEY, "X-Api-Version": "2.4", "X-Idempotency-Key": command["command_id"]}
            async with http.post(endpoint, json=body, headers=headers) as response:
                ok = response.status == 200
                event = session_event(command, await response.json()) if ok else failed_event(command, response.status)
            await broker.publish(
                event,
                exchange=events,
                routing_key=event["type"],
                mandatory=True,
                persist=True,
                message_id=event["event_id"],
                correlation_id=message.correlation_id or command["command_id"],
                message_type=event["type"],
                timestamp=datetime.now(UTC),
            )

        await broker.start()
        print("ready", flush=True)
        await stop.wait()
        await broker.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])))
