"""R10, R12-R14: the provider misbehaves, for good or for a while; updates that come too early.

Transient faults: the in-process simulator's Worldline trigger is wrapped so that a token
``flaky:<trigger word>:<n>:<tag>`` fails the first ``n`` calls carrying it, then lets the call through.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from service.providers.base import idempotency_key
from service.simulator import worldline as worldline_simulator
from tests.faults.commands import CREATE, UPDATE, new_id, primer, worldline
from tests.faults.conftest import FaultRun

MAX_ATTEMPTS = 3  # FaultRun's [retry] max_attempts, delays [0.2, 0.5]


def _flaky(original: Callable[[list[str]], str | None]) -> Callable[[list[str]], str | None]:
    calls: Counter[str] = Counter()

    def trigger(tokens: list[str]) -> str | None:
        for token in tokens:
            if token.startswith("flaky:"):
                _, word, times, _ = token.split(":")
                calls[token] += 1
                return word if calls[token] <= int(times) else None
        return original(tokens)

    return trigger


async def test_r10_always_failing_command_is_bounded(faults: FaultRun) -> None:
    """R10: a command that always fails (provider 5xx forever): bounded retries with backoff, then exactly one
    ``session.failed`` (retryable), never an endless loop."""
    replicas = await faults.start(1)
    ledger = faults.ledger
    commands = [worldline(new_id("r10w"), "sim-500") for _ in range(5)] + [primer(new_id("r10p"), amount=50000)]
    await ledger.send_all([(CREATE, body) for body in commands])
    ledger.faults = len(commands)
    await ledger.check(replicas)  # queues empty and nothing in flight: no attempt is still to come
    for body in commands:
        (event,) = ledger.events[body["command_id"]]
        assert event.type == "session.failed" and event.error_code == "provider_unavailable", event
        assert event.retryable is True and event.attempts == MAX_ATTEMPTS
        calls = ledger.calls_for(body["command_id"])
        assert [c.status for c in calls] == [500] * MAX_ATTEMPTS
        assert len({c.idempotency_key for c in calls}) == 1  # every retry reuses the key
        gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(calls)]
        assert gaps[0] >= 0.18 and gaps[1] >= 0.45, gaps  # backoff: 0.2 s, then 0.5 s
    outcomes = Counter(r.get("outcome") for r in replicas.log_records() if r.get("event") == "command")
    assert outcomes["retry_in_0.2s"] == outcomes["retry_in_0.5s"] == len(commands), outcomes


@pytest.mark.parametrize("permanent", [False, True], ids=["transient", "permanent"])
async def test_r12_provider_faults_reuse_the_key(
    faults: FaultRun, monkeypatch: pytest.MonkeyPatch, permanent: bool
) -> None:
    """R12: provider faults: 5xx, HTML 502, reset, slow, timeout, non-JSON (malformed) body: retries reuse
    the same idempotency key; one terminal event. Transient: two failures, then the third attempt succeeds.
    Permanent: every attempt fails, one ``session.failed`` with the fault's code, retryable."""
    monkeypatch.setattr(worldline_simulator, "_trigger", _flaky(worldline_simulator._trigger))
    replicas = await faults.start(1)
    faults.simulator.latency_ms = 300  # slow, but within the 2 s deadline; "sim-timeout" hangs past it
    ledger = faults.ledger
    times = 9 if permanent else MAX_ATTEMPTS - 1
    codes = {
        "sim-500": "provider_unavailable",
        "sim-502": "provider_unavailable",
        "sim-503": "provider_unavailable",
        "sim-reset": "provider_unavailable",
        "sim-timeout": "timeout",
        "sim-garbage": "provider_error",
    }
    commands = {word: worldline(cid := new_id("r12"), f"flaky:{word}:{times}:{cid[-8:]}") for word in codes}
    slow = worldline(new_id("r12slow"))
    await ledger.send_all([(CREATE, body) for body in [*commands.values(), slow]])
    ledger.faults = len(commands) * times
    await ledger.check(replicas)
    for word, body in commands.items():
        (event,) = ledger.events[body["command_id"]]
        calls = ledger.calls_for(body["command_id"], "worldline")
        assert len(calls) == MAX_ATTEMPTS, (word, calls)
        assert {c.idempotency_key for c in calls} == {idempotency_key(body["command_id"])}
        if permanent:
            assert event.type == "session.failed" and event.error_code == codes[word], (word, event)
            assert event.retryable is True and event.attempts == MAX_ATTEMPTS
        else:
            assert event.type == "session.created", (word, event)
    assert [e.type for e in ledger.events[slow["command_id"]]] == ["session.created"]
    assert len(ledger.calls_for(slow["command_id"])) == 1


