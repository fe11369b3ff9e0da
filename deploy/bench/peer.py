"""The peer: a plain aio-pika consumer doing the service's job for a Primer ``session.create``, as one would write
it by hand.

Consume (same prefetch as the service), decode the JSON command, POST it to Primer's ``/client-session`` over one
shared ``aiohttp.ClientSession`` (keep-alive; the service's connector limits), publish ``session.created`` (the
service's event fields, persistent, ``message_id``/``correlation_id``/``type``) with publisher confirms and
``mandatory``, then ack. A provider refusal becomes ``session.failed``; anything else (a transport fault, an
unconfirmed publish) is nacked with requeue. No idempotency store, no validation beyond ``json.loads``, no
retry queues, no log line: what is left between this and the service is the price of those.

    python deploy/bench/peer.py AMQP_URL COMMANDS_QUEUE EVENTS_EXCHANGE PROVIDER_URL PREFETCH
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import uuid
from datetime import UTC, datetime

import aio_pika
import aiohttp
from aio_pika.abc import AbstractExchange, AbstractIncomingMessage

API_KEY = "bench-key"
NAMESPACE = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")  # uuid.NAMESPACE_URL, as any stable namespace


def session_event(command: dict, reply: dict) -> dict:
    expires = reply.get("clientTokenExpirationDate")
    return {
        "type": "session.created",
        "event_id": str(uuid.uuid5(NAMESPACE, f"{command['command_id']}:created")),
        "occurred_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "command_id": command["command_id"],
        "correlation_id": command.get("correlation_id"),
        "provider": "primer",
        "account": command.get("account", "default"),
        "order_id": command.get("order_id"),
        "session": {
            "provider": "primer",
            "id": reply["clientToken"],
            "expires_at": expires and datetime.fromisoformat(expires).replace(tzinfo=UTC).isoformat(),
            "client_token": reply["clientToken"],
            "warnings": reply.get("warnings", []),
        },
    }


def failed_event(command: dict, status: int) -> dict:
    return {
        "type": "session.failed",
        "event_id": str(uuid.uuid5(NAMESPACE, f"{command['command_id']}:failed")),
        "occurred_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "command_id": command["command_id"],
        "provider": "primer",
        "operation": "create",
        "error": {"code": "provider_error", "provider_status": status, "retryable": status >= 500},
    }


class Peer:
    def __init__(self, http: aiohttp.ClientSession, events: AbstractExchange, provider_url: str) -> None:
        self._http = http
        self._events = events
        self._url = provider_url.rstrip("/") + "/client-session"

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            command = json.loads(message.body)
            body = {
                "orderId": command.get("order_id"),
                "currencyCode": command["currency"],
                "amount": command["amount"],
            }
            headers = {"X-Api-Key": API_KEY, "X-Api-Version": "2.4", "X-Idempotency-Key": command["command_id"]}
            async with self._http.post(self._url, json=body, headers=headers) as response:
                ok = response.status == 200
                event = session_event(command, await response.json()) if ok else failed_event(command, response.status)
            out = aio_pika.Message(
                json.dumps(event).encode(),
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=event["event_id"],
                correlation_id=message.correlation_id or command["command_id"],
                type=event["type"],
                timestamp=datetime.now(UTC),
            )
            await self._events.publish(out, event["type"], mandatory=True)
        except Exception:  # noqa: BLE001 - a hand-written consumer's catch-all: try the command again later
            await message.nack(requeue=True)
        else:
            await message.ack()


async def main(url: str, commands_queue: str, events_exchange: str, provider_url: str, prefetch: int) -> None:
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=prefetch)  # as the service's (service/bootstrap.py)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=10)) as http:
        connection = await aio_pika.connect_robust(url, client_properties={"connection_name": "bench-peer"})
        async with connection:
            consume = await connection.channel()
            await consume.set_qos(prefetch_count=prefetch)
            publish = await connection.channel(publisher_confirms=True, on_return_raises=True)
            events = await publish.get_exchange(events_exchange)
            queue = await consume.get_queue(commands_queue)
            peer = Peer(http, events, provider_url)
            tag = await queue.consume(peer.on_message)
            print("ready", flush=True)
            await stop.wait()
            await queue.cancel(tag)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])))
