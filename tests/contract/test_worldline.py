"""Worldline client sessions and Apple Pay merchant sessions through the shared provider contract, plus the
client-API flow and the refusals that must happen before any call reaches the simulator."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.events import ApplePaySession, SessionCreated, SessionFailed, WorldlineSession
from service.providers.worldline import APPLE_PAY, WORLDLINE
from tests.contract.base import ProviderContract

WORDS = {
    "400": "sim-400",
    "403-html": "sim-403",
    "500": "sim-500",
    "502-html": "sim-502",
    "timeout": "sim-timeout",
    "garbage": "sim-garbage",
    "reset": "sim-reset",
}
SECRET = "sim-worldline-secret-5b7e2c"
WRONG_SECRET = "wrong-worldline-secret-91d0"
VALIDATION_URL = "https://apple-pay-gateway-cert.apple.com/paymentservices/startSession"


def worldline_table(base_url: str, secret: str = SECRET) -> dict[str, Any]:
    return {"base_url": base_url, "merchant_id": "1234", "api_key_id": "sim-key-1", "secret_api_key": secret}


class _WorldlineAccount(ProviderContract):
    """Both Worldline flows use the same ``[accounts.<name>.worldline]`` table."""

    table = "worldline"

    def account(self, base_url: str) -> dict[str, Any]:
        return worldline_table(base_url)

    def bad_account(self, base_url: str) -> dict[str, Any]:
        return worldline_table(base_url, WRONG_SECRET)

    def secrets(self) -> list[str]:
        return [SECRET, WRONG_SECRET]


class TestWorldlineContract(_WorldlineAccount):
    provider = WORLDLINE

    def create(self, command_id: str, fault: str | None = None) -> dict[str, Any]:
        filters = {"restrict_to": {"groups": ["cards"], "products": [1, 3]}, "exclude": {"products": [302]}}
        tokens = ["tok-valid-1", "expired-tok-2"] + ([WORDS[fault]] if fault else [])
        return {
            "provider": WORLDLINE,
            "command_id": command_id,
            "options": {"payment_product_filters": filters, "tokens": tokens},
        }

    def update(self, command_id: str, session_id: str) -> dict[str, Any] | None:
        return None

    def check_created(self, event: SessionCreated) -> None:
        session = event.session
        assert isinstance(session, WorldlineSession)
        assert session.id == session.client_session_id
        assert session.customer_id.startswith("1234-")
        assert session.client_api_url is not None
        assert session.client_api_url.endswith("/client")
        assert session.invalid_tokens == ["expired-tok-2"]
        assert session.region == "EU"
        assert session.expires_at is not None


class TestApplePayContract(_WorldlineAccount):
    provider = APPLE_PAY

    def create(self, command_id: str, fault: str | None = None) -> dict[str, Any]:
        return {
            "provider": APPLE_PAY,
            "command_id": command_id,
            "options": {
                "validation_url": VALIDATION_URL,
                "domain_name": "shop.example",
                "display_name": WORDS[fault] if fault else "Example Shop",
            },
        }

    def update(self, command_id: str, session_id: str) -> dict[str, Any] | None:
        return None

    def check_created(self, event: SessionCreated) -> None:
        session = event.session
        assert isinstance(session, ApplePaySession)
        assert session.id.startswith("SSH")
        assert '"domainName":"shop.example"' in session.session_object
        assert session.expires_at is not None


def _apple_pay_calls(harness: Any) -> list[Any]:
    return [call for call in harness.simulator.calls if call.provider == APPLE_PAY]


@pytest.mark.parametrize("form", ["", "/v1"])  # clientApiUrl as answered (".../client") and ".../client/v1"
async def test_apple_pay_through_the_client_api_of_a_prior_session(harness: Any, command_id: str, form: str) -> None:
    known = {"default": {"worldline": worldline_table(harness.simulator_url)}}
    service = await harness.start(known)
    created = await service.send("session.create", TestWorldlineContract().create(command_id))
    assert isinstance(created, SessionCreated)
    prior = created.session
    assert isinstance(prior, WorldlineSession)
    # A service whose HMAC secret is wrong can still validate through the client API: no HMAC there.
    unsigned = {"default": {"worldline": worldline_table(harness.simulator_url, WRONG_SECRET)}}
    client_only = await harness.start(unsigned, simulator_accounts=known)
    body = TestApplePayContract().create(command_id + "-ap")
    body["options"] |= {
        "client_session_id": prior.client_session_id,
        "customer_id": prior.customer_id,
        "client_api_url": f"{prior.client_api_url}{form}",
    }
    del body["options"]["display_name"]  # optional at Worldline
    event = await client_only.send("session.create", body)
    assert isinstance(event, SessionCreated), event
    assert isinstance(event.session, ApplePaySession)
    assert [call.status for call in _apple_pay_calls(harness)] == [200]


async def test_client_api_refuses_another_customers_session(harness: Any, command_id: str) -> None:
    service = await harness.start({"default": {"worldline": worldline_table(harness.simulator_url)}})
    first = await service.send("session.create", TestWorldlineContract().create(command_id + "-1"))
    second = await service.send("session.create", TestWorldlineContract().create(command_id + "-2"))
    assert isinstance(first.session, WorldlineSession)
    assert isinstance(second.session, WorldlineSession)
    body = TestApplePayContract().create(command_id)
    body["options"] |= {
        "client_session_id": first.session.client_session_id,
        "customer_id": second.session.customer_id,
        "client_api_url": first.session.client_api_url,
    }
    event = await service.send("session.create", body)
    assert isinstance(event, SessionFailed), event
    assert event.error.code == "authentication_failed"
    assert event.error.provider_status == 403


async def test_refused_validation_url_never_reaches_worldline(harness: Any, command_id: str) -> None:
    service = await harness.start({"default": {"worldline": worldline_table(harness.simulator_url)}})
    body = TestApplePayContract().create(command_id)
    body["options"]["validation_url"] = "https://apple-pay-gateway.apple.com.evil.example/paymentservices/startSession"
    event = await service.send("session.create", body)
    assert isinstance(event, SessionFailed), event
    assert event.error.code == "invalid_command"
    assert event.error.field == "options.validation_url"
    assert not event.error.retryable
    assert _apple_pay_calls(harness) == []


async def test_foreign_client_api_url_never_gets_a_call(harness: Any, command_id: str) -> None:
    service = await harness.start({"default": {"worldline": worldline_table(harness.simulator_url)}})
    body = TestApplePayContract().create(command_id)
    body["options"] |= {
        "client_session_id": "cs-1",
        "customer_id": "1234-c",
        "client_api_url": "http://169.254.169.254/client",
    }
    event = await service.send("session.create", body)
    assert isinstance(event, SessionFailed), event
    assert event.error.code == "invalid_command"
    assert event.error.field == "options.client_api_url"
    assert _apple_pay_calls(harness) == []


async def test_idempotence_in_progress_is_retried_with_the_same_key(harness: Any, command_id: str) -> None:
    """R13: 409/1409 (the first request is still running) is retried later with the same key, never a failure."""
    service = await harness.start({"default": {"worldline": worldline_table(harness.simulator_url)}})
    body = TestWorldlineContract().create(command_id)
    body["options"]["tokens"] = ["sim-1409"]
    event = await service.send("session.create", body)
    assert isinstance(event, SessionCreated), event
    calls = [c for c in harness.simulator.calls if c.provider == WORLDLINE]
    assert [c.status for c in calls] == [409, 201]
    assert len({c.idempotency_key for c in calls}) == 1 and calls[0].idempotency_key


@pytest.mark.parametrize(
    ("provider", "extra", "field"),
    [
        (WORLDLINE, {"amount": 1250, "currency": "EUR"}, "amount"),  # no such field at Worldline: never dropped
        (APPLE_PAY, {"customer": {"email": "a@example.com"}}, "customer"),
        (APPLE_PAY, {"options": {"client_session_id": "cs-1"}}, "options.customer_id"),  # some ids, not all
    ],
)
async def test_what_worldline_cannot_take_is_refused_before_any_call(
    harness: Any, command_id: str, provider: str, extra: dict[str, Any], field: str
) -> None:
    service = await harness.start({"default": {"worldline": worldline_table(harness.simulator_url)}})
    contract = TestWorldlineContract() if provider == WORLDLINE else TestApplePayContract()
    body = contract.create(command_id)
    body |= {key: value for key, value in extra.items() if key != "options"}
    body["options"] |= extra.get("options", {})
    event = await service.send("session.create", body)
    assert isinstance(event, SessionFailed), event
    assert (event.error.code, event.error.field, event.error.retryable) == ("invalid_command", field, False)
    assert harness.simulator.calls == []  # refused by the contract (attempts 0) or by the adapter's checks


async def test_the_error_id_reaches_the_failed_event(harness: Any, command_id: str) -> None:
    service = await harness.start({"default": {"worldline": worldline_table(harness.simulator_url)}})
    event = await service.send("session.create", TestWorldlineContract().create(command_id, "400"))
    assert isinstance(event, SessionFailed), event
    assert event.error.provider_reference  # the simulator's errorId, for Worldline's support
