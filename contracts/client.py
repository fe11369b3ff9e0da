"""A small asyncio client for publishers: send ``session.create`` / ``session.update``, await the outcome event.

Usage::

    from contracts import CreatePrimerSession, SessionCreated, Topology
    from contracts.client import PublishRefused, SessionsClient

    async with SessionsClient.connect("amqp://guest:guest@localhost:5672/", topology=Topology()) as client:
        event = await client.create_session(
            CreatePrimerSession(command_id="order-44-pay-1", order_id="order-44", amount=1250, currency="EUR")
        )
        if isinstance(event, SessionCreated):
            hand_to_browser(event.session)
        else:  # SessionFailed
            log(event.error.code, event.error.message)

Every command is validated locally against the contract, then published to the commands exchange with publisher
confirms and ``mandatory`` (persistent, JSON, ``message_id`` = ``command_id``, ``correlation_id`` = the command's
``correlation_id`` or else its ``command_id``). A command the broker does not take (no such exchange, no queue
bound, a nack) raises :class:`PublishRefused`: it was not queued. With ``wait=True`` (the default) the call
returns the event published for it, which comes back on the client's own exclusive reply queue (``reply_to``)
and is matched on the ``command_id`` in its body; ``TimeoutError`` after ``timeout`` seconds (covering publish
and wait) means the outcome is unknown, not that it failed: publish the *same* command again (same
``command_id``) and the service answers with the same outcome. Its subclass :class:`NoOutcome` says the broker
had confirmed the command before the time ran out (it is queued); a plain ``TimeoutError`` that it had not.
Replies are best effort (one lost in a connection loss times out); the events exchange is the durable record. One
client serves many concurrent calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal, Self, get_args, overload

import aio_pika
import msgspec
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange, AbstractIncomingMessage
from aio_pika.exceptions import ChannelNotFoundEntity, DeliveryError, PublishError

from contracts.codec import CONTENT_TYPE, decode_command, decode_event, encode
from contracts.commands import Command, CreateSession, UpdateSession
from contracts.events import Event
from contracts.names import CommandType, Topology
from contracts.nodes import connect_nodes

_KINDS: dict[CommandType, tuple[type, ...]] = {
    CommandType.CREATE: get_args(CreateSession),
    CommandType.UPDATE: get_args(UpdateSession),
}


RETIRE_GRACE = 30.0  # seconds a channel retired after a nack stays open for the confirms pending on it


class PublishRefused(Exception):
    """The broker did not take the command (no such exchange, no queue bound, or a nack): it was not queued."""


class NoOutcome(TimeoutError):
    """The broker confirmed the command (it is queued), but no event came in time: the outcome is unknown."""


@dataclass(frozen=True)
class Reply:
    event: Event
    body: bytes  # the event exactly as the service published it


class _Envelope(msgspec.Struct):
    command_id: str
    correlation_id: str | None = None


class SessionsClient:
    """Publishes commands and awaits their events; use :meth:`connect`, or ``async with SessionsClient(conn)``."""

    def __init__(
        self, connection: AbstractConnection, *, topology: Topology | None = None, user_id: str | None = None
    ) -> None:
        self._connection = connection
        self._topology = topology or Topology()
        # The AMQP user_id property, for accounts the service limits to named publishers. RabbitMQ refuses a
        # publish whose user_id is not the connection's user, so it proves who sent the command.
        self._user_id = user_id
        self._reply_to = f"payment-sessions.client.{uuid.uuid4().hex}"
        self._waiting: dict[str, list[asyncio.Future[Reply]]] = {}
        self._replies: AbstractChannel | None = None
        self._publisher: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._exchange_lock = asyncio.Lock()
        self._retiring: set[asyncio.Task[None]] = set()  # channels closed a while after a nack (_retire)

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(
        cls,
        amqp_url: str,
        *,
        topology: Topology | None = None,
        ssl_context: ssl.SSLContext | None = None,
        name: str = "payment-sessions-client",
        user_id: str | None = None,
    ) -> AsyncIterator[Self]:
        """Open a robust connection (it reconnects by itself) and a client on it; both close on exit.
        ``amqp_url`` may name several nodes of a cluster (``amqp://u:p@rabbit-0,rabbit-1,rabbit-2/vhost``, see
        ``contracts.nodes``): a connection attempt goes to the next node when one is down or dies.
        ``user_id`` must be the user of ``amqp_url`` (RabbitMQ checks it); give it when the account you send
        for is limited to named publishers."""
        connection = await connect_nodes(amqp_url, ssl_context=ssl_context, client_properties={"connection_name": name})
        async with connection, cls(connection, topology=topology, user_id=user_id) as client:
            yield client

    async def __aenter__(self) -> Self:
        self._replies = await self._connection.channel()
        replies = await self._replies.declare_queue(self._reply_to, exclusive=True, auto_delete=True)
        await replies.consume(self._on_reply, no_ack=True)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self._retiring:
            task.cancel()
        await asyncio.gather(*self._retiring, return_exceptions=True)
        for waiters in self._waiting.values():
            for future in waiters:
                if not future.done():
                    future.set_exception(ConnectionError("the client was closed"))
        for channel in (self._replies, self._publisher):
            if channel is not None:
                with contextlib.suppress(Exception):
                    await channel.close()

    @overload
    async def create_session(
        self, command: CreateSession, *, wait: Literal[True] = ..., timeout: float = ...
    ) -> Event: ...
    @overload
    async def create_session(self, command: CreateSession, *, wait: Literal[False], timeout: float = ...) -> None: ...
    async def create_session(self, command: CreateSession, *, wait: bool = True, timeout: float = 30.0) -> Event | None:
        """Publish ``session.create``; with ``wait``, return ``SessionCreated`` or ``SessionFailed``."""
        reply = await self._send(CommandType.CREATE, command, wait, timeout)
        return None if reply is None else reply.event

    @overload
    async def update_session(
        self, command: UpdateSession, *, wait: Literal[True] = ..., timeout: float = ...
    ) -> Event: ...
    @overload
    async def update_session(self, command: UpdateSession, *, wait: Literal[False], timeout: float = ...) -> None: ...
    async def update_session(self, command: UpdateSession, *, wait: bool = True, timeout: float = 30.0) -> Event | None:
        """Publish ``session.update``; with ``wait``, return ``SessionUpdated`` or ``SessionFailed``."""
        reply = await self._send(CommandType.UPDATE, command, wait, timeout)
        return None if reply is None else reply.event

    @overload
    async def publish(
        self, command_type: CommandType, body: bytes | Command, *, wait: Literal[True] = ..., timeout: float = ...
    ) -> Reply: ...
    @overload
    async def publish(
        self, command_type: CommandType, body: bytes | Command, *, wait: Literal[False], timeout: float = ...
    ) -> None: ...
    async def publish(
        self, command_type: CommandType, body: bytes | Command, *, wait: bool = True, timeout: float = 30.0
    ) -> Reply | None:
        """Publish a command (a Struct, validated; or raw JSON bytes, not validated) and await its event.

        Raw bytes need a string ``command_id`` to be awaited (``ValueError`` otherwise). Raises
        ``PublishRefused``, ``NoOutcome`` (queued, no event in time), ``TimeoutError`` (not confirmed in time) and,
        for a Struct breaking the contract, ``msgspec.ValidationError``.
        """
        return await self._send(command_type, body, wait, timeout)

    async def _send(self, command_type: CommandType, body: bytes | Command, wait: bool, timeout: float) -> Reply | None:
        payload = body if isinstance(body, bytes) else _validated(command_type, body)
        try:
            envelope: _Envelope | None = msgspec.json.decode(payload, type=_Envelope)
        except msgspec.DecodeError:
            if wait:
                raise ValueError("the command has no string command_id: no event can be awaited") from None
            envelope = None
        command_id = envelope.command_id if envelope else None
        message = aio_pika.Message(
            payload,
            content_type=CONTENT_TYPE,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=command_id,
            correlation_id=(envelope.correlation_id or command_id) if envelope else None,
            reply_to=self._reply_to if wait else None,
            user_id=self._user_id,
        )
        future: asyncio.Future[Reply] | None = None
        if wait and command_id is not None:
            future = asyncio.get_running_loop().create_future()
            self._waiting.setdefault(command_id, []).append(future)
        published = False
        try:
            async with asyncio.timeout(timeout):
                await self._publish(message, command_type.value)
                published = True
                return None if future is None else await future
        except TimeoutError:
            if published:
                raise NoOutcome(f"command {command_id!r} is queued; no event within {timeout:g}s") from None
            raise
        finally:
            if future is not None and command_id is not None:
                self._forget(command_id, future)

    async def _publish(self, message: aio_pika.Message, routing_key: str) -> None:
        # While the robust connection is being re-established (a node gone), wait for it (within the caller's
        # timeout) instead of failing on a channel that cannot open yet.
        await self._connection.connected.wait()
        exchange = await self._commands_exchange()
        try:
            await exchange.publish(message, routing_key, mandatory=True)
        except PublishError:
            raise PublishRefused(f"no queue is bound to {exchange.name!r} for {routing_key!r}") from None
        except DeliveryError:
            self._retire(exchange)
            raise PublishRefused(f"the broker refused the command (nack) on {exchange.name!r}") from None
        except ChannelNotFoundEntity:
            raise PublishRefused(f"no exchange {exchange.name!r}") from None

    def _retire(self, exchange: AbstractExchange) -> None:
        """After a nack the next publish opens a new channel: RabbitMQ (3.10) can nack every publish on a channel
        that first routed to a quorum queue while it had no leader, long after a new one is elected. The old
        channel is closed once the confirms still pending on it have had their time."""
        if self._exchange is not exchange or self._publisher is None:
            return
        channel, self._publisher, self._exchange = self._publisher, None, None

        async def close_later() -> None:
            try:
                await asyncio.sleep(RETIRE_GRACE)
            finally:  # also when the client closes first
                with contextlib.suppress(Exception):
                    await channel.close()

        task = asyncio.ensure_future(close_later())
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def _commands_exchange(self) -> AbstractExchange:
        """The exchange on a confirming channel, checked to exist first (a publish to a missing one closes it)."""
        async with self._exchange_lock:
            if self._exchange is None or self._publisher is None or self._publisher.is_closed:
                channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
                try:
                    self._exchange = await channel.get_exchange(self._topology.commands_exchange, ensure=True)
                except ChannelNotFoundEntity:
                    with contextlib.suppress(Exception):
                        await channel.close()
                    raise PublishRefused(f"no exchange {self._topology.commands_exchange!r}") from None
                self._publisher = channel
            return self._exchange

    async def _on_reply(self, message: AbstractIncomingMessage) -> None:
        try:
            event = decode_event(message.body)
        except msgspec.DecodeError:  # an event type newer than this client: the events exchange has it
            return
        for future in self._waiting.get(event.command_id, []):
            if not future.done():  # one reply per publish: the oldest waiter of this command_id takes it
                future.set_result(Reply(event, message.body))
                return

    def _forget(self, command_id: str, future: asyncio.Future[Reply]) -> None:
        waiters = self._waiting.get(command_id, [])
        if future in waiters:
            waiters.remove(future)
        if not waiters:
            self._waiting.pop(command_id, None)


def _validated(command_type: CommandType, command: Command) -> bytes:
    """Encode ``command``; decoding it again checks lengths, patterns and ranges, as the service will."""
    if not isinstance(command, _KINDS[command_type]):
        raise TypeError(f"{type(command).__name__} is not a {command_type.value} command")
    payload = encode(command)
    decode_command(command_type, payload)
    return payload
