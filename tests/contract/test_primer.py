"""Primer through the shared provider contract, plus Primer's own edge cases."""

from __future__ import annotations

from typing import Any

from contracts.events import PrimerSession, SessionCreated, SessionFailed, SessionUpdated
from tests.contract.base import FAULT_AMOUNTS as AMOUNTS
from tests.contract.base import ProviderContract

API_KEY = "sim-primer-key-4242"


class TestPrimerContract(ProviderContract):
    provider = "primer"
    table = "primer"

    def account(self, base_url: str) -> dict[str, Any]:
        return {"base_url": base_url, "api_key": API_KEY}

    def bad_account(self, base_url: str) -> dict[str, Any]:
        return {"base_url": base_url, "api_key": "wrong-primer-key"}

    def secrets(self) -> list[str]:
        return [API_KEY, "wrong-primer-key"]

    def create(self, command_id: str, fault: str | None = None) -> dict[str, Any]:
        return {
            "provider": "primer",
            "command_id": command_id,
            "order_id": "order-1",
            "amount": AMOUNTS[fault] if fault else 1250,
            "currency": "EUR",
            "customer": {"id": "cust-1", "email": "ada@example.com", "first_name": "Ada"},
            "metadata": {"channel": "web"},
            "options": {
                "country_code": "GB",
                "fees": [{"amount": 0, "type": "SURCHARGE"}],
                "payment_method": {"vault_on_success": True, "options": {"GOOGLE_PAY": {"surcharge": {"amount": 20}}}},
            },
        }

    def update(self, command_id: str, session_id: str) -> dict[str, Any] | None:
        return {
            "provider": "primer",
            "command_id": command_id,
            "session_id": session_id,
            "amount": 2000,
            "options": {"line_items": [{"item_id": "sku-1", "amount": 1000, "quantity": 2}]},
        }

    def check_created(self, event: SessionCreated) -> None:
        session = event.session
        assert isinstance(session, PrimerSession)
        assert session.client_token == session.id and session.expires_at is not None
        assert session.warnings == []  # an email was given


async def test_update_keeps_token_and_clears_fields(harness: Any, command_id: str) -> None:
    contract = TestPrimerContract()
    service = await harness.start({"default": {"primer": contract.account(harness.simulator_url)}})
    created = await service.send("session.create", contract.create(command_id))
    assert isinstance(created, SessionCreated)
    body = {"provider": "primer", "command_id": command_id + "-u", "session_id": created.session.id, "metadata": None}
    updated = await service.send("session.update", body)
    assert isinstance(updated, SessionUpdated) and updated.session.id == created.session.id
    stored = harness.simulator.sessions[f"primer:{created.session.id}"]
    assert "metadata" not in stored and stored["amount"] == 1250


async def test_missing_email_gives_warnings(harness: Any, command_id: str) -> None:
    contract = TestPrimerContract()
    service = await harness.start({"default": {"primer": contract.account(harness.simulator_url)}})
    body = contract.create(command_id)
    body["customer"] = None
    created = await service.send("session.create", body)
    assert isinstance(created, SessionCreated) and isinstance(created.session, PrimerSession)
    assert [w.code for w in created.session.warnings] == ["MISSING_EMAIL_ADDRESS"]


async def test_an_email_update_keeps_the_rest_of_the_customer(harness: Any, command_id: str) -> None:
    """It used to send every other customer field as null, and Primer cleared them."""
    contract = TestPrimerContract()
    service = await harness.start({"default": {"primer": contract.account(harness.simulator_url)}})
    created = await service.send("session.create", contract.create(command_id))
    assert isinstance(created, SessionCreated), created
    body = {"provider": "primer", "command_id": command_id + "-u", "session_id": created.session.id}
    updated = await service.send("session.update", {**body, "customer": {"email": "new@example.com"}})
    assert isinstance(updated, SessionUpdated), updated
    stored = harness.simulator.sessions[f"primer:{created.session.id}"]
    assert stored["customer"] == {"emailAddress": "new@example.com", "firstName": "Ada"}
    assert stored["customerId"] == "cust-1"


async def test_a_retired_api_version_fails_once_as_misconfigured(harness: Any, command_id: str) -> None:
    contract = TestPrimerContract()
    account = {**contract.account(harness.simulator_url), "api_version": "2.0"}
    service = await harness.start({"default": {"primer": account}})
    event = await service.send("session.create", contract.create(command_id))
    assert isinstance(event, SessionFailed), event
    assert (event.error.code, event.error.retryable, event.error.provider_status) == ("misconfigured", False, 410)
    assert "api_version" in event.error.message and event.attempts == 1
    assert event.error.provider_reference  # Primer's diagnosticsId


async def test_primers_diagnostics_id_reaches_the_failed_event(harness: Any, command_id: str) -> None:
    contract = TestPrimerContract()
    service = await harness.start({"default": {"primer": contract.account(harness.simulator_url)}})
    event = await service.send("session.create", contract.create(command_id, "400"))
    assert isinstance(event, SessionFailed), event
    assert event.error.provider_reference and event.error.provider_code == "InvalidRequest"
