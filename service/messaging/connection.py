"""The robust AMQP connection: reconnects by itself; channels, queues and consumers are restored.

``amqps://`` verifies the broker's certificate (against ``[broker] ca``, else the system's CAs) and its host name,
and presents a client certificate when ``[broker] cert`` and ``key`` are given. A TLS failure that retrying cannot
fix (an untrusted certificate, a refused or missing client certificate, a plain port) stops the start at once with
one line saying which setting to look at, instead of retrying for ``connect_timeout``; so does a refused login.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import ssl
import tempfile
from pathlib import Path

import aio_pika
import aiormq
import structlog
from aio_pika.abc import AbstractRobustConnection

from contracts.nodes import connect_nodes
from service.messaging import wire
from service.secret import Secret
from service.settings import Broker

log = structlog.get_logger("payment_sessions.connection")


class BrokerTlsError(ConnectionError):
    """TLS to the broker cannot work as configured; the message names the setting. Never retried."""


def tls_context(broker: Broker) -> ssl.SSLContext:
    """The client side of ``amqps://`` from ``[broker]``: ``ca`` (PEM) or the system's CAs, host name checked,
    and the client certificate when given."""
    try:
        context = ssl.create_default_context(cadata=broker.ca)  # cadata None: the system's CAs
    except ssl.SSLError as exc:
        raise BrokerTlsError(f"TLS: [broker] ca holds no usable certificate ({exc.reason or exc})") from None
    if not broker.verify_tls:  # explicit opt-out for local brokers with self-signed certificates (S5)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if broker.cert is not None and broker.key is not None:
        _load_client_certificate(context, broker.cert, broker.key)
    return context


def _encrypted_key() -> str:
    raise BrokerTlsError("TLS: [broker] key is encrypted; give the service the key unencrypted, readable only by it")


def _load_client_certificate(context: ssl.SSLContext, cert: str, key: Secret) -> None:
    """``ssl`` loads a certificate and key from files only: both go to a private temporary directory (0700, the
    file 0600) for the moment loading takes, and are removed at once."""
    with tempfile.TemporaryDirectory(prefix="payment-sessions-tls-") as directory:
        path = Path(directory) / "client.pem"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(f"{cert.strip()}\n{key.reveal().strip()}\n")
        try:
            context.load_cert_chain(path, password=_encrypted_key)
        except ssl.SSLError as exc:
            reason = exc.reason or type(exc).__name__
            raise BrokerTlsError(f"TLS: [broker] cert and key are not a certificate and its key ({reason})") from None


# Failures that mean "not now" rather than "never": the broker closing the TLS stream while it starts or stops.
_TRANSIENT_TLS = (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLWantReadError, ssl.SSLWantWriteError)


def _tls_failure(exc: BaseException, where: str) -> BrokerTlsError | None:
    """The error to stop with when ``exc`` (or what it was raised from) is a TLS failure retrying cannot fix."""
    seen: BaseException | None = exc
    for _ in range(8):  # the chain is short; the bound only guards against a cycle
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError):
            return BrokerTlsError(
                f"TLS: the certificate of {where} is not trusted: {seen.verify_message}. [broker] ca_file must "
                "hold the CA that signed it, and the URL's host must be a name (or IP address) in it"
            )
        if isinstance(seen, ssl.SSLError) and not isinstance(seen, _TRANSIENT_TLS):
            reason = str(seen.reason or seen)
            if "CERTIFICATE_REQUIRED" in reason.upper():
                hint = "the broker requires a client certificate: set [broker] cert_file and key_file"
            elif "WRONG_VERSION_NUMBER" in reason.upper():
                hint = "is this port a TLS listener? amqps:// needs the broker's TLS port (usually 5671)"
            else:
                hint = "check [broker] ca_file, cert_file and key_file against the broker's TLS settings"
            return BrokerTlsError(f"TLS with {where} failed ({reason}): {hint}")
        seen = seen.__cause__ or seen.__context__
    return None


def _login_refused(exc: BaseException) -> bool:
    return isinstance(exc, (aiormq.exceptions.ProbableAuthenticationError, aiormq.exceptions.AuthenticationError))


async def connect(broker: Broker, *, name: str) -> AbstractRobustConnection:
    """Connect to one of ``broker``'s nodes, retrying with backoff for up to ``broker.connect_timeout`` (the broker
    may start later); each attempt goes to the next node. Once connected, a lost node is left for the next one
    (``contracts.nodes.ClusterConnection``), with channels, queues and consumers restored there."""
    wire.install()  # before the first frame is read
    nodes = broker.nodes
    context = tls_context(broker) if nodes[0].scheme == "amqps" else None
    deadline = asyncio.get_running_loop().time() + broker.connect_timeout
    delay = 0.5
    turn = random.randrange(len(nodes))  # noqa: S311 - not a secret: replicas spread over the nodes
    while True:
        node = nodes[turn % len(nodes)]
        try:
            return await connect_nodes(
                nodes,
                start=turn,
                client_properties={"connection_name": f"{name}@{socket.gethostname()}"},
                ssl_context=context,
            )
        except (ConnectionError, OSError, aio_pika.exceptions.AMQPConnectionError) as exc:
            if context is not None and (failure := _tls_failure(exc, f"{node.host}:{node.port}")) is not None:
                raise failure from None
            if _login_refused(exc):  # configuration, not an outage: service.exits.broker_refusal words it
                raise
            turn += 1
            if turn % len(nodes) and asyncio.get_running_loop().time() < deadline:
                continue  # the next node at once; the backoff is per round over all of them
            if asyncio.get_running_loop().time() + delay > deadline:
                raise ConnectionError(f"cannot reach {broker.where}: {type(exc).__name__}") from None
            log.warning("broker not reachable yet", broker=broker.where, retry_in=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
