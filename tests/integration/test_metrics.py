"""What ``/metrics`` exposes besides the command counters: build info, process and runtime series, the broker's
confirm latency, store errors and reconnects (issue 11)."""

from __future__ import annotations

from prometheus_client import generate_latest

from contracts.events import SessionCreated
from tests.harness import Harness


async def test_metrics_include_build_process_runtime_and_confirm_latency(harness: Harness, command_id: str) -> None:
    service = await harness.start({"default": {"primer": {"base_url": harness.simulator_url, "api_key": "k-m"}}})
    event = await service.send("session.create", {"command_id": command_id, "provider": "primer", "amount": 100,
                                                  "currency": "EUR"})  # fmt: skip
    assert isinstance(event, SessionCreated)
    text = generate_latest(service.service.metrics.registry).decode()
    samples = {line.rpartition(" ")[0]: float(line.rpartition(" ")[2]) for line in text.splitlines()
               if line and not line.startswith("#")}  # fmt: skip
    assert any(name.startswith("payment_sessions_build_info{version=") for name in samples)
    for series in ("process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds"):
        assert samples[series] > 0, series
    assert any(name.startswith("python_gc_collections_total") for name in samples)
    assert any(name.startswith("python_info") for name in samples)
    assert samples['payment_sessions_publish_confirm_seconds_count{kind="event"}'] == 1
    assert samples["payment_sessions_idempotency_store_errors_total"] == 0
    assert samples["payment_sessions_broker_reconnects_total"] == 0
