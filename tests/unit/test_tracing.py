"""``service.tracing`` against the W3C Trace Context Recommendation's own examples and rules
(https://www.w3.org/TR/trace-context/, sections 3.2 and 4.3 "Versioning of traceparent"), and against whatever a
publisher can put in a header table (hypothesis)."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from service.tracing import parse_traceparent, trace_of

SPEC = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"  # the spec's example (sampled)
NOT_SAMPLED = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"  # the spec's example (not sampled)
VALID = re.compile(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")


def test_the_specs_examples_parse() -> None:
    assert parse_traceparent(SPEC) == ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "01")
    assert parse_traceparent(NOT_SAMPLED) == ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "00")


def test_a_later_version_is_read_as_version_00() -> None:
    """4.3: a higher version may append fields after a dash; the first four are parsed as 00's."""
    future = "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-will-be-like"
    assert parse_traceparent(future) == ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "01")
    assert parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x") is None


def test_what_the_spec_calls_invalid_is_refused() -> None:
    invalid = [
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # version ff
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # all-zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  # all-zero parent id
        SPEC.upper(),  # upper-case hex
        SPEC + "-extra",  # version 00 has exactly four fields
        SPEC[:-1],
        "",
        None,
        b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # bytes, not a string
    ]
    for value in invalid:
        assert parse_traceparent(value) is None, value


def test_our_span_is_a_child_of_the_callers() -> None:
    trace = trace_of({"traceparent": SPEC, "tracestate": "congo=t61rcWkgMzE"})
    assert (trace.trace_id, trace.parent_id, trace.flags) == (
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "00f067aa0ba902b7",
        "01",
    )
    assert trace.span_id != trace.parent_id
    assert trace.headers() == {
        "traceparent": f"00-{trace.trace_id}-{trace.span_id}-01",
        "tracestate": "congo=t61rcWkgMzE",
    }
    request = trace.child()
    assert (request.trace_id, request.parent_id) == (trace.trace_id, trace.span_id) and request.span_id != trace.span_id


def test_flags_travel_as_given() -> None:
    assert trace_of({"traceparent": NOT_SAMPLED}).traceparent.endswith("-00")


headers = st.dictionaries(
    st.sampled_from(["traceparent", "tracestate", "other"]),
    st.one_of(st.none(), st.integers(), st.binary(max_size=80), st.text(max_size=80),
              st.from_regex(r"[0-9a-fA-F]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-.{0,10})?", fullmatch=True),
              st.text(alphabet="0123456789abcdef-", min_size=50, max_size=60)),
)  # fmt: skip


@given(headers)
def test_any_header_table_gives_a_valid_trace(table: dict[str, Any]) -> None:
    trace = trace_of(table)
    assert VALID.fullmatch(trace.traceparent)
    assert trace.trace_id != "0" * 32 and trace.span_id != "0" * 16
    if trace.state is not None:
        assert trace.parent_id is not None and len(trace.state) <= 512 and trace.state.isprintable()
    if parse_traceparent(table.get("traceparent")) is None:
        assert trace.parent_id is None and trace.state is None  # started afresh
