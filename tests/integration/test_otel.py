"""OpenTelemetry spans (the ``otel`` extra) on the real broker: a command's CONSUMER span is a child of its
``traceparent``, each provider request a CLIENT span under it, and the ids on the wire (provider request, event)
are exactly the exported spans' ids. The spans are read as a collector receives them: OTLP/HTTP protobuf,
decoded with OpenTelemetry's own proto package (not our code)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from contracts.events import SessionCreated
from tests.harness import Harness

try:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
except ImportError:  # the otel extra is not installed
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("the otel extra is not installed (pip install -e '.[dev]')", allow_module_level=True)

PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"  # the W3C Recommendation's example
CONSUMER, CLIENT = 5, 3  # opentelemetry.proto.trace.v1.Span.SpanKind


class Collector:
    """A stand-in OTLP/HTTP collector: every span it is sent."""

    def __init__(self) -> None:
        self.spans: list[Any] = []
        self._arrived = asyncio.Condition()

    async def traces(self, request: web.Request) -> web.Response:
        export = ExportTraceServiceRequest()
        export.ParseFromString(await request.read())
        async with self._arrived:
            self.spans.extend(span for resource in export.resource_spans for scope in resource.scope_spans
                              for span in scope.spans)  # fmt: skip
            self._arrived.notify_all()
        return web.Response(status=200)

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[Any]:
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: len(self.spans) >= count), timeout)
            return list(self.spans)


@pytest.fixture
async def collector() -> AsyncIterator[tuple[str, Collector]]:
    received = Collector()

    app = web.Application()
    app.router.add_post("/v1/traces", received.traces)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}", received
    await runner.cleanup()


async def test_a_command_and_its_provider_request_are_spans_with_the_ids_on_the_wire(
    harness: Harness, command_id: str, collector: tuple[str, Collector]
) -> None:
    endpoint, received = collector
    accounts = {"default": {"primer": {"base_url": harness.simulator_url, "api_key": "key-otel"}}}
    service = await harness.start(accounts, tracing={"otlp_endpoint": endpoint, "export_interval": 0.1})
    body = {"command_id": command_id, "provider": "primer", "amount": 1250, "currency": "EUR"}
    event = await service.send("session.create", body, headers={"traceparent": PARENT})
    assert isinstance(event, SessionCreated)
    spans = await received.wait_for(2)
    consumer = next(span for span in spans if span.kind == CONSUMER)
    client = next(span for span in spans if span.kind == CLIENT)
    assert consumer.trace_id.hex() == client.trace_id.hex() == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert consumer.parent_span_id.hex() == "00f067aa0ba902b7"  # the caller's span
    assert client.parent_span_id == consumer.span_id
    attributes = {kv.key: kv.value.string_value or kv.value.int_value for kv in consumer.attributes}
    assert attributes["payment_sessions.outcome"] == "session.created"
    assert {kv.key: kv.value.int_value for kv in client.attributes}["http.response.status_code"] == 200
    (sent,) = harness.simulator.traceparents  # the provider saw the CLIENT span as its parent
    assert sent == f"00-{client.trace_id.hex()}-{client.span_id.hex()}-01"
    tap = harness.tap_for(service.topology)
    message = next(m for m in tap.messages if m.headers.get("cloudEvents_subject") == command_id)
    assert message.headers["traceparent"] == f"00-{consumer.trace_id.hex()}-{consumer.span_id.hex()}-01"
