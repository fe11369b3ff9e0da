"""Acquired through the shared provider contract, plus Acquired's own edge cases (the token's life)."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts.events import AcquiredSession, SessionCreated, SessionFailed, SessionUpdated
from tests.contract.base import FAULT_AMOUNTS as AMOUNTS
from tests.contract.base import ProviderContract

APP_ID = "sim-acquired-app"
APP_KEY = "sim-acquired-key-7e2f"
WRONG_KEY = "wrong-acquired-key"
COMPANY_ID = "7b3f7c3e-5b1a-4f43-9c5e-2d8a1c0f6b11"
MID = "1c9e6a52-0f3d-4a8e-b7a2-9e4b3c2d1f00"


def _order_id(command_id: str) -> str:
    return "ord-" + hashlib.sha256(command_id.encode()).hexdigest()[:24]  # Acquired wants 2-50 characters


class TestAcquiredContract(ProviderContract):
    provider = "acquired"
    table = "acquired"

    def account(self, base_url: str) -> dict[str, Any]:
        return {"base_url": base_url, "app_id": APP_ID, "app_key": APP_KEY, "company_id": COMPANY_ID, "mid": MID}

    def bad_account(self, base_url: str) -> dict[str, Any]:
        return {**self.account(base_url), "app_key": WRONG_KEY}

    def secrets(self) -> list[str]:
        return [APP_KEY, WRONG_KEY]

    def create(self, command_id: str, fault: str | None = None) -> dict[str, Any]:
        return {
            "provider": "acquired",
            "command_id": command_id,
            "order_id": _order_id(command_id),
            "amount": AMOUNTS[fault] if fault else 1502,
            "currency": "GBP",
            "customer": {
                "id": "cust-1",
                "email": "ada@example.com",
                "first_name": "Ada",
                "last_name": "Lovelace",
                "phone": {"country_code": "44", "number": "2079460000"},
                "ip": "203.0.113.7",
                "billing_address": {
                    "line1": "1 High Street",
                    "city": "London",
                    "postal_code": "E1 7RT",
                    "country_code": "GB",
                },
            },
            "metadata": {"channel": "web"},
            "options": {
                "custom1": "web",
                "tds": {"challenge_preference": "no_preference", "redirect_url": "https://shop.example/3ds"},
                "webhook_url": "https://shop.example/hooks/acquired",
                "payment_methods": ["card", "apple_pay", "google_pay"],
            },
        }

    def update(self, command_id: str, session_id: str) -> dict[str, Any] | None:
        return {
            "provider": "acquired",
            "command_id": command_id,
            "session_id": session_id,
            "amount": 2000,
            "currency": "GBP",
            "options": {"custom1": "updated", "tds": {"redirect_url": "https://shop.example/3ds/2"}},
        }

    def check_created(self, event: SessionCreated) -> None:
        session = event.session
        assert isinstance(session, AcquiredSession)
        assert uuid.UUID(session.id)
        assert session.expires_at is not None
        remaining = session.expires_at - datetime.now(UTC)
        assert timedelta(minutes=9) < remaining <= timedelta(minutes=10)


def _calls(harness: Any, operation: str) -> list[int]:
    return [c.status for c in harness.simulator.calls if c.provider == "acquired" and c.operation == operation]


async def _service(harness: Any) -> tuple[TestAcquiredContract, Any]:
    contract = TestAcquiredContract()
    service = await harness.start({"default": {"acquired": contract.account(harness.simulator_url)}})
    harness.simulator.calls.clear()
    return contract, service


async def test_one_login_serves_many_commands(harness: Any, command_id: str) -> None:
    contract, service = await _service(harness)
    events = await asyncio.gather(
        *(service.send("session.create", contract.create(f"{command_id}-{i}")) for i in range(5))
    )
    assert all(isinstance(e, SessionCreated) for e in events), events
    created = events[0]
    update = contract.update(command_id + "-u", created.session.id)
    assert update is not None
    assert isinstance(await service.send("session.update", update), SessionUpdated)
    assert _calls(harness, "login") == [200]
    assert _calls(harness, "create") == [201] * 5
    assert _calls(harness, "update") == [200]
    stored = harness.simulator.sessions[f"acquired:{created.session.id}"]
    assert stored["transaction"]["amount"] == "20.00"
    assert stored["transaction"]["custom1"] == "updated"
    # a tds update changes only what it names: the 3-D Secure preference of the create stays
    assert stored["tds"] == {
        "is_active": True,
        "challenge_preference": "no_preference",
        "redirect_url": "https://shop.example/3ds/2",
    }


async def test_revoked_token_is_replaced_once(harness: Any, command_id: str) -> None:
    contract, service = await _service(harness)
    assert isinstance(await service.send("session.create", contract.create(command_id + "-1")), SessionCreated)
    harness.simulator.extra["acquired_tokens"].clear()  # Acquired forgets every token
    event = await service.send("session.create", contract.create(command_id + "-2"))
    assert isinstance(event, SessionCreated), event
    assert _calls(harness, "login") == [200, 200]
    assert _calls(harness, "create") == [201, 401, 201]


async def test_expired_token_is_refreshed(harness: Any, command_id: str) -> None:
    contract, service = await _service(harness)
    harness.simulator.extra["acquired_token_ttl"] = 1  # seconds; the adapter refreshes 0.1 s before
    assert isinstance(await service.send("session.create", contract.create(command_id + "-1")), SessionCreated)
    await asyncio.sleep(1.1)  # the token's own lifetime: nothing else to wait on
    event = await service.send("session.create", contract.create(command_id + "-2"))
    assert isinstance(event, SessionCreated), event
    assert _calls(harness, "login") == [200, 200]
    assert 401 not in _calls(harness, "create")


async def test_wrong_app_key_fails_authentication_without_retry(harness: Any, command_id: str) -> None:
    contract = TestAcquiredContract()
    table = contract.bad_account(harness.simulator_url)
    known = {"default": {"acquired": contract.account(harness.simulator_url)}}
    service = await harness.start({"default": {"acquired": table}}, simulator_accounts=known)
    harness.simulator.calls.clear()
    event = await service.send("session.create", contract.create(command_id))
    assert isinstance(event, SessionFailed), event
    assert event.error.code == "authentication_failed"
    assert not event.error.retryable
    assert event.error.provider_status == 401
    assert event.error.provider_code == "unauthorized"
    assert _calls(harness, "login") == [401]
    assert _calls(harness, "create") == []
    assert WRONG_KEY not in event.error.message


async def test_missing_amount_is_refused_before_any_call(harness: Any, command_id: str) -> None:
    contract, service = await _service(harness)
    body = contract.create(command_id)
    del body["amount"]
    event = await service.send("session.create", body)
    assert isinstance(event, SessionFailed), event
    assert event.error.code == "invalid_command"
    assert event.error.field == "amount"
    assert harness.simulator.calls == []


async def test_tokens_stay_out_of_logs_and_events(harness: Any, command_id: str) -> None:
    contract, service = await _service(harness)
    event = await service.send("session.create", contract.create(command_id))
    assert isinstance(event, SessionCreated)
    tokens = list(harness.simulator.extra["acquired_tokens"])
    assert tokens
    text = harness.log_text() + repr(event)
    assert command_id in harness.log_text()
    for token in tokens:
        assert token not in text


async def test_the_acquired_error_instance_is_the_provider_reference(harness: Any, command_id: str) -> None:
    contract, service = await _service(harness)
    event = await service.send("session.create", contract.create(command_id, "400"))
    assert isinstance(event, SessionFailed), event
    assert (event.error.code, event.error.field) == ("validation_failed", "transaction.amount")
    assert event.error.provider_reference == "/v1/payment-sessions"
