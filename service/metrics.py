"""Prometheus metrics, one registry per process built by the composition root."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from service.breaker import BreakerState, CircuitBreaker


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

        self.store_evictions = Counter(
            "payment_sessions_idempotency_evictions",
            "Finished outcomes the memory idempotency store forgot early to stay within max_records.",
            registry=self.registry,
        )

    def watch_breakers(self, breakers: Callable[[], Mapping[tuple[str, str], CircuitBreaker]]) -> None:
        """Expose each provider account's circuit state (0 closed, 1 half-open, 2 open) at scrape time."""
        self.registry.register(_BreakerCollector(breakers))


_STATE_VALUE = {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}


class _BreakerCollector(Collector):
    def __init__(self, breakers: Callable[[], Mapping[tuple[str, str], CircuitBreaker]]) -> None:
        self._breakers = breakers

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "payment_sessions_circuit_state",
            "Circuit breaker per provider account: 0 closed, 1 half-open (probing), 2 open.",
            labels=["account", "provider"],
        )
        for (account, provider), breaker in self._breakers().items():
            family.add_metric([account, provider], _STATE_VALUE[breaker.state])
        yield family
