"""Primer replies beyond the documented examples (test_primer_conformance.py): bodies that are not Primer's, odd
values, and the adapter end to end against the in-process simulator (key rotation, 410, unknown tokens)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import aiohttp
import msgspec
import pytest
from aiohttp.test_utils import TestServer

from contracts.names import ErrorCode
from contracts.providers.primer import CreatePrimerSession, UpdatePrimerSession
from service.metrics import Metrics
from service.providers.base import ProviderError, idempotency_key
from service.providers.http import ProviderHttp
from service.providers.primer import errors, transformers
from service.providers.primer.adapter import PrimerProvider
from service.secret import Secret
from service.settings import PrimerAccount, settings_from_mapping
from service.simulator.app import build_app, state_of
from service.simulator.state import SimulatorState
from service.tenancy import scoped_id

API_KEY = "sim-primer-key-replies"


def test_an_expiry_with_an_offset_is_honoured_and_garbage_is_no_expiry() -> None:
    reply = b'{"clientToken": "t", "clientExpirationDate": "2026-11-22T13:00:00+01:00"}'
    assert transformers.parse_session(200, reply).expires_at == datetime(
        2026, 11, 22, 13, tzinfo=timezone(timedelta(hours=1))
    )
    assert (
        transformers.parse_session(200, b'{"clientToken": "t", "clientTokenExpirationDate": "soon"}').expires_at is None
    )


@pytest.mark.parametrize("reply", [b"<html>ok</html>", b'{"clientToken": 5}', b"[]", b'{"orderId": "o"}'])
def test_a_2xx_that_is_no_session_is_a_retryable_provider_error(reply: bytes) -> None:
    with pytest.raises(ProviderError) as caught:
        transformers.parse_session(200, reply)
    assert (caught.value.code, caught.value.retryable, caught.value.provider_status) == (
        ErrorCode.PROVIDER_ERROR,
        True,
        200,
    )


@pytest.mark.parametrize(
    ("status", "reply", "code", "retryable"),
    [
        (403, b"<html><body>Request blocked</body></html>", ErrorCode.AUTHENTICATION_FAILED, False),
        (502, b"<html>Bad gateway</html>", ErrorCode.PROVIDER_UNAVAILABLE, True),
        (429, b"", ErrorCode.RATE_LIMITED, True),
        (500, b'{"error": "not an object"}', ErrorCode.PROVIDER_UNAVAILABLE, True),
        (410, b"<html>Gone</html>", ErrorCode.MISCONFIGURED, False),
    ],
)
def test_bodies_that_are_not_primers(status: int, reply: bytes, code: ErrorCode, retryable: bool) -> None:
    error = errors.parse_error(status, reply, api_version="2.1")
    assert (error.code, error.retryable, error.provider_status, error.request_id) == (code, retryable, status, None)


def test_a_numeric_diagnostics_id_still_reaches_the_request_id() -> None:
    error = errors.parse_error(400, b'{"error": {"errorId": "X", "description": "d", "diagnosticsId": 1234567898}}')
    assert error.request_id == "1234567898"


def test_a_flat_validation_error_list_names_its_field() -> None:
    flat = {"path": "$.amount", "description": "bad"}
    reply = msgspec.json.encode({"error": {"errorId": "RequestValidationError", "validationErrors": [flat]}})
    error = errors.parse_error(422, reply)
    assert (error.field, error.message) == ("$.amount", "bad")


def test_an_unknown_token_on_create_stays_a_validation_failure() -> None:
    reply = b'{"error": {"errorId": "ClientSessionValidationError", "description": "The client token is invalid."}}'
    assert errors.parse_error(400, reply).code == ErrorCode.VALIDATION_FAILED
    assert errors.parse_error(400, reply, operation="update").code == ErrorCode.NOT_FOUND


def test_the_retired_version_message_names_the_setting() -> None:
    error = errors.parse_error(
        410,
        b'{"error": {"errorId": "ApiVersionRetired", "description": "gone", "diagnosticsId": "d-1"}}',
        api_version="2.0",
    )
    assert error.message.startswith("primer answered 410: the API version '2.0' of the account's api_version setting")
    assert error.message.endswith(": gone")
    assert (error.provider_code, error.request_id) == ("ApiVersionRetired", "d-1")


# --- the adapter against the simulator -----------------------------------------------------------------------


class Primer:
    def __init__(self, server: TestServer, http: ProviderHttp) -> None:
        self.server, self.http = server, http

    @property
    def state(self) -> SimulatorState:
        return state_of(self.server.app)  # type: ignore[arg-type]

    def adapter(self, **account: Any) -> PrimerProvider:
        table = {"base_url": str(self.server.make_url("")), "api_key": Secret(API_KEY), **account}
        return PrimerProvider(PrimerAccount(**table), self.http)


@pytest.fixture
async def primer() -> AsyncIterator[Primer]:
    accounts = {"default": {"primer": {"base_url": "http://x", "api_key": API_KEY}}}
    server = TestServer(build_app(settings_from_mapping({"accounts": accounts}, {}), hang_seconds=0.1))
    async with server, aiohttp.ClientSession() as session:
        yield Primer(server, ProviderHttp(session, Metrics()))


def create(**fields: Any) -> CreatePrimerSession:
    return msgspec.convert({"command_id": "cmd-r-1", **fields}, CreatePrimerSession)


def update(token: str, **fields: Any) -> UpdatePrimerSession:
    return msgspec.convert({"command_id": "cmd-r-2", "session_id": token, **fields}, UpdatePrimerSession)


async def test_create_then_an_email_change_keeps_the_rest_of_the_customer(primer: Primer) -> None:
    customer = {
        "email": "ada@example.com",
        "first_name": "Ada",
        "phone": "+441234",
        "billing_address": {"city": "London"},
    }
    session = await primer.adapter().create(create(amount=1250, currency="EUR", customer=customer))
    assert session.expires_at is not None and session.expires_at - datetime.now(UTC) > timedelta(hours=23)
    updated = await primer.adapter().update(update(session.id, customer={"email": "new@example.com"}))
    assert (updated.id, updated.expires_at) == (session.id, None)  # PATCH answers no token and no expiry
    stored = primer.state.sessions[f"primer:{session.id}"]["customer"]
    assert stored == {
        "emailAddress": "new@example.com",
        "firstName": "Ada",
        "mobileNumber": "+441234",
        "billingAddress": {"firstName": "Ada", "city": "London"},
    }


async def test_a_reused_key_rotates_to_the_next_derived_one(primer: Primer) -> None:
    first = idempotency_key(scoped_id("default", "cmd-r-1"), 0)
    primer.state.idempotency[f"primer:{first}"] = True  # an earlier attempt created a session we never heard of
    session = await primer.adapter().create(create(amount=100, currency="EUR"))
    assert session.id.startswith("sim_primer_")
    assert [(c.status, c.idempotency_key) for c in primer.state.calls] == [
        (409, first),
        (200, idempotency_key(scoped_id("default", "cmd-r-1"), 1)),
    ]


async def test_a_retired_api_version_is_misconfigured(primer: Primer) -> None:
    with pytest.raises(ProviderError) as caught:
        await primer.adapter(api_version="2.0").create(create(amount=100, currency="EUR"))
    error = caught.value
    assert (error.code, error.retryable, error.provider_status) == (ErrorCode.MISCONFIGURED, False, 410)
    assert "'2.0'" in error.message and "api_version" in error.message and error.request_id
    assert len(primer.state.calls) == 1


async def test_an_unknown_token_is_not_found_with_primers_reference(primer: Primer) -> None:
    with pytest.raises(ProviderError) as caught:
        await primer.adapter().update(update("0000000000000000000000000000dead", amount=100))
    error = caught.value
    assert (error.code, error.retryable, error.provider_status) == (ErrorCode.NOT_FOUND, False, 400)
    assert error.provider_code == "ClientSessionValidationError" and error.request_id
