"""Prometheus metrics, one registry per process built by the composition root."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from importlib.metadata import PackageNotFoundError, version

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
)
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
        self.store_errors = Counter(
            "payment_sessions_idempotency_store_errors",
            "Commands parked because the idempotency store did not answer (consuming pauses until it does).",
            registry=self.registry,
        )
        self.reconnects = Counter(
            "payment_sessions_broker_reconnects",
            "Broker connections re-established after a loss (the channels and the consumer are restored).",
            registry=self.registry,
        )
        self.confirm_latency = Histogram(
            "payment_sessions_publish_confirm_seconds",
            "Time from publishing to the broker's confirm, by what was published (event, retry, dead_letter).",
            ["kind"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
            registry=self.registry,
        )
        Info("payment_sessions_build", "The running version.", registry=self.registry).info({"version": _version()})
        if registry is None:  # a registry of our own: the process, platform and GC series the default one has
            for collector in (ProcessCollector, PlatformCollector, GCCollector):
                collector(registry=self.registry)

    def watch_breakers(self, breakers: Callable[[], Mapping[tuple[str, str], CircuitBreaker]]) -> None:
        """Expose each provider account's circuit state (0 closed, 1 half-open, 2 open) at scrape time."""
        self.registry.register(_BreakerCollector(breakers))


def _version() -> str:
    try:
        return version("payment-sessions")
    except PackageNotFoundError:  # run from a source tree without installing
        return "unknown"


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
