"""The robust AMQP connection: reconnects by itself; channels, queues and consumers are restored."""

from __future__ import annotations

import asyncio
import socket
import ssl

import aio_pika
import structlog
from aio_pika.abc import AbstractRobustConnection
from yarl import URL

from service.messaging import wire
from service.secret import mask_url
from service.settings import Broker

log = structlog.get_logger("payment_sessions.connection")


def _tls_context(verify: bool) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not verify:  # explicit opt-out for local brokers with self-signed certificates (S5)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


async def connect(broker: Broker, *, name: str) -> AbstractRobustConnection:
    """Connect, retrying with backoff for up to ``broker.connect_timeout`` (the broker may start later)."""
    wire.install()  # before the first frame is read
    url = URL(broker.url.reveal())
    context = _tls_context(broker.verify_tls) if url.scheme == "amqps" else None
    deadline = asyncio.get_running_loop().time() + broker.connect_timeout
    delay = 0.5
    while True:
        try:
            return await aio_pika.connect_robust(
                url,
                client_properties={"connection_name": f"{name}@{socket.gethostname()}"},
                ssl_context=context,
            )
        except (ConnectionError, OSError, aio_pika.exceptions.AMQPConnectionError) as exc:
            if asyncio.get_running_loop().time() + delay > deadline:
                raise ConnectionError(f"cannot reach {mask_url(str(url))}: {type(exc).__name__}") from None
            log.warning("broker not reachable yet", broker=mask_url(str(url)), retry_in=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
