"""Publishes events (and dead letters) with publisher confirms; a publish returns only once confirmed.

Raises ``PublishFailed`` when the broker returns the message (no binding), nacks it, does not confirm it
in time, or the channel is gone: the caller then must not ack the command.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

import aiormq
import structlog
from aio_pika.abc import AbstractChannel, AbstractExchange
from aio_pika.exceptions import AMQPError, ChannelInvalidStateError, PublishError
from pamqp import commands as spec
from pamqp import encode as amqp_encode
from prometheus_client import Histogram

from contracts.codec import CONTENT_TYPE, encode
from contracts.events import Event
from contracts.names import CLOUDEVENTS_SPECVERSION

log = structlog.get_logger("payment_sessions.publisher")

SHORTSTR_BYTES = 255  # what an AMQP short string (message_id, correlation_id, reply_to, ...) holds
DROPPED_HEADERS = "x-payment-sessions-dropped-headers"
PERSISTENT = 2  # delivery_mode
RENEW_INTERVAL = 1.0  # seconds: at most one new channel per second after nacks


class PublishFailed(Exception):
    """The broker did not confirm the publish; the message is not known to be stored."""


def fits_shortstr(value: str | None) -> bool:
    return value is None or len(value.encode("utf-8")) <= SHORTSTR_BYTES


def _encodes(table: Mapping[str, Any]) -> bool:
    try:
        amqp_encode.field_table(dict(table))
    except (TypeError, ValueError, AttributeError, OverflowError):
        return False
    return True


def encodable_headers(headers: Mapping[str, Any]) -> dict[str, Any]:
    """``headers`` as they can be published again. The AMQP library decodes some values it cannot encode
    (byte arrays, unsigned 64-bit integers, long strings that are not UTF-8): those entries are dropped and
    named in ``x-payment-sessions-dropped-headers``."""
    if _encodes(headers):
        return dict(headers)
    kept: dict[str, Any] = {}
    dropped: list[str] = []
    for key, value in headers.items():
        if _encodes({key: value}):
            kept[key] = value
        else:
            dropped.append(key[:128])
    kept[DROPPED_HEADERS] = dropped
    return kept


class Outgoing(NamedTuple):
    """A message as it goes on the wire: the body and its AMQP properties."""

    body: bytes
    properties: spec.Basic.Properties


class EventPublisher:
    """Publishes on the confirming channel's current AMQP channel (aiormq, under aio-pika's robust channel):
    properties are built once as the frame encoder takes them, and only the broker's confirm is awaited."""

    def __init__(
        self,
        channel: AbstractChannel,
        events: AbstractExchange,
        dead_letter: AbstractExchange,
        *,
        app_id: str,
        source: str,
        timeout: float,
        confirm_latency: Histogram | None = None,
    ) -> None:
        self._channel = channel
        self._events = events.name if events is not None else ""
        self._dead_letter = dead_letter.name if dead_letter is not None else ""
        self._app_id = app_id
        self._source = source
        self._timeout = timeout
        self._latency = confirm_latency
        self._renewed_at = -RENEW_INTERVAL
        self._renewing: set[asyncio.Task[None]] = set()

    def event_message(self, event: Event, correlation_id: str | None, trace: Mapping[str, str] = {}) -> Outgoing:
        event_type = type(event).__struct_config__.tag
        assert isinstance(event_type, str)
        properties = spec.Basic.Properties(
            content_type=CONTENT_TYPE,
            delivery_mode=PERSISTENT,
            message_id=event.event_id,
            # the contract keeps a command's correlation_id within a short string; never let one stop an event
            correlation_id=correlation_id if fits_shortstr(correlation_id) else event.command_id,
            message_type=event_type,
            timestamp=event.occurred_at,
            app_id=self._app_id,
            headers={
                "cloudEvents_specversion": CLOUDEVENTS_SPECVERSION,
                "cloudEvents_id": event.event_id,
                "cloudEvents_source": self._source,
                "cloudEvents_type": event_type,
                "cloudEvents_time": event.occurred_at.isoformat(),
                "cloudEvents_subject": event.command_id,
                **trace,
            },
        )
        return Outgoing(encode(event), properties)

    async def publish_event(
        self, event: Event, *, correlation_id: str | None, reply_to: str | None, trace: Mapping[str, str] = {}
    ) -> None:
        message = self.event_message(event, correlation_id, trace)
        assert message.properties.message_type is not None
        await self._confirm(self._events, message, message.properties.message_type, mandatory=True, kind="event")
        if reply_to and fits_shortstr(reply_to):
            # Best effort to the requester's queue: it may be gone, which must not block the command.
            await self._confirm("", message, reply_to, mandatory=False, kind="reply")

    async def dead_letter(self, body: bytes, routing_key: str, headers: Mapping[str, Any], **properties: Any) -> None:
        message = _outgoing(body, headers, timestamp=datetime.now(UTC), **properties)
        await self._confirm(self._dead_letter, message, routing_key, mandatory=True, kind="dead_letter")

    async def schedule(self, queue: str, body: bytes, headers: Mapping[str, Any], **properties: Any) -> None:
        """Park a command in a retry queue (via the default exchange); confirmed like everything else."""
        await self._confirm("", _outgoing(body, headers, **properties), queue, mandatory=True, kind="retry")

    async def _confirm(self, exchange: str, message: Outgoing, routing_key: str, *, mandatory: bool, kind: str) -> None:
        where = f"{exchange or '(default)'}/{routing_key}"
        started = time.perf_counter()
        try:
            channel = await self._channel.get_underlay_channel()
            # wait=False: not waiting for the socket to drain as well; the broker's confirm says more
            confirmation = await channel.basic_publish(  # type: ignore[call-arg]
                message.body, exchange=exchange, routing_key=routing_key, properties=message.properties,
                mandatory=mandatory, timeout=self._timeout, wait=False,
            )  # fmt: skip
        except PublishError:
            raise PublishFailed(
                f"returned by {exchange or '(default)'}: no queue is bound for {routing_key!r}"
            ) from None
        except aiormq.exceptions.DeliveryError:  # a nack
            self._renew(channel)
            raise PublishFailed(f"not confirmed (nack) publishing to {where}") from None
        except (TimeoutError, AMQPError, aiormq.exceptions.AMQPError, ChannelInvalidStateError, RuntimeError) as exc:
            raise PublishFailed(f"{type(exc).__name__} publishing to {where}") from None
        except (TypeError, ValueError) as exc:  # a property or header the frame encoder refuses: never sent
            raise PublishFailed(f"{type(exc).__name__} publishing to {where}") from None
        if not isinstance(confirmation, spec.Basic.Ack):
            self._renew(channel)
            raise PublishFailed(f"not confirmed ({type(confirmation).__name__}) publishing to {where}")
        if self._latency is not None:
            self._latency.labels(kind).observe(time.perf_counter() - started)

    def _renew(self, channel: aiormq.abc.AbstractChannel) -> None:
        """After a nack, close the AMQP channel under the robust one, which opens a fresh one at once.

        RabbitMQ (3.10 here) can nack every publish on a channel that first routed to a quorum queue while the
        queue had no leader, long after a new leader is elected, while a fresh channel on the same connection
        publishes fine (tests/faults/test_cluster.py, R19). At most once per ``RENEW_INTERVAL``: a queue that is
        really unavailable nacks on every channel. Publishes in flight on the old channel fail like a lost
        connection (their commands are requeued, not acked)."""
        now = time.monotonic()
        if now - self._renewed_at < RENEW_INTERVAL or channel.is_closed:
            return
        self._renewed_at = now
        log.warning("publish channel renewed after a nack", channel=channel.number)
        task = asyncio.ensure_future(channel.close())
        self._renewing.add(task)
        task.add_done_callback(self._renewing.discard)


def _outgoing(body: bytes, headers: Mapping[str, Any], *, content_type: str | None = None,
              message_id: str | None = None, correlation_id: str | None = None, reply_to: str | None = None,
              timestamp: datetime | None = None) -> Outgoing:  # fmt: skip
    properties = spec.Basic.Properties(
        content_type=content_type, delivery_mode=PERSISTENT, message_id=message_id, correlation_id=correlation_id,
        reply_to=reply_to, timestamp=timestamp, headers=dict(headers),
    )  # fmt: skip
    return Outgoing(body, properties)
