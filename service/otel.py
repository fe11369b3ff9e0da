"""OpenTelemetry spans for commands and provider requests (the optional ``otel`` extra, ``[tracing]``).

One CONSUMER span per delivery, a child of the command's ``traceparent``; one CLIENT span per provider request
under it. Their ids are the ones the service propagates (to the provider, on the event, through retries and
dead letters) and logs, so a trace backend and the logs tell the same story. Spans leave in batches over
OTLP/HTTP to ``[tracing] otlp_endpoint``; a collector that is down costs dropped spans, never a command.

Our own spans rather than the aio-pika and aiohttp instrumentations: the service publishes through aiormq
directly (the aio-pika instrumentation would not see it) and already carries the context to the provider
itself (the aiohttp one would add a second header); one span per command with its outcome is what an
operator reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import version
from typing import Any

from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, get_current_span, set_span_in_context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from service.settings import Tracing
from service.tracing import TRACEPARENT, TRACESTATE, Trace

_PROPAGATOR = TraceContextTextMapPropagator()


class OtelSpans:
    def __init__(self, provider: TracerProvider) -> None:
        self._provider = provider
        self._tracer = provider.get_tracer("payment-sessions", version("payment-sessions"))

    @classmethod
    def from_settings(cls, tracing: Tracing, service_name: str) -> OtelSpans:
        assert tracing.otlp_endpoint is not None
        provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        exporter = OTLPSpanExporter(endpoint=tracing.otlp_endpoint.rstrip("/") + "/v1/traces", timeout=5)
        delay_ms = int(tracing.export_interval * 1000)
        provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=delay_ms))
        return cls(provider)

    def command(self, headers: Mapping[str, Any], routing_key: str) -> Trace:
        carrier = {name: value for name in (TRACEPARENT, TRACESTATE) if isinstance(value := headers.get(name), str)}
        parent = _PROPAGATOR.extract(carrier)
        span = self._tracer.start_span(
            f"{routing_key[:64] or '(no routing key)'} process",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "rabbitmq",
                "messaging.operation": "process",
                "messaging.rabbitmq.destination.routing_key": routing_key[:64],
            },
        )
        return _trace(span, parent)

    def command_done(self, trace: Trace, outcome: str, failed: bool) -> None:
        span: Span = trace.span
        span.set_attribute("payment_sessions.outcome", outcome)
        if failed:
            span.set_status(Status(StatusCode.ERROR, outcome))
        span.end()

    def request(self, parent: Trace, provider: str, operation: str, method: str, url: str) -> Trace:
        context = set_span_in_context(parent.span) if parent.span is not None else None
        span = self._tracer.start_span(
            f"{method} {provider} {operation}",
            context=context,
            kind=SpanKind.CLIENT,
            attributes={"http.request.method": method, "server.address": _host(url), "payment_sessions.provider":
                        provider, "payment_sessions.operation": operation},
        )  # fmt: skip
        return _trace(span, context)

    def request_done(self, trace: Trace, status: int | None) -> None:
        span: Span = trace.span
        if status is not None:
            span.set_attribute("http.response.status_code", status)
        if status is None or status >= 500:
            span.set_status(Status(StatusCode.ERROR, "no answer" if status is None else str(status)))
        span.end()

    def close(self) -> None:
        """Flush what is batched (bounded by the exporter's timeout) and stop exporting."""
        self._provider.shutdown()


def _trace(span: Span, parent: Context | None) -> Trace:
    context = span.get_span_context()
    caller = get_current_span(parent).get_span_context() if parent is not None else None
    state = context.trace_state.to_header() if context.trace_state else None
    return Trace(
        trace_id=f"{context.trace_id:032x}",
        span_id=f"{context.span_id:016x}",
        flags=f"{int(context.trace_flags):02x}",
        parent_id=f"{caller.span_id:016x}" if caller is not None and caller.is_valid else None,
        state=state or None,
        span=span,
    )


def _host(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0]
