"""W3C Trace Context for commands: taken from the command's ``traceparent`` header (or started), carried to
the provider request, the event, retries and dead letters, and its trace id bound to every log line.

Each delivery runs in a task of its own, so ``current`` (a context variable) is that command's span: the
consumer sets it, the provider caller and the disposition read it. ``Spans`` says where spans go: ``IdsOnly``
(the default) only makes the ids; ``service.otel`` records them as OpenTelemetry spans (the ``otel`` extra and
``[tracing] otlp_endpoint``), with the same ids on the wire either way.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, NamedTuple, Protocol

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
# Version 00 is exactly these four fields; a later version may append more after a dash (the spec's forward
# compatibility rule), which we keep parsing as 00. Version ff is invalid; so are all-zero ids.
_TRACEPARENT = re.compile(
    r"(?P<version>[0-9a-f]{2})-(?P<trace>[0-9a-f]{32})-(?P<parent>[0-9a-f]{16})-(?P<flags>[0-9a-f]{2})"
)
_TRACESTATE_MAX = 512  # the spec's minimum a vendor must propagate; longer values are dropped, not cut


class Trace(NamedTuple):
    """This service's span of a trace: ``span_id`` is ours, ``parent_id`` the caller's (None: we started it)."""

    trace_id: str
    span_id: str
    flags: str
    parent_id: str | None = None
    state: str | None = None
    span: Any = None  # the OpenTelemetry span behind these ids, when spans are recorded

    @property
    def traceparent(self) -> str:
        """To send onward (provider request, event, retry): our span as the parent of the next."""
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"

    def headers(self) -> dict[str, str]:
        headers = {TRACEPARENT: self.traceparent}
        if self.state:
            headers[TRACESTATE] = self.state
        return headers

    def child(self) -> Trace:
        """A span under ours (one provider request)."""
        return Trace(self.trace_id, _span_id(), self.flags, self.span_id, self.state)


current: ContextVar[Trace | None] = ContextVar("payment_sessions_trace", default=None)


class Spans(Protocol):
    """A command's span (a child of its ``traceparent``) and one span per provider request under it."""

    def command(self, headers: Mapping[str, Any], routing_key: str) -> Trace: ...

    def command_done(self, trace: Trace, outcome: str, failed: bool) -> None: ...

    def request(self, parent: Trace, provider: str, operation: str, method: str, url: str) -> Trace: ...

    def request_done(self, trace: Trace, status: int | None) -> None: ...

    def close(self) -> None: ...


class IdsOnly:
    """The default: ids to propagate and log, no spans recorded."""

    def command(self, headers: Mapping[str, Any], routing_key: str) -> Trace:
        return trace_of(headers)

    def command_done(self, trace: Trace, outcome: str, failed: bool) -> None:
        return None

    def request(self, parent: Trace, provider: str, operation: str, method: str, url: str) -> Trace:
        return parent.child()

    def request_done(self, trace: Trace, status: int | None) -> None:
        return None

    def close(self) -> None:
        return None


def parse_traceparent(value: object) -> tuple[str, str, str] | None:
    """(trace id, parent id, flags) of a valid ``traceparent``, else None."""
    if not isinstance(value, str):
        return None
    match = _TRACEPARENT.match(value)
    if match is None:
        return None
    version, trace_id, parent_id, flags = match.group("version", "trace", "parent", "flags")
    if version == "ff" or (version == "00" and len(value) != 55) or (version != "00" and value[55:56] not in ("", "-")):
        return None
    if trace_id == "0" * 32 or parent_id == "0" * 16:
        return None
    return trace_id, parent_id, flags


def trace_of(headers: Mapping[str, Any]) -> Trace:
    """Our span for a command: a child of the command's ``traceparent`` when it has a valid one, else a new trace
    (sampled). ``tracestate`` travels along only with a valid parent, as the spec asks."""
    parsed = parse_traceparent(headers.get(TRACEPARENT))
    if parsed is None:
        return Trace(_trace_id(), _span_id(), "01")
    trace_id, parent_id, flags = parsed
    state = headers.get(TRACESTATE)
    keep = isinstance(state, str) and len(state) <= _TRACESTATE_MAX and state.isascii() and state.isprintable()
    return Trace(trace_id, _span_id(), flags, parent_id, state if keep else None)


def _trace_id() -> str:
    return f"{random.getrandbits(128) or 1:032x}"  # an id, not a secret


def _span_id() -> str:
    return f"{random.getrandbits(64) or 1:016x}"  # an id, not a secret
