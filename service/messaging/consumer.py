"""Consumes commands and hands each delivery to the pipeline; settles it, counts it, logs one line.

Binds command_id, provider and correlation_id at this boundary so every log line of a delivery has them.
"""

from __future__ import annotations

import asyncio
import time

import structlog
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue

from contracts.commands import provider_of
from contracts.names import CommandType
from service.messaging.disposition import Ack, DeadLetter, settle
from service.messaging.intake import Accepted, Intake, Invalid, take
from service.messaging.pipeline import Pipeline, Result
from service.messaging.publisher import EventPublisher
from service.metrics import Metrics
from service.settings import Broker

log = structlog.get_logger("payment_sessions.consumer")


class CommandConsumer:
    def __init__(
        self, queue: AbstractQueue, pipeline: Pipeline, publisher: EventPublisher, broker: Broker, metrics: Metrics
    ) -> None:
        self._queue = queue
        self._pipeline = pipeline
        self._publisher = publisher
        self._broker = broker
        self._metrics = metrics
        self._consumer_tag: str | None = None
        self._active = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: set[asyncio.Task[None]] = set()

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
        """aiormq cancels delivery callbacks when the connection drops. The work runs in a task of ours,
        shielded, so a provider answer that already came is stored and its lease released properly; the
        redelivered command then finds the outcome instead of calling the provider again."""
        task = asyncio.create_task(self._handle(message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        await asyncio.shield(task)

    async def _handle(self, message: AbstractIncomingMessage) -> None:
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
            result = await self._process(message, intake)
            outcome = await settle(message, result.disposition, self._publisher)
            self._record(message, provider, outcome, result, time.perf_counter() - started)
        finally:
            self._metrics.in_flight.dec()
            self._active -= 1
            if self._active == 0:
                self._idle.set()

    async def _process(self, message: AbstractIncomingMessage, intake: Intake) -> Result:
        try:
            return await self._pipeline.process(message, intake)
        except Exception as exc:
            log.exception("command processing failed", error=type(exc).__name__)
            return Result(DeadLetter(f"unhandled {type(exc).__name__} while processing"))

    def _record(
        self, message: AbstractIncomingMessage, provider: str, outcome: str, result: Result, elapsed: float
    ) -> None:
        routing_key = message.routing_key or ""
        kind = routing_key if routing_key in CommandType._value2member_map_ else "unknown"
        self._metrics.commands.labels(kind, provider, outcome).inc()
        self._metrics.command_latency.labels(kind).observe(elapsed)
        disposition = result.disposition
        log.info(
            "command",
            outcome=outcome,
            error_code=result.error_code,
            reason=None if isinstance(disposition, Ack) else disposition.reason,
            attempt=(message.headers or {}).get("x-payment-sessions-attempts", 0),
            duration_ms=round(elapsed * 1000, 1),
            routing_key=routing_key[:64],
        )


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
