"""Consumes commands, runs the handlers, publishes the outcome, settles the delivery.

Binds command_id, provider and correlation_id at this boundary and writes one summary line per command.
"""

from __future__ import annotations

import asyncio
import time

import structlog
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue

from contracts.commands import provider_of
from contracts.events import Event, SessionFailed
from contracts.names import CommandType
from service.handlers import Operation, SessionHandlers
from service.messaging.disposition import Ack, DeadLetter, Disposition, Requeue, settle
from service.messaging.intake import Accepted, Intake, Invalid, Poison, take
from service.messaging.publisher import EventPublisher, PublishFailed
from service.metrics import Metrics
from service.settings import Broker

log = structlog.get_logger("payment_sessions.consumer")


class CommandConsumer:
    def __init__(
        self,
        queue: AbstractQueue,
        handlers: SessionHandlers,
        publisher: EventPublisher,
        broker: Broker,
        metrics: Metrics,
    ) -> None:
        self._queue = queue
        self._handlers = handlers
        self._publisher = publisher
        self._broker = broker
        self._metrics = metrics
        self._consumer_tag: str | None = None
        self._active = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def consuming(self) -> bool:
        return self._consumer_tag is not None

    async def start(self) -> None:
        self._consumer_tag = await self._queue.consume(self._on_message)

    async def stop(self, grace: float) -> bool:
        """Stop taking deliveries at once, then wait up to ``grace`` seconds for in-flight ones."""
        if self._consumer_tag is not None:
            tag, self._consumer_tag = self._consumer_tag, None
            try:
                await self._queue.cancel(tag)
            except Exception as exc:  # noqa: BLE001 - a dead channel has no consumer to cancel
                log.warning("consumer cancel failed", error=type(exc).__name__)
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except TimeoutError:
            log.warning("in-flight commands left unsettled at shutdown", count=self._active)
            return False
        return True

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        started = time.perf_counter()
        self._active += 1
        self._idle.clear()
        self._metrics.in_flight.inc()
        structlog.contextvars.clear_contextvars()
        try:
            intake = take(
                message.routing_key or "",
                message.content_type,
                message.body,
                max_body_bytes=self._broker.max_body_bytes,
            )
            provider = _bind(intake)
            decision, error_code = await self._decide(intake, message)
            outcome = await settle(message, decision, self._publisher)
            elapsed = time.perf_counter() - started
            kind = message.routing_key if message.routing_key in CommandType._value2member_map_ else "unknown"
            self._metrics.commands.labels(kind, provider, outcome).inc()
            self._metrics.command_latency.labels(kind).observe(elapsed)
            log.info(
                "command",
                outcome=outcome,
                error_code=error_code,
                reason=decision.reason if not isinstance(decision, Ack) else None,
                duration_ms=round(elapsed * 1000, 1),
                routing_key=(message.routing_key or "")[:64],
            )
        finally:
            self._metrics.in_flight.dec()
            self._active -= 1
            if self._active == 0:
                self._idle.set()

    async def _decide(self, intake: Intake, message: AbstractIncomingMessage) -> tuple[Disposition, str | None]:
        if isinstance(intake, Poison):
            return DeadLetter(intake.reason), None
        try:
            event = await self._event_for(intake)
        except Exception as exc:
            log.exception("handler failed", error=type(exc).__name__)
            return DeadLetter(f"unhandled {type(exc).__name__} in the handler"), None
        error_code = event.error.code if isinstance(event, SessionFailed) else None
        correlation_id = event.correlation_id or message.correlation_id or event.command_id
        try:
            await self._publisher.publish_event(event, correlation_id=correlation_id, reply_to=message.reply_to)
        except PublishFailed as exc:
            return Requeue(f"event not confirmed: {exc}", self._broker.republish_delay), error_code
        return Ack(_event_type(event)), error_code

    async def _event_for(self, intake: Accepted | Invalid) -> Event:
        operation: Operation = "create" if intake.command_type is CommandType.CREATE else "update"
        if isinstance(intake, Invalid):
            return self._handlers.invalid_command(operation, intake.envelope, intake.message, intake.field)
        return await self._handlers.handle(operation, intake.command)


def _event_type(event: Event) -> str:
    tag = type(event).__struct_config__.tag
    assert isinstance(tag, str)
    return tag


def _bind(intake: Intake) -> str:
    """Bind the command's identity to every log line of this delivery; returns the provider label."""
    if isinstance(intake, Accepted):
        command = intake.command
        provider = provider_of(command)
        structlog.contextvars.bind_contextvars(
            command_id=command.command_id,
            correlation_id=command.correlation_id,
            provider=provider,
            account=command.account,
        )
        return provider
    if isinstance(intake, Invalid):
        structlog.contextvars.bind_contextvars(command_id=intake.envelope["command_id"])
    return "unknown"
