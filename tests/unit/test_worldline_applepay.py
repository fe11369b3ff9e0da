"""Apple Pay through Worldline: request body, reply, flow choice, and the adapters seen from a fake HTTP port."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from contracts.commands import (
    ApplePayCreateOptions,
    CreateApplePaySession,
    CreateWorldlineSession,
    UpdateApplePaySession,
    UpdateWorldlineSession,
)
from contracts.names import ErrorCode
from service.providers.base import ProviderError
from service.providers.http import HttpReply
from service.providers.worldline import client_api, transformers
from service.providers.worldline.adapter import ApplePayProvider, WorldlineProvider
from service.providers.worldline.urls import shipped_client_api_hosts
from service.secret import Secret
from service.settings import SettingsError, WorldlineAccount, settings_from_mapping

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
VALIDATION_URL = "https://apple-pay-gateway-cert.apple.com/paymentservices/startSession"
BASE = "https://api.preprod.connect.worldline-solutions.com"
SECRET = "worldline-secret-do-not-leak"
HOSTS = shipped_client_api_hosts()


def options(**extra: Any) -> ApplePayCreateOptions:
    raw = {"validation_url": VALIDATION_URL, "domain_name": "shop.example", "display_name": "Shop", **extra}
    return ApplePayCreateOptions(**raw)  # unvalidated: the adapter's own guards are under test


def test_body_uses_worldline_names_and_the_checked_url() -> None:
    body = msgspec.json.decode(transformers.applepay_body(options(), "https://checked.example/x"))
    assert body == {
        "paymentProductSession302SpecificInput": {
            "displayName": "Shop",
            "domainName": "shop.example",
            "validationUrl": "https://checked.example/x",
        }
    }


def test_display_name_is_optional_and_left_out_when_absent() -> None:
    body = msgspec.json.decode(transformers.applepay_body(options(display_name=None), "https://checked.example/x"))
    assert body == {
        "paymentProductSession302SpecificInput": {
            "domainName": "shop.example",
            "validationUrl": "https://checked.example/x",
        }
    }


def reply(session_object: str) -> bytes:
    return msgspec.json.encode({"paymentProductSession302SpecificOutput": {"sessionObject": session_object}})


def test_session_id_is_apples_merchant_session_identifier() -> None:
    apple = '{"merchantSessionIdentifier": "SSH1234", "epochTimestamp": 1, "signature": "abc"}'
    session = transformers.parse_applepay_session(200, reply(apple), NOW)
    assert session.id == "SSH1234"
    assert session.session_object == apple
    assert session.expires_at == NOW + timedelta(minutes=5)


@pytest.mark.parametrize("apple", ["opaque-not-json", "[1]", '{"merchantSessionIdentifier": 5}', '{"other": 1}'])
def test_session_id_falls_back_to_a_digest(apple: str) -> None:
    session = transformers.parse_applepay_session(201, reply(apple), NOW)
    assert session.id == hashlib.sha256(apple.encode()).hexdigest()[:32]


@pytest.mark.parametrize(
    "body",
    [b"", b"<html/>", b'{"truncated": ', b"{}", b'{"paymentProductSession302SpecificOutput": {}}', reply("")],
)
def test_malformed_success_is_retryable(body: bytes) -> None:
    with pytest.raises(ProviderError) as caught:
        transformers.parse_applepay_session(200, body, NOW)
    assert caught.value.code == ErrorCode.PROVIDER_ERROR
    assert caught.value.retryable


def test_client_api_is_used_with_all_three_ids_and_the_server_api_with_none() -> None:
    full = options(client_session_id="cs-1", customer_id="1234-ab_c", client_api_url=f"{BASE}/client")
    target = client_api.client_api_target(full, BASE, HOSTS)
    assert target is not None
    assert target.authorization == "GCS v1Client:cs-1"
    assert target.url == f"{BASE}/client/v1/1234-ab_c/products/302/sessions"
    assert client_api.client_api_target(options(), BASE, HOSTS) is None


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({"client_session_id": "cs-1", "customer_id": "c"}, "client_api_url"),
        ({"client_session_id": "cs-1"}, "customer_id"),
        ({"customer_id": "c", "client_api_url": f"{BASE}/client"}, "client_session_id"),
        ({"client_api_url": f"{BASE}/client"}, "client_session_id"),
    ],
)
def test_some_client_api_ids_without_the_others_are_refused_not_dropped(given: dict[str, str], missing: str) -> None:
    with pytest.raises(ProviderError) as caught:
        client_api.client_api_target(options(**given), BASE, HOSTS)
    assert (caught.value.code, caught.value.field) == (ErrorCode.INVALID_COMMAND, f"options.{missing}")


@pytest.mark.parametrize(("field", "value"), [("client_session_id", "cs 1"), ("customer_id", "c\r\nX-Evil: 1")])
def test_ids_that_would_break_a_header_or_path_are_refused(field: str, value: str) -> None:
    ids = {"client_session_id": "cs-1", "customer_id": "c-1", "client_api_url": f"{BASE}/client", field: value}
    with pytest.raises(ProviderError) as caught:
        client_api.client_api_target(options(**ids), BASE, HOSTS)
    assert caught.value.code == ErrorCode.INVALID_COMMAND
    assert caught.value.field == f"options.{field}"


# --- adapters against a fake HTTP port -----------------------------------------------------------------


class FakeHttp:
    """Records requests and answers with a canned reply: a fake of the port, not a mock."""

    def __init__(self, status: int = 201, body: bytes = b"{}") -> None:
        self.requests: list[dict[str, Any]] = []
        self.reply = HttpReply(status, CIMultiDictProxy(CIMultiDict()), body)

    async def send(self, provider: str, operation: str, method: str, url: str, **kwargs: Any) -> HttpReply:
        self.requests.append({"provider": provider, "operation": operation, "method": method, "url": url, **kwargs})
        return self.reply


class FixedClock:
    def now(self) -> datetime:
        return NOW


def account(**extra: Any) -> WorldlineAccount:
    fields = {"base_url": BASE, "merchant_id": "1234", "api_key_id": "key-1", "secret_api_key": Secret(SECRET)}
    return WorldlineAccount(**{**fields, **extra})


def apple_command(**extra: Any) -> CreateApplePaySession:
    raw = {
        "command_id": "cmd-ap",
        "options": {"validation_url": VALIDATION_URL, "domain_name": "shop.example", "display_name": "Shop", **extra},
    }
    return msgspec.convert(raw, CreateApplePaySession)


def expected_signature(method: str, url: str, headers: dict[str, str]) -> str:
    """An independent spelling of v1HMAC over the headers the adapter handed to the HTTP port."""
    gcs = sorted((k.lower(), v.strip()) for k, v in headers.items() if k.lower().startswith("x-gcs"))
    lines = [method, headers["Content-Type"], headers["Date"], *(f"{k}:{v}" for k, v in gcs), URL(url).raw_path_qs]
    digest = hmac.new(SECRET.encode(), ("\n".join(lines) + "\n").encode(), hashlib.sha256).digest()
    return f"GCS v1HMAC:key-1:{base64.b64encode(digest).decode()}"


def test_worldline_create_signs_exactly_the_headers_it_sends() -> None:
    http = FakeHttp(201, b'{"clientSessionId": "cs", "customerId": "c"}')
    provider = WorldlineProvider(account(), http, FixedClock())  # type: ignore[arg-type]
    command = msgspec.convert({"command_id": "cmd-1", "options": {"tokens": ["t1"]}}, CreateWorldlineSession)
    session = asyncio.run(provider.create(command))
    assert session.id == "cs"
    assert session.expires_at == NOW + timedelta(hours=2)
    (sent,) = http.requests
    headers = sent["headers"]
    assert sent["url"] == f"{BASE}/v1/1234/sessions"
    assert sent["method"] == "POST"
    assert headers["Date"] == "Sat, 01 Mar 2025 12:00:00 GMT"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-GCS-Idempotence-Key"] == hashlib.sha256(b"cmd-1").hexdigest()[:40]
    assert "X-GCS-ServerMetaInfo" in headers
    assert headers["Authorization"] == expected_signature("POST", sent["url"], headers)
    assert SECRET not in repr({name: value for name, value in sent.items() if name != "secrets"})


def test_apple_pay_server_api_is_signed_and_the_client_api_is_not() -> None:
    http = FakeHttp(200, reply('{"merchantSessionIdentifier": "SSH1"}'))
    provider = ApplePayProvider(account(), http, FixedClock())  # type: ignore[arg-type]
    assert asyncio.run(provider.create(apple_command())).id == "SSH1"
    ids = {"client_session_id": "cs-9", "customer_id": "1234-c", "client_api_url": f"{BASE}/client"}
    asyncio.run(provider.create(apple_command(**ids)))
    server, client = http.requests
    assert server["url"] == f"{BASE}/v1/1234/products/302/sessions"
    assert server["headers"]["Authorization"] == expected_signature("POST", server["url"], server["headers"])
    assert client["url"] == f"{BASE}/client/v1/1234-c/products/302/sessions"
    assert client["headers"]["Authorization"] == "GCS v1Client:cs-9"
    assert "Date" not in client["headers"]
    assert (
        msgspec.json.decode(client["body"])["paymentProductSession302SpecificInput"]["validationUrl"] == VALIDATION_URL
    )


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"validation_url": "https://apple-pay-gateway.apple.com.evil.com/x"}, "options.validation_url"),
        ({"validation_url": "http://apple-pay-gateway.apple.com/x"}, "options.validation_url"),
        (
            {"client_session_id": "cs", "customer_id": "c", "client_api_url": "https://evil.com/client"},
            "options.client_api_url",
        ),
    ],
)
def test_refused_urls_fail_before_any_request(extra: dict[str, str], field: str) -> None:
    http = FakeHttp()
    provider = ApplePayProvider(account(), http, FixedClock())  # type: ignore[arg-type]
    with pytest.raises(ProviderError) as caught:
        asyncio.run(provider.create(apple_command(**extra)))
    assert (caught.value.code, caught.value.field, caught.value.retryable) == (ErrorCode.INVALID_COMMAND, field, False)
    assert http.requests == []


def test_account_host_list_overrides_the_shipped_one() -> None:
    http = FakeHttp(200, reply("x"))
    provider = ApplePayProvider(account(applepay_domains=["pay.example.test"]), http, FixedClock())  # type: ignore[arg-type]
    asyncio.run(provider.create(apple_command(validation_url="https://pay.example.test/start")))
    with pytest.raises(ProviderError):
        asyncio.run(provider.create(apple_command()))
    assert len(http.requests) == 1


def test_account_client_api_hosts_override_the_shipped_ones() -> None:
    http = FakeHttp(200, reply("x"))
    own = account(client_api_hosts=["client.example.test"])
    provider = ApplePayProvider(own, http, FixedClock())  # type: ignore[arg-type]
    ids = {"client_session_id": "cs-9", "customer_id": "1234-c"}
    asyncio.run(provider.create(apple_command(**ids, client_api_url="https://client.example.test/client")))
    with pytest.raises(ProviderError) as caught:
        asyncio.run(provider.create(apple_command(**ids, client_api_url="https://eu.api-ingenico.com/client")))
    assert caught.value.field == "options.client_api_url"
    assert [request["url"] for request in http.requests] == [
        "https://client.example.test/client/v1/1234-c/products/302/sessions"
    ]


@pytest.mark.parametrize("host", ["https://eu.api-ingenico.com", "eu.api-ingenico.com/client", "*.", "*", "a b.com"])
def test_client_api_hosts_must_be_host_names(host: str) -> None:
    table = {"base_url": BASE, "merchant_id": "1", "api_key_id": "k", "secret_api_key": "s", "client_api_hosts": [host]}
    with pytest.raises(SettingsError, match="client_api_hosts"):
        settings_from_mapping({"accounts": {"a": {"worldline": table}}}, {})


def test_apple_pay_errors_map_1426_to_unsupported() -> None:
    body = b'{"errorId": "e", "errors": [{"code": "1426", "id": "CREATE_SESSION_NOT_AVAILABLE_FOR_PRODUCT"}]}'
    provider = ApplePayProvider(account(), FakeHttp(404, body), FixedClock())  # type: ignore[arg-type]
    with pytest.raises(ProviderError) as caught:
        asyncio.run(provider.create(apple_command()))
    assert caught.value.code == ErrorCode.UNSUPPORTED
    assert not caught.value.retryable


def test_neither_provider_updates() -> None:
    http = FakeHttp()
    worldline = WorldlineProvider(account(), http, FixedClock())  # type: ignore[arg-type]
    apple_pay = ApplePayProvider(account(), http, FixedClock())  # type: ignore[arg-type]
    calls = (
        worldline.update(msgspec.convert({"command_id": "u", "session_id": "s"}, UpdateWorldlineSession)),
        apple_pay.update(msgspec.convert({"command_id": "u", "session_id": "s"}, UpdateApplePaySession)),
    )
    for call in calls:
        with pytest.raises(ProviderError) as caught:
            asyncio.run(call)
        assert caught.value.code == ErrorCode.UNSUPPORTED
        assert not caught.value.retryable
    assert http.requests == []
