"""Mastercard Gateway (MPGS) through the shared provider contract, plus MPGS's own edge cases."""

from __future__ import annotations

import re
from typing import Any

import pytest

from contracts.events import MpgsSession, SessionCreated, SessionFailed, SessionUpdated
from tests.contract.base import FAULT_AMOUNTS as AMOUNTS
from tests.contract.base import ProviderContract

# Faults ride on the order amount of the PUT that follows the create, or on the POST's correlationId (see
# service/simulator/mpgs.py).
MERCHANT = "TESTMERCHANT01"
PASSWORD = "sim-mpgs-password-4242"
WRONG_PASSWORD = "wrong-mpgs-password"


class TestMpgsContract(ProviderContract):
    provider = "mpgs"
    table = "mpgs"

    def account(self, base_url: str) -> dict[str, Any]:
        return {"base_url": base_url, "merchant_id": MERCHANT, "api_password": PASSWORD}

    def bad_account(self, base_url: str) -> dict[str, Any]:
        return {**self.account(base_url), "api_password": WRONG_PASSWORD}

    def secrets(self) -> list[str]:
        return [PASSWORD, WRONG_PASSWORD]

    def create(self, command_id: str, fault: str | None = None) -> dict[str, Any]:
        return {
            "provider": "mpgs",
            "command_id": command_id,
            "order_id": "order-" + command_id[-12:],
            "amount": AMOUNTS[fault] if fault else 1502,
            "currency": "GBP",
            "customer": {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"},
            "options": {"authentication_limit": 5},
        }

    def update(self, command_id: str, session_id: str) -> dict[str, Any] | None:
        return {
            "provider": "mpgs",
            "command_id": command_id,
            "session_id": session_id,
            "amount": 2000,
            "currency": "GBP",
            "options": {"order_reference": "ref-1", "order_description": "Two tickets"},
        }

    def check_created(self, event: SessionCreated) -> None:
        session = event.session
        assert isinstance(session, MpgsSession)
        assert 31 <= len(session.id) <= 35
        assert session.version is not None
        assert len(session.version) == 10
        assert session.update_status == "SUCCESS"  # the order was put into the session in the same operation
        assert session.authentication_limit == 5
        assert session.expires_at is not None
        assert session.aes256_key is None  # a server secret: off unless the account opts in


async def _start(harness: Any, **extra: Any) -> Any:
    table = {**TestMpgsContract().account(harness.simulator_url), **extra}
    return await harness.start({"default": {"mpgs": table}})


def _stored(harness: Any, session_id: str) -> dict[str, Any]:
    stored: dict[str, Any] = harness.simulator.sessions[f"mpgs:{session_id}"]
    return stored


async def test_jpy_and_bhd_amounts_reach_the_gateway_with_their_decimals(harness: Any, command_id: str) -> None:
    service = await _start(harness)
    body = {"provider": "mpgs", "command_id": command_id, "order_id": "o-jpy", "amount": 100, "currency": "JPY"}
    created = await service.send("session.create", body)
    assert isinstance(created, SessionCreated), created
    assert isinstance(created.session, MpgsSession)
    assert _stored(harness, created.session.id)["order"] == {"amount": "100", "currency": "JPY", "id": "o-jpy"}
    update = {
        "provider": "mpgs",
        "command_id": command_id + "-u",
        "session_id": created.session.id,
        "amount": 1234,
        "currency": "BHD",
    }
    updated = await service.send("session.update", update)
    assert isinstance(updated, SessionUpdated), updated
    assert _stored(harness, created.session.id)["order"] == {"amount": "1.234", "currency": "BHD", "id": "o-jpy"}
    assert isinstance(updated.session, MpgsSession)
    assert updated.session.version != created.session.version


async def test_aes256_key_stays_out_of_events_and_logs_by_default(harness: Any, command_id: str) -> None:
    service = await _start(harness)
    created = await service.send("session.create", TestMpgsContract().create(command_id))
    assert isinstance(created, SessionCreated), created
    assert isinstance(created.session, MpgsSession)
    assert created.session.aes256_key is None
    key = _stored(harness, created.session.id)["aes256Key"]
    assert key not in repr(created)
    assert command_id in harness.log_text()  # the capture works
    assert key not in harness.log_text()


async def test_aes256_key_in_the_event_when_the_account_opts_in(harness: Any, command_id: str) -> None:
    service = await _start(harness, include_aes256_key=True)
    created = await service.send("session.create", TestMpgsContract().create(command_id))
    assert isinstance(created, SessionCreated), created
    assert isinstance(created.session, MpgsSession)
    key = _stored(harness, created.session.id)["aes256Key"]
    assert created.session.aes256_key == key
    assert command_id in harness.log_text()
    assert key not in harness.log_text()


async def test_amount_without_currency_fails_before_any_call(harness: Any, command_id: str) -> None:
    service = await _start(harness)
    failed = await service.send("session.create", {"provider": "mpgs", "command_id": command_id, "amount": 1502})
    assert isinstance(failed, SessionFailed), failed
    assert (failed.error.code, failed.error.field, failed.error.retryable) == ("invalid_command", "currency", False)
    assert [call for call in harness.simulator.calls if call.provider == "mpgs"] == []


@pytest.mark.parametrize("field", ["correlation_id", "order_id"])  # the POST, or the PUT that follows
async def test_server_busy_is_retryable(harness: Any, command_id: str, field: str) -> None:
    service = await _start(harness)
    body = {"provider": "mpgs", "command_id": command_id, field: "sim-busy"}
    failed = await service.send("session.create", body)
    assert isinstance(failed, SessionFailed), failed
    assert (failed.error.code, failed.error.retryable, failed.error.provider_code) == (
        "provider_unavailable",
        True,
        "SERVER_BUSY",
    )


async def test_create_with_an_order_is_one_created_event_after_one_post_and_one_put(
    harness: Any, command_id: str
) -> None:
    """Defect 1: MPGS's Update Session reply has no ``result``; the create used to retry to max_attempts and fail,
    leaving a session per attempt. Now: one POST, one PUT, one session.created, the order and addresses stored."""
    service = await _start(harness)
    body = TestMpgsContract().create(command_id) | {"correlation_id": "checkout-7f3a"}
    body["customer"] = {**body["customer"], "billing_address": {"line1": "1 High Street", "country_code": "GB"}}
    created = await service.send("session.create", body)
    assert isinstance(created, SessionCreated), created
    assert created.correlation_id == "checkout-7f3a"
    calls = [(call.operation, call.status) for call in harness.simulator.calls if call.provider == "mpgs"]
    assert calls == [("create", 201), ("update", 200)]
    assert isinstance(created.session, MpgsSession)
    stored = _stored(harness, created.session.id)
    assert stored["billing"] == {"address": {"street": "1 High Street", "country": "GBR"}}
    assert stored["order"]["id"] == body["order_id"]


async def test_the_support_code_reaches_the_failed_event(harness: Any, command_id: str) -> None:
    service = await _start(harness)
    body = {"provider": "mpgs", "command_id": command_id, "correlation_id": "sim-500"}
    failed = await service.send("session.create", body)
    assert isinstance(failed, SessionFailed), failed
    assert (failed.error.code, failed.error.provider_code) == ("provider_unavailable", "SERVER_FAILED")
    assert failed.error.provider_reference is not None
    assert re.fullmatch(r"[0-9a-f]{12}", failed.error.provider_reference)  # the simulator's supportCode


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"customer": {"id": "cust-42"}}, "customer.id"),  # MPGS sessions have no payer id
        ({"customer": {"billing_address": {"country_code": "ZZ"}}}, "customer.billing_address.country_code"),
        ({"metadata": {"k": "v"}}, "metadata"),  # MPGS has no metadata: not in the type
    ],
)
async def test_what_mpgs_cannot_take_fails_before_any_call(
    harness: Any, command_id: str, extra: dict[str, Any], field: str
) -> None:
    service = await _start(harness)
    failed = await service.send("session.create", {"provider": "mpgs", "command_id": command_id, **extra})
    assert isinstance(failed, SessionFailed), failed
    assert (failed.error.code, failed.error.field, failed.error.retryable) == ("invalid_command", field, False)
    assert [call for call in harness.simulator.calls if call.provider == "mpgs"] == []