async def test_r13_provider_idempotency_replies_are_resolved(faults: FaultRun) -> None:
    """R13: provider idempotency replies: Worldline 409/1409 (a request with this key is in progress) is retried
    later with the same key and succeeds; Primer 409 IdempotencyKeyAlreadyExists (an earlier attempt's session
    whose outcome we lost) is resolved: never reported as a plain failure."""
    replicas = await faults.start(1)
    ledger = faults.ledger
    in_progress = [worldline(new_id("r13w"), "sim-1409") for _ in range(10)]
    lost_outcome = [primer(new_id("r13p")) for _ in range(3)]
    for body in lost_outcome:  # as if an earlier attempt had created the session and the replica then died
        faults.simulator.idempotency[f"primer:{idempotency_key(body['command_id'])}"] = True
    await ledger.send_all([(CREATE, body) for body in in_progress + lost_outcome])
    ledger.faults = len(in_progress) + len(lost_outcome)
    await ledger.check(replicas)
    for body in in_progress:
        assert [e.type for e in ledger.events[body["command_id"]]] == ["session.created"]
        calls = ledger.calls_for(body["command_id"], "worldline")
        assert [c.status for c in calls] == [409, 201] and len({c.idempotency_key for c in calls}) == 1
    for body in lost_outcome:
        assert [e.type for e in ledger.events[body["command_id"]]] == ["session.created"]
        calls = ledger.calls_for(body["command_id"], "primer")
        assert [c.status for c in calls] == [409, 200]
        assert calls[1].idempotency_key == idempotency_key(body["command_id"], 1)  # the adapter's next key


async def test_r14_update_before_its_session_exists(faults: FaultRun) -> None:
    """R14: an update arrives before its create has produced a session: a deterministic outcome (``not_found``
    where the provider has updates, ``unsupported`` where it has none), never applied to a wrong session,
    never lost. Each update is sent twice (two command ids) to show the outcome does not vary."""
    replicas = await faults.start(2)
    ledger = faults.ledger
    existing = primer(new_id("r14c"), amount=1000)
    await ledger.send(CREATE, existing)
    (created,) = await ledger.wait_for(existing["command_id"])
    before = {key: dict(session) for key, session in faults.simulator.sessions.items()}
    early: dict[str, dict[str, Any]] = {
        "primer": {"provider": "primer", "session_id": "sim_primer_not-created-yet", "amount": 2000},
        "mpgs": {
            "provider": "mpgs",
            "session_id": "SESSION0002notcreatedyet0000000",
            "amount": 2000,
            "currency": "GBP",
        },
        "acquired": {
            "provider": "acquired",
            "session_id": "00000000-0000-4000-8000-000000000000",
            "amount": 2000,
            "currency": "GBP",
        },
        "worldline": {"provider": "worldline", "session_id": "not-created-yet"},
    }
    sent = {name: [{**body, "command_id": new_id(f"r14{name[:2]}")} for _ in range(2)] for name, body in early.items()}
    await asyncio.gather(*(ledger.send(UPDATE, body) for bodies in sent.values() for body in bodies))
    ledger.faults = sum(len(bodies) for bodies in sent.values())
    await ledger.check(replicas)
    for name, bodies in sent.items():
        outcomes = {(e.type, e.error_code, e.retryable) for b in bodies for e in ledger.events[b["command_id"]]}
        expected = "unsupported" if name == "worldline" else "not_found"
        assert outcomes == {("session.failed", expected, False)}, (name, outcomes)
    assert faults.simulator.sessions == before  # nothing was applied anywhere, the existing session untouched
    assert created.type == "session.created"
