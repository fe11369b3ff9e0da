"""Prometheus metrics, one registry per process built by the composition root."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.commands = Counter(
            "payment_sessions_commands",
            "Commands handled, by command type, provider and outcome (event type, dead_letter or requeued).",
            ["type", "provider", "outcome"],
            registry=self.registry,
        )
        self.provider_latency = Histogram(
            "payment_sessions_provider_call_seconds",
            "Provider HTTP call latency, by provider, operation and HTTP status (or the transport fault).",
            ["provider", "operation", "status"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "payment_sessions_commands_in_flight",
            "Commands received and not yet settled with the broker.",
            registry=self.registry,
        )
        self.command_latency = Histogram(
            "payment_sessions_command_seconds",
            "Time from receiving a command to settling it, by command type.",
            ["type"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
