"""The robust AMQP connection: reconnects by itself; channels, queues and consumers are restored."""

from __future__ import annotations

import socket
import ssl

import aio_pika
from aio_pika.abc import AbstractRobustConnection
from yarl import URL

from service.settings import Broker


def _tls_context(verify: bool) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not verify:  # explicit opt-out for local brokers with self-signed certificates (S5)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


async def connect(broker: Broker, *, name: str) -> AbstractRobustConnection:
    url = URL(broker.url.reveal())
    kwargs = {}
    if url.scheme == "amqps":
        kwargs["ssl_context"] = _tls_context(broker.verify_tls)
    return await aio_pika.connect_robust(
        url,
        client_properties={"connection_name": f"{name}@{socket.gethostname()}"},
        **kwargs,  # type: ignore[arg-type]
    )
