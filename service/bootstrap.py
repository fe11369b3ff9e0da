"""The composition root: builds every resource from settings and owns them in one AsyncExitStack."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import aiohttp
import structlog
from aio_pika.abc import AbstractRobustConnection
from aiohttp import web

from service.exits import ProbePortUnavailable
from service.expiry import ExpiryWatch
from service.handlers import SessionHandlers
from service.idempotency.memory import MemoryStore
from service.idempotency.redis_store import RedisStore
from service.messaging.connection import connect
from service.messaging.consumer import CommandConsumer
from service.messaging.disposition import Disposition
from service.messaging.pipeline import Pipeline
from service.messaging.publisher import EventPublisher
from service.messaging.topology import commands_queue, prepare
from service.metrics import Metrics
from service.ports import Clock, IdempotencyStore, SystemClock
from service.probes import probe_app
from service.providers.http import ProviderHttp
from service.providers.registry import build_providers
from service.settings import Settings, SettingsError
from service.tenancy import Tenancy
from service.tracing import IdsOnly, Spans

log = structlog.get_logger("payment_sessions")


@dataclass
class Service:
    settings: Settings
    connection: AbstractRobustConnection
    consumer: CommandConsumer
    metrics: Metrics
    http_port: int | None

    def ready(self) -> bool:
        return self.connection.connected.is_set() and self.consumer.consuming and self.consumer.store_available

    async def drain(self) -> bool:
        """Stop consuming and finish in-flight commands (SIGTERM)."""
        return await self.consumer.stop(self.settings.shutdown_grace)


def build_spans(settings: Settings) -> Spans:
    """OpenTelemetry spans when ``[tracing] otlp_endpoint`` is set (the ``otel`` extra), else ids only."""
    if settings.tracing.otlp_endpoint is None:
        return IdsOnly()
    try:
        from service.otel import OtelSpans  # noqa: PLC0415 - optional: the otel extra
    except ImportError:
        raise SettingsError(
            "tracing.otlp_endpoint: OpenTelemetry is not installed: pip install 'payment-sessions[otel]'"
        ) from None
    return OtelSpans.from_settings(settings.tracing, settings.broker.app_id)


def build_store(settings: Settings, metrics: Metrics) -> IdempotencyStore:
    idempotency = settings.idempotency
    connections = min(settings.broker.prefetch, 256)  # a delivery in flight uses at most one at a time
    if idempotency.backend == "redis" and idempotency.sentinels:
        password = idempotency.sentinel_password
        return RedisStore.through_sentinels(
            idempotency.sentinel_addresses(),
            idempotency.master_name,
            idempotency.url.reveal(),
            sentinel_password=password.reveal() if password is not None else None,
            prefix=idempotency.key_prefix,
            retention=idempotency.retention,
            connections=connections,
        )
    if idempotency.backend == "redis":
        return RedisStore.from_url(
            idempotency.url.reveal(), prefix=idempotency.key_prefix, retention=idempotency.retention,
            connections=connections,
        )  # fmt: skip
    return MemoryStore(idempotency.retention, idempotency.max_records, on_evict=metrics.store_evictions.inc)


@contextlib.asynccontextmanager
async def probe_server(settings: Settings, metrics: Metrics, ready: Callable[[], bool]) -> AsyncIterator[int | None]:
    """Serve ``/livez``, ``/readyz`` and ``/metrics`` on ``[http]``; yields the port (None when disabled).

    Started before anything else, so a liveness probe is answered from process start and ``/readyz`` says 503
    until ``ready()``. A port that cannot be bound is ``ProbePortUnavailable``, one line naming it.
    """
    if not settings.http.enabled:
        yield None
        return
    host, port = settings.http.host, settings.http.port
    runner = web.AppRunner(probe_app(metrics, ready), access_log=None)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            why = os.strerror(exc.errno) if exc.errno else str(exc)
            raise ProbePortUnavailable(
                f"the probe server cannot listen on {host}:{port} ([http] port): {why}"
            ) from None
        bound = runner.addresses[0][1] if runner.addresses else None
        log.info("probe server listening", host=host, http_port=bound)
        yield bound
    finally:
        await runner.cleanup()


def provider_session(settings: Settings) -> aiohttp.ClientSession:
    """The one HTTP session for every provider call. Every delivery in flight may be in one provider call: that
    many connections per host are kept alive. No session timeout: ProviderHttp bounds each call by the account's
    timeout, and one timer is enough. No cookies: one session serves every account, and a cookie one account's
    call received must never ride along on another's."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, limit_per_host=settings.broker.prefetch),
        timeout=aiohttp.ClientTimeout(),
        cookie_jar=aiohttp.DummyCookieJar(),
    )


@contextlib.asynccontextmanager
async def running_service(settings: Settings, *, clock: Clock | None = None) -> AsyncIterator[Service]:
    """Connect, declare the topology, start consuming; on exit drain and close in reverse order."""
    clock = clock or SystemClock()
    metrics = Metrics()
    service: Service | None = None
    async with contextlib.AsyncExitStack() as stack:
        # first: /livez must answer while the broker connection is still being retried (up to connect_timeout)
        http_port = await stack.enter_async_context(
            probe_server(settings, metrics, lambda: service is not None and service.ready())
        )
        session = await stack.enter_async_context(provider_session(settings))
        spans = build_spans(settings)
        stack.callback(spans.close)
        providers = build_providers(settings.accounts, ProviderHttp(session, metrics, spans=spans), clock)
        log.info(
            "starting",
            broker=settings.broker.where,
            idempotency=settings.idempotency.backend,
            providers=sorted(f"{account}/{provider}" for account, provider in providers),
        )
        connection = await connect(settings.broker, name=settings.broker.app_id)
        stack.push_async_callback(connection.close)
        connection.reconnect_callbacks.add(lambda *_: metrics.reconnects.inc())
        publish_channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        # [broker] topology: declare it all (retry queues included), or only verify it exists (least privilege)
        declared = await prepare(connection, publish_channel, settings)
        store = build_store(settings, metrics)
        stack.push_async_callback(store.close)
        consume_channel = await connection.channel()
        await consume_channel.set_qos(prefetch_count=settings.broker.prefetch)
        queue = await commands_queue(consume_channel, settings)
        publisher = EventPublisher(
            publish_channel,
            declared.events,
            declared.dead_letter,
            app_id=settings.broker.app_id,
            source=settings.broker.event_source,
            timeout=settings.broker.publish_timeout,
            confirm_latency=metrics.confirm_latency,
        )
        handlers = SessionHandlers(providers, clock, settings)
        metrics.watch_breakers(handlers.breakers)
        expiry = ExpiryWatch(store, clock, settings) if settings.expiry.enabled else None
        tenancy = Tenancy(settings.accounts, settings.commands.reply_to_pattern)
        pipeline = Pipeline(handlers, store, tenancy, settings, expiry=expiry)
        consumer = CommandConsumer(
            queue,
            pipeline,
            Disposition(publisher, settings),
            store,
            metrics,
            probe_interval=settings.idempotency.probe_interval,
            spans=spans,
        )
        service = Service(settings, connection, consumer, metrics, http_port)
        await consumer.start()
        stack.push_async_callback(service.drain)
        log.info("consuming", queue=settings.topology.commands_queue, prefetch=settings.broker.prefetch)
        yield service
    log.info("stopped")
