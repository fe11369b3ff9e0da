"""S9: a command value that goes into a URL path is one segment or is refused before any request.

``quote`` leaves ``.`` and ``..`` alone and the HTTP client resolves them, so these tests read every URL the
way aiohttp does (``yarl.URL``): the path must have as many segments as the template and end in the value.
Commands are built without the contract's checks: the adapters must hold on their own.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from contracts.commands import ApplePayCreateOptions, CreateApplePaySession, UpdateAcquiredSession, UpdateMpgsSession
from contracts.names import ErrorCode
from service.providers.acquired.adapter import AcquiredProvider
from service.providers.base import ProviderError
from service.providers.http import HttpReply
from service.providers.mpgs.adapter import MpgsProvider
from service.providers.paths import segment
from service.providers.worldline.adapter import ApplePayProvider
from service.secret import Secret
from service.settings import AcquiredAccount, MpgsAccount, SettingsError, WorldlineAccount, settings_from_mapping

BASE = "https://provider.example"
HOSTILE = ["..", ".", "", "a/b", "%2e%2e", "..%2f", "%2E%2E", "..\\", "a\\b", "./x", "a%2Fb", "..;", "x\n"]
values = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(alphabet="./\\%2eEfF-_aZ09", max_size=12),
    st.text(max_size=20),
)


class RecordingHttp:
    """A fake of the HTTP port: records each request and answers from a canned table by operation."""

    def __init__(self, replies: dict[str, tuple[int, Any]]) -> None:
        self.replies = replies
        self.urls: list[str] = []

    async def send(self, provider: str, operation: str, method: str, url: str, **kwargs: Any) -> HttpReply:
        self.urls.append(url)
        status, body = self.replies[operation]
        return HttpReply(status, CIMultiDictProxy(CIMultiDict()), b"" if body is None else msgspec.json.encode(body))


class FixedClock:
    def now(self) -> datetime:
        return datetime(2025, 3, 1, tzinfo=UTC)


def mpgs(value: str) -> tuple[RecordingHttp, Any]:
    account = MpgsAccount(base_url=BASE, merchant_id="M1", api_password=Secret("pw"))
    http = RecordingHttp({"update": (200, {"result": "SUCCESS", "session": {"id": "SESSION0002ab"}})})
    provider = MpgsProvider(account, http, FixedClock())  # type: ignore[arg-type]
    return http, provider.update(UpdateMpgsSession(command_id="u-1", session_id=value))


def acquired(value: str) -> tuple[RecordingHttp, Any]:
    account = AcquiredAccount(base_url=BASE, app_id="app", app_key=Secret("key"))
    login = {"token_type": "Bearer", "expires_in": 3600, "access_token": "tok"}
    http = RecordingHttp({"login": (200, login), "update": (204, None)})
    provider = AcquiredProvider(account, http, FixedClock())  # type: ignore[arg-type]
    return http, provider.update(UpdateAcquiredSession(command_id="u-1", session_id=value))


def apple_pay(value: str) -> tuple[RecordingHttp, Any]:
    account = WorldlineAccount(base_url=BASE, merchant_id="1234", api_key_id="k", secret_api_key=Secret("s"))
    reply = {"paymentProductSession302SpecificOutput": {"sessionObject": '{"merchantSessionIdentifier": "SSH1"}'}}
    http = RecordingHttp({"create": (200, reply)})
    options = ApplePayCreateOptions(
        validation_url="https://apple-pay-gateway.apple.com/paymentservices/startSession",
        domain_name="shop.example",
        display_name="Shop",
        client_session_id="cs-1",
        customer_id=value,
        client_api_url=f"{BASE}/client",
    )
    provider = ApplePayProvider(account, http, FixedClock())  # type: ignore[arg-type]
    return http, provider.create(CreateApplePaySession(command_id="c-1", options=options))


# adapter, the URL template with {} for the value, the field a refusal names
ADAPTERS = {
    "mpgs": (mpgs, BASE + "/api/rest/version/100/merchant/M1/session/{}", "session_id"),
    "acquired": (acquired, BASE + "/v1/payment-sessions/{}", "session_id"),
    "worldline-applepay": (apple_pay, BASE + "/client/v1/{}/products/302/sessions", "options.customer_id"),
}


def refusal(call: Any) -> ProviderError | None:
    try:
        asyncio.run(call) if asyncio.iscoroutine(call) else call()
    except ProviderError as error:
        return error
    return None


def check_one_segment(adapter: str, value: str) -> None:
    """Either refused with ``invalid_command`` and no request, or sent to a URL shaped like the template."""
    build, template, field = ADAPTERS[adapter]
    http, call = build(value)
    error = refusal(call)
    if error is not None:
        assert (error.code, error.field, error.retryable) == (ErrorCode.INVALID_COMMAND, field, False)
        assert http.urls == []
        return
    sent = URL(http.urls[-1])  # what aiohttp puts on the wire, dot segments resolved
    expected = URL(template.format("x"))
    assert len(sent.raw_parts) == len(expected.raw_parts), (value, sent)
    assert sent.parts[expected.parts.index("x")] == value


@pytest.mark.parametrize("adapter", ADAPTERS)
@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_are_refused_before_any_request(adapter: str, value: str) -> None:
    build, _, field = ADAPTERS[adapter]
    http, call = build(value)
    with pytest.raises(ProviderError) as caught:
        asyncio.run(call)
    assert (caught.value.code, caught.value.field) == (ErrorCode.INVALID_COMMAND, field)
    assert http.urls == []


@pytest.mark.parametrize(
    ("adapter", "value"),
    [("mpgs", "SESSION0002776555272H3836735J22"), ("acquired", "5d7f3a2e-8c1b-4f6a-9e0d-3b2c1a4f5e6d"),
     ("worldline-applepay", "1234-a6601884_Ab")],
)  # fmt: skip
def test_real_ids_go_through(adapter: str, value: str) -> None:
    check_one_segment(adapter, value)


@pytest.mark.parametrize("adapter", ADAPTERS)
@settings(deadline=None)  # each example runs an event loop: no per-example deadline on a busy machine
@given(value=values)
def test_no_value_changes_the_shape_of_the_path(adapter: str, value: str) -> None:
    check_one_segment(adapter, value)


ANY_ID = re.compile(r".{1,64}", re.DOTALL)


@given(value=values)
def test_segment_holds_even_with_a_permissive_alphabet(value: str) -> None:
    template = "https://h/v1/{}/sessions"
    quoted: list[str] = []
    error = refusal(lambda: quoted.append(segment(value, "field", ANY_ID, provider="test")))
    if error is not None:
        assert error.code is ErrorCode.INVALID_COMMAND and error.field == "field"
        assert error.message == "field is not a valid test id"
        return
    url = URL(template.format(quoted[0]))
    assert len(url.raw_parts) == len(URL(template.format("x")).raw_parts) and url.parts[2] == value


@pytest.mark.parametrize("merchant", ["..", ".", "", "a/b", "a\\b", "%2e%2e"])
@pytest.mark.parametrize("provider", ["mpgs", "worldline"])
def test_a_configured_merchant_id_that_is_no_segment_stops_the_start(merchant: str, provider: str) -> None:
    tables = {
        "mpgs": {"base_url": BASE, "merchant_id": merchant, "api_password": "p"},
        "worldline": {"base_url": BASE, "merchant_id": merchant, "api_key_id": "k", "secret_api_key": "s"},
    }
    with pytest.raises(SettingsError, match=rf"accounts\.shop\.{provider}: merchant_id must be one URL path segment"):
        settings_from_mapping({"accounts": {"shop": {provider: tables[provider]}}}, {})
