"""Every row of the outcome → broker action table, without a broker: the pipeline on fakes of our ports.

The broker tests (tests/integration, tests/faults) run the same rows on RabbitMQ; these pin the decisions.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from contracts.events import SessionCreated, SessionFailed
from contracts.names import ErrorCode
from service.messaging.delivery import ATTEMPTS_HEADER, DEFERRALS_HEADER, LEASE_HEADER, Delivery
from service.messaging.disposition import ACTIONS, REASON_HEADER, Action
from service.messaging.outcomes import Answer, Drop, Later, Reject, Retry
from service.messaging.publisher import DROPPED_HEADERS
from service.providers.base import ProviderError
from tests.unit.fakes import FakeSettlement, bootstrap_test_app, provider_down


def _command(command_id: str = "cmd-1", **fields: Any) -> bytes:
    return msgspec.json.encode(
        {"command_id": command_id, "provider": "primer", "amount": 100, "currency": "EUR", **fields}
    )


def _delivery(body: bytes, routing_key: str = "session.create", **properties: Any) -> Delivery:
    return Delivery(body=body, routing_key=routing_key, exchange="commands", content_type="application/json",
                    **properties)  # fmt: skip


def test_the_table_covers_every_outcome() -> None:
    assert dict(ACTIONS) == {Answer: Action.PUBLISH_EVENT, Retry: Action.RETRY_QUEUE, Reject: Action.DEAD_LETTER,
                             Later: Action.SCHEDULE, Drop: Action.ACK}  # fmt: skip


async def test_a_new_command_is_answered_with_its_event_then_acked() -> None:
    app = bootstrap_test_app()
    settlement = FakeSettlement()
    label, _ = await app.deliver(_delivery(_command()), settlement)
    assert label == "session.created" and settlement.acks == 1 and settlement.requeues == 0
    (event,) = app.publisher.events()
    assert isinstance(event, SessionCreated) and app.provider.calls == ["cmd-1"]


async def test_a_duplicate_republishes_the_stored_event_without_a_provider_call() -> None:
    app = bootstrap_test_app()
    await app.deliver(_delivery(_command()))
    label, _ = await app.deliver(_delivery(_command()))
    first, second = app.publisher.events()
    assert label == "duplicate" and first.event_id == second.event_id and app.provider.calls == ["cmd-1"]


async def test_another_payload_under_the_same_id_is_a_conflict() -> None:
    app = bootstrap_test_app()
    await app.deliver(_delivery(_command()))
    label, _ = await app.deliver(_delivery(_command(amount=200)))
    conflict = app.publisher.events()[-1]
    assert label == "conflict" and isinstance(conflict, SessionFailed) and conflict.error.code == "conflict"


async def test_an_invalid_command_is_answered_and_stored() -> None:
    app = bootstrap_test_app()
    label, _ = await app.deliver(_delivery(_command(currency="eur")))
    (event,) = app.publisher.events()
    assert label == "session.failed" and isinstance(event, SessionFailed)
    assert event.error.code == "invalid_command" and event.error.field == "currency" and app.provider.calls == []
    label, _ = await app.deliver(_delivery(_command()))  # the same id, now valid: the first outcome stands
    assert label == "conflict"


async def test_a_retryable_failure_goes_to_the_retry_queue_with_its_attempt_and_lease() -> None:
    app = bootstrap_test_app()
    app.provider.failures["cmd-1"] = provider_down()
    settlement = FakeSettlement()
    label, processed = await app.deliver(_delivery(_command(), headers={"x-trace": "t"}), settlement)
    assert label == "retry_in_1s" and settlement.acks == 1
    (write,) = app.publisher.writes
    assert write.kind == "schedule" and write.target.endswith(".delayed.1s.create")
    assert write.headers[ATTEMPTS_HEADER] == 1 and isinstance(write.headers[LEASE_HEADER], str)
    assert write.headers["x-trace"] == "t" and write.body == _command()
    assert processed.outcome.error_code == "provider_unavailable"


async def test_the_retried_copy_takes_the_lease_over_and_the_last_attempt_fails_for_good() -> None:
    app = bootstrap_test_app()
    app.provider.failures["cmd-1"] = provider_down()
    delivery = _delivery(_command())
    for expected in ("retry_in_1s", "retry_in_5s", "session.failed"):
        label, _ = await app.deliver(delivery)
        assert label == expected
        if app.publisher.writes[-1].kind == "schedule":
            delivery = msgspec.structs.replace(delivery, headers=dict(app.publisher.writes[-1].headers))
    failed = app.publisher.events()[-1]
    assert isinstance(failed, SessionFailed) and failed.error.retryable and failed.attempts == 3
    assert app.provider.calls == ["cmd-1"] * 3


async def test_a_command_in_progress_elsewhere_is_deferred_then_dead_lettered_after_too_many_looks() -> None:
    app = bootstrap_test_app()
    await app.store.claim("cmd-1", "someone-else", "token-x", lease=3600)
    label, _ = await app.deliver(_delivery(_command()))
    assert label == "conflict"  # another payload holds it
    app = bootstrap_test_app()
    app.provider.failures["cmd-1"] = provider_down()
    await app.deliver(_delivery(_command()))  # holds the lease, waiting in a retry queue
    label, _ = await app.deliver(_delivery(_command()))  # a second copy, not the retried one
    write = app.publisher.writes[-1]
    assert label == "deferred" and write.target.endswith(".delayed.1s.create") and write.headers[DEFERRALS_HEADER] == 1
    looks = _delivery(_command(), headers={DEFERRALS_HEADER: 10_000})
    label, processed = await app.deliver(looks)
    assert label == "dead_letter" and isinstance(processed.outcome, Reject)
    assert "still in progress" in app.publisher.writes[-1].headers[REASON_HEADER]


async def test_poison_is_dead_lettered_whole_with_its_reason() -> None:
    app = bootstrap_test_app()
    body = b'{"command_id": "u8-1", "provider": "primer", "order_id": "\xff"}'
    label, _ = await app.deliver(_delivery(body, message_id="m-1"))
    (write,) = app.publisher.writes
    assert label == "dead_letter" and write.kind == "dead_letter" and write.body == body
    assert write.headers[REASON_HEADER] == "body is not valid UTF-8" and write.properties["message_id"] == "m-1"


async def test_a_bug_in_a_provider_adapter_dead_letters_the_command_and_frees_its_lease() -> None:
    app = bootstrap_test_app()
    app.provider.failures["cmd-1"] = KeyError("bug")
    label, _ = await app.deliver(_delivery(_command()))
    assert label == "dead_letter" and "unhandled KeyError" in app.publisher.writes[-1].headers[REASON_HEADER]
    del app.provider.failures["cmd-1"]
    label, _ = await app.deliver(_delivery(_command()))  # a replay after the fix
    assert label == "session.created"


async def test_an_unreachable_store_parks_the_command_and_asks_to_pause() -> None:
    app = bootstrap_test_app()
    app.store.down = True
    settlement = FakeSettlement()
    label, processed = await app.deliver(_delivery(_command()), settlement)
    assert label == "parked" and processed.store_unavailable and settlement.acks == 1
    (write,) = app.publisher.writes
    assert write.kind == "schedule" and write.target.endswith(".delayed.5s.create") and app.provider.calls == []
    app.store.down = False
    label, _ = await app.deliver(_delivery(_command(), headers=dict(write.headers)))
    assert label == "session.created"


async def test_an_unconfirmed_publish_requeues_instead_of_acking() -> None:
    app = bootstrap_test_app()
    app.publisher.refuse = True
    settlement = FakeSettlement()
    label, _ = await app.deliver(_delivery(_command()), settlement)
    assert label == "requeued" and settlement.requeues == 1 and settlement.acks == 0
    app.publisher.refuse = False
    label, _ = await app.deliver(_delivery(_command()))  # redelivered: the stored outcome goes out
    assert label == "duplicate" and app.provider.calls == ["cmd-1"]


async def test_a_dead_channel_leaves_the_delivery_to_the_broker() -> None:
    app = bootstrap_test_app()
    label, _ = await app.deliver(_delivery(_command()), FakeSettlement(broken=True))
    assert label == "unsettled"


async def test_headers_the_wire_cannot_carry_again_are_dropped_and_named() -> None:
    app = bootstrap_test_app()
    headers = {"raw": b"\xff\x00", "huge": 2**64 - 1, "fine": "yes"}
    await app.deliver(_delivery(b"not json", headers=headers))
    (write,) = app.publisher.writes
    assert write.headers["fine"] == "yes" and sorted(write.headers[DROPPED_HEADERS]) == ["huge", "raw"]


@pytest.mark.parametrize(
    ("reply_to", "delivered"),
    [
        ("amq.gen-JzTY20BRgKO-HjmUJj0wLg", True),
        ("amq_e5d11b71ad9244f09604830145186de5", True),
        ("payment-sessions.client.0123456789abcdef0123456789abcdef", True),
        ("orders.payments", False),  # a shared queue: never written into by a command's say-so
        ("payment-sessions.commands", False),
    ],
)
async def test_reply_to_is_honoured_only_for_private_queue_names(reply_to: str, delivered: bool) -> None:
    app = bootstrap_test_app()
    await app.deliver(_delivery(_command(), reply_to=reply_to))
    assert app.publisher.writes[-1].properties["reply_to"] == (reply_to if delivered else None)


async def test_a_copy_from_another_publisher_gets_no_reply_of_the_stored_outcome() -> None:
    app = bootstrap_test_app()
    reply = "amq.gen-first"
    await app.deliver(_delivery(_command(), reply_to=reply, user_id="orders"))
    await app.deliver(_delivery(_command(), reply_to="amq.gen-thief", user_id="someone-else"))
    await app.deliver(_delivery(_command(), reply_to=reply, user_id="orders"))
    assert [w.properties["reply_to"] for w in app.publisher.writes] == [reply, None, reply]


async def test_an_account_limited_to_publishers_refuses_others_without_taking_the_id() -> None:
    app = bootstrap_test_app()
    label, _ = await app.deliver(_delivery(_command(account="shop"), user_id="intruder"))
    forbidden = app.publisher.events()[-1]
    assert label == "forbidden" and isinstance(forbidden, SessionFailed)
    assert forbidden.error.code == "forbidden" and forbidden.error.field == "account" and app.provider.calls == []
    label, _ = await app.deliver(_delivery(_command(account="shop")))  # no user_id at all
    assert label == "forbidden"
    label, _ = await app.deliver(_delivery(_command(account="shop", amount=300), user_id="shop-orders"))
    assert label == "session.created"  # the refused copies did not take the id


async def test_command_ids_are_scoped_by_account() -> None:
    app = bootstrap_test_app()
    await app.deliver(_delivery(_command()))
    label, _ = await app.deliver(_delivery(_command(account="shop", amount=999), user_id="shop-orders"))
    first, second = app.publisher.events()
    assert label == "session.created" and first.event_id != second.event_id
    assert app.provider.calls == ["cmd-1", "cmd-1"]


async def test_a_failed_invalid_command_with_a_hostile_account_gets_its_own_namespace() -> None:
    app = bootstrap_test_app()
    await app.deliver(_delivery(_command(account="shop x", currency="eur")))
    label, _ = await app.deliver(_delivery(_command()))
    assert label == "session.created"


async def test_the_providers_reference_reaches_the_event() -> None:
    app = bootstrap_test_app()
    refusal = ProviderError(ErrorCode.VALIDATION_FAILED, "bad amount", retryable=False, request_id="diag-42")
    app.provider.failures["cmd-1"] = refusal
    label, processed = await app.deliver(_delivery(_command()))
    (event,) = app.publisher.events()
    assert label == "session.failed" and isinstance(event, SessionFailed)
    assert event.error.provider_reference == "diag-42"
    assert isinstance(processed.outcome, Answer) and processed.outcome.provider_reference == "diag-42"


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("75b0f13a-04a5-41b3-83b8-123456789012", "75b0f13a-04a5-41b3-83b8-123456789012"),  # a Worldline errorId
        ("/v1/payment-sessions", "/v1/payment-sessions"),  # an Acquired instance
        ("see Authorization: Basic dXNlcjpwYXNz", None),  # not an id: never copied
        ("x" * 129, None),
        ("", None),
    ],
)
def test_a_provider_reference_is_an_id_or_nothing(given: str, kept: str | None) -> None:
    assert ProviderError(ErrorCode.PROVIDER_ERROR, "m", retryable=False, request_id=given).request_id == kept


async def test_a_store_lost_after_the_claim_parks_the_command_with_its_lease() -> None:
    """The parked copy takes its own lease over when it comes back, instead of waiting for it to expire."""
    app = bootstrap_test_app()
    app.store.down_at_finish = True
    label, processed = await app.deliver(_delivery(_command()))
    (write,) = app.publisher.writes
    assert label == "parked" and processed.store_unavailable and isinstance(write.headers[LEASE_HEADER], str)
    app.store.down_at_finish = False
    label, _ = await app.deliver(_delivery(_command(), headers=dict(write.headers)))
    assert label == "session.created"  # not "deferred" for a whole lease
