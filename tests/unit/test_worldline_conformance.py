"""Worldline client sessions and Apple Pay merchant sessions against the conformance corpus (tests/providers/
worldline/ and tests/providers/worldline-applepay/): examples transcribed from Worldline's documents and official
SDKs, so the adapter and the simulator are no longer each other's only witness. Every assertion names its file."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest
from aiohttp.test_utils import TestServer
from multidict import CIMultiDict, CIMultiDictProxy

from contracts.commands import ApplePayCreateOptions, CreateApplePaySession, CreateWorldlineSession
from contracts.names import ErrorCode
from service.providers.base import ProviderError
from service.providers.http import HttpReply
from service.providers.worldline import APPLE_PAY, WORLDLINE, client_api, signing, transformers, urls
from service.providers.worldline.adapter import ApplePayProvider, WorldlineProvider
from service.secret import Secret
from service.settings import WorldlineAccount, settings_from_mapping
from service.simulator.app import build_app

CORPUS = Path(__file__).parents[1] / "providers"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
APPLE_URL = "https://apple-pay-gateway.apple.com/paymentservices/startSession"
BASE = "https://api.preprod.connect.worldline-solutions.com"
HOSTS = urls.shipped_client_api_hosts()
TEST_FIXTURE_ONLY = {"worldline/create-reply-swift-tests.json"}  # a host no document names: not shipped


def example(name: str) -> dict[str, Any]:
    """``name`` is ``<provider>/<file>``."""
    loaded: dict[str, Any] = json.loads((CORPUS / name).read_text(encoding="utf-8"))
    return loaded


def names(provider: str, kind: str) -> list[str]:
    files = sorted((CORPUS / provider).glob("*.json"))
    return [f"{provider}/{path.name}" for path in files if example(f"{provider}/{path.name}")["kind"] == kind]


def raw(body: Any) -> bytes:
    """A corpus body as the bytes on the wire: a JSON string stands for a non-JSON body."""
    return body.encode() if isinstance(body, str) else msgspec.json.encode(body)


def without_empty_lists(node: Any) -> Any:
    """What our requests send of a documented body: an empty filter list filters nothing and is left out."""
    if isinstance(node, dict):
        kept = {key: without_empty_lists(value) for key, value in node.items() if value != []}
        return {key: value for key, value in kept.items() if value != {}}
    return node


# --- requests we build have the documented shape ------------------------------------------------------------


def worldline_command(documented: dict[str, Any]) -> CreateWorldlineSession:
    """The command whose options say what the documented ``SessionRequest`` says."""
    filters = documented.get("paymentProductFilters", {})
    options: dict[str, Any] = {"tokens": documented.get("tokens", [])}
    if filters:
        options["payment_product_filters"] = {
            {"restrictTo": "restrict_to", "exclude": "exclude"}[key]: value for key, value in filters.items()
        }
    return msgspec.convert({"command_id": "c-1", "options": options}, CreateWorldlineSession)


@pytest.mark.parametrize("name", names("worldline", "create-request"))
def test_create_body_is_the_documented_session_request(name: str) -> None:
    documented = example(name)["body"]
    sent = msgspec.json.decode(transformers.create_body(worldline_command(documented)))
    assert sent == without_empty_lists(documented), name
    for product_filter in sent.get("paymentProductFilters", {}).values():
        assert all(isinstance(group, str) for group in product_filter.get("groups", [])), name
        assert all(isinstance(product, int) for product in product_filter.get("products", [])), name


@pytest.mark.parametrize("name", names("worldline-applepay", "create-request"))
def test_apple_pay_body_is_the_documented_302_specific_input(name: str) -> None:
    documented = example(name)["body"]["paymentProductSession302SpecificInput"]
    options = ApplePayCreateOptions(
        validation_url=APPLE_URL, domain_name=documented["domainName"], display_name=documented.get("displayName")
    )
    sent = msgspec.json.decode(transformers.applepay_body(options, APPLE_URL))
    assert sent == {"paymentProductSession302SpecificInput": {**documented, "validationUrl": APPLE_URL}}, name


def test_the_client_api_call_is_the_documented_one() -> None:
    """The reference's client API request: Authorization ``GCS v1Client:<session>``, URI
    ``https://eu.api-ingenico.com/client/v1/<customer>/...`` (defect: that host used to be refused)."""
    name = "worldline-applepay/client-api-request-authentication.json"
    documented = example(name)["request"]
    customer = documented["url"].split("/client/v1/")[1].split("/")[0]
    session_id = documented["headers"]["Authorization"].removeprefix("GCS v1Client:")
    options = ApplePayCreateOptions(
        validation_url=APPLE_URL,
        domain_name="shop.example",
        client_session_id=session_id,
        customer_id=customer,
        client_api_url="https://eu.api-ingenico.com/client",
    )
    target = client_api.client_api_target(options, BASE, HOSTS)
    assert target is not None, name
    assert target.url == f"https://eu.api-ingenico.com/client/v1/{customer}/products/302/sessions", name
    assert documented["url"].startswith(target.url.split("/products/")[0] + "/"), name
    assert target.authorization == documented["headers"]["Authorization"], name


@pytest.mark.parametrize("region", ["EU", "US", "AMS", "PAR"])
@pytest.mark.parametrize("environment", ["PROD", "PREPROD", "SANDBOX"])
def test_every_documented_client_api_endpoint_is_accepted(environment: str, region: str) -> None:
    name = "worldline-applepay/client-api-endpoints-js-sdk-3.json"
    endpoint = example(name)["body"][environment][region]
    assert urls.check_client_api_url(endpoint, BASE, HOSTS) == endpoint, name
    assert urls.check_client_api_url(endpoint.removesuffix("/v1"), BASE, HOSTS) == endpoint, name


# --- documented replies become the right session ------------------------------------------------------------


@pytest.mark.parametrize("name", names("worldline", "create-reply"))
def test_documented_session_reply_is_parsed(name: str) -> None:
    documented = example(name)
    body = documented["body"]
    session = transformers.parse_session(documented["status"] or 201, raw(body), NOW)
    assert (session.id, session.client_session_id) == (body["clientSessionId"], body["clientSessionId"]), name
    assert (session.customer_id, session.client_api_url) == (body["customerId"], body["clientApiUrl"]), name
    assert (session.asset_url, session.region) == (body["assetUrl"], body.get("region")), name
    assert session.invalid_tokens == body.get("invalidTokens", []), name
    assert session.expires_at == NOW + transformers.SESSION_LIFETIME, name


@pytest.mark.parametrize("name", names("worldline", "create-reply"))
def test_a_documented_client_api_url_can_be_used_for_apple_pay(name: str) -> None:
    url = example(name)["body"]["clientApiUrl"]
    if name in TEST_FIXTURE_ONLY:
        with pytest.raises(ProviderError):
            urls.check_client_api_url(url, BASE, HOSTS)
        hosts = urls.parse_hosts([*HOSTS, url.split("/")[2]])  # what an account's client_api_hosts adds
        assert urls.check_client_api_url(url, BASE, hosts).endswith("/client/v1"), name
        return
    assert urls.check_client_api_url(url, BASE, HOSTS) == url.removesuffix("/v1") + "/v1", name


@pytest.mark.parametrize("name", names("worldline-applepay", "create-reply"))
def test_documented_merchant_session_reply_is_parsed(name: str) -> None:
    documented = example(name)
    session = transformers.parse_applepay_session(documented["status"] or 200, raw(documented["body"]), NOW)
    session_object = documented["body"]["paymentProductSession302SpecificOutput"]["sessionObject"]
    assert session.session_object == session_object, name
    assert session.id == transformers.merchant_session_id(session_object), name  # opaque here: a digest
    assert session.expires_at == NOW + transformers.APPLE_PAY_SESSION_LIFETIME, name


# --- documented errors become the right ProviderError, errorId included -----------------------------------------

VALIDATION = (ErrorCode.VALIDATION_FAILED, False)
EXPECTED_ERRORS: dict[str, tuple[ErrorCode, bool, str | None]] = {  # code, retryable, field
    "worldline/error-400-invalid-card-number.json": (*VALIDATION, None),
    "worldline/error-400-invalid-request.json": (*VALIDATION, "cardPaymentMethodSpecificInput.card.expiryDate"),
    "worldline/error-401-invalid-authorization.json": (ErrorCode.AUTHENTICATION_FAILED, False, None),
    "worldline/error-404-not-found-html.json": (ErrorCode.NOT_FOUND, False, None),
    "worldline/error-409-duplicate-request-in-progress.json": (ErrorCode.CONFLICT, True, None),
    "worldline/error-500-unknown-server-error.json": (ErrorCode.PROVIDER_UNAVAILABLE, True, None),
    "worldline-applepay/error-403-client-api-swift.json": (ErrorCode.AUTHENTICATION_FAILED, False, None),
    "worldline-applepay/error-400-invalid-request.json": (
        *VALIDATION,
        "cardPaymentMethodSpecificInput.card.expiryDate",
    ),
}


def test_every_error_example_has_an_expectation() -> None:
    assert set(EXPECTED_ERRORS) == set(names("worldline", "error-reply") + names("worldline-applepay", "error-reply"))


@pytest.mark.parametrize("name", sorted(EXPECTED_ERRORS))
def test_documented_error_is_classified_with_its_error_id(name: str) -> None:
    documented = example(name)
    body, status = documented["body"], documented["status"]
    provider = APPLE_PAY if name.startswith(APPLE_PAY) else WORLDLINE
    error = transformers.parse_error(status, raw(body), provider=provider)
    assert (error.code, error.retryable, error.field) == EXPECTED_ERRORS[name], name
    assert error.provider_status == status, name
    is_json = isinstance(body, dict)
    assert error.provider_code == (body["errors"][0]["code"] if is_json else None), name
    assert error.request_id == (body["errorId"] if is_json else None), name
    assert error.to_error_info().provider_reference == error.request_id, name


class FakeHttp:
    """The HTTP port answering one canned reply: a fake, not a mock."""

    def __init__(self, status: int, body: bytes) -> None:
        self.reply = HttpReply(status, CIMultiDictProxy(CIMultiDict()), body)
        self.urls: list[str] = []

    async def send(self, provider: str, operation: str, method: str, url: str, **kwargs: Any) -> HttpReply:
        self.urls.append(url)
        return self.reply


class Clock:
    def now(self) -> datetime:
        return NOW


def account() -> WorldlineAccount:
    return WorldlineAccount(base_url=BASE, merchant_id="1234", api_key_id="k", secret_api_key=Secret("s"))


def apple_pay_command(client_api_url: str | None) -> CreateApplePaySession:
    options: dict[str, Any] = {"validation_url": APPLE_URL, "domain_name": "shop.example"}
    if client_api_url:
        options |= {"client_session_id": "cs-1", "customer_id": "9991-c", "client_api_url": client_api_url}
    return msgspec.convert({"command_id": "c-1", "options": options}, CreateApplePaySession)


@pytest.mark.parametrize("client_api_url", [None, "https://eu.api-ingenico.com/client", f"{BASE}/client/v1"])
@pytest.mark.parametrize("name", sorted(EXPECTED_ERRORS))
def test_every_endpoint_carries_the_error_id_to_the_error(name: str, client_api_url: str | None) -> None:
    """Client sessions, Apple Pay on the server API and on the client API all report ``errorId``."""
    documented = example(name)
    http = FakeHttp(documented["status"], raw(documented["body"]))
    reference = documented["body"]["errorId"] if isinstance(documented["body"], dict) else None
    apple_pay = ApplePayProvider(account(), http, Clock())  # type: ignore[arg-type]
    calls: list[Coroutine[Any, Any, object]] = [apple_pay.create(apple_pay_command(client_api_url))]
    if client_api_url is None:
        worldline = WorldlineProvider(account(), http, Clock())  # type: ignore[arg-type]
        calls.append(worldline.create(msgspec.convert({"command_id": "c-1"}, CreateWorldlineSession)))
    for call in calls:
        with pytest.raises(ProviderError) as caught:
            asyncio.run(call)
        assert caught.value.request_id == reference, name
    assert len(http.urls) == len(calls), name


# --- the simulator answers in the documented shapes ------------------------------------------------------------

SECRET = "sim-conformance-secret"


@pytest.fixture
async def simulator() -> AsyncIterator[tuple[str, aiohttp.ClientSession]]:
    table = {"base_url": "http://127.0.0.1:1", "merchant_id": "1234", "api_key_id": "key-1", "secret_api_key": SECRET}
    app = build_app(settings_from_mapping({"accounts": {"a": {"worldline": table}}}, {}), hang_seconds=0.5)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as client:
        yield f"http://127.0.0.1:{server.port}", client
    await server.close()


async def signed_post(sim: tuple[str, aiohttp.ClientSession], path: str, body: Any) -> tuple[int, Any]:
    base, client = sim
    headers = {"Content-Type": "application/json", "Date": signing.http_date(datetime.now(UTC))}
    headers["Authorization"] = signing.authorization("key-1", SECRET, "POST", path, headers)
    async with client.post(base + path, data=msgspec.json.encode(body), headers=headers) as response:
        return response.status, await response.json()


def documented_keys(bodies: list[dict[str, Any]]) -> tuple[set[str], set[str]]:
    """(every key some document shows, the keys every document shows)."""
    keys = [set(body) for body in bodies]
    return set().union(*keys), set.intersection(*keys)


def assert_documented(reply: dict[str, Any], bodies: list[dict[str, Any]], what: str) -> None:
    shown, always = documented_keys(bodies)
    assert set(reply) <= shown, f"{what}: {set(reply) - shown} is in no document"
    assert always <= set(reply), f"{what}: {always - set(reply)} is in every document"


ERROR_FILES = [name for name in EXPECTED_ERRORS if isinstance(example(name)["body"], dict)]


def assert_documented_error(reply: dict[str, Any], what: str) -> None:
    bodies = [example(name)["body"] for name in ERROR_FILES]
    assert_documented(reply, bodies, what + f" (vs {', '.join(ERROR_FILES)})")
    items = [item for body in bodies for item in body["errors"]]
    for item in reply["errors"]:
        assert_documented(item, items, what + " errors[]")


@pytest.mark.parametrize("name", names("worldline", "create-request"))
async def test_simulator_takes_documented_requests_and_answers_documented_sessions(simulator: Any, name: str) -> None:
    status, reply = await signed_post(simulator, "/v1/1234/sessions", example(name)["body"])
    assert 200 <= status < 300, name
    replies = names("worldline", "create-reply")
    assert_documented(reply, [example(reply_name)["body"] for reply_name in replies], f"simulator vs {replies}")
    assert reply["clientApiUrl"].endswith(urls.CLIENT_API_PATHS), name


@pytest.mark.parametrize("name", names("worldline-applepay", "create-request"))
async def test_simulator_takes_documented_302_requests(simulator: Any, name: str) -> None:
    body = example(name)["body"]
    body["paymentProductSession302SpecificInput"]["validationUrl"] = APPLE_URL
    status, reply = await signed_post(simulator, "/v1/1234/products/302/sessions", body)
    assert status == example("worldline-applepay/create-reply-client-api-reference.json")["status"], name
    replies = [example(reply_name)["body"] for reply_name in names("worldline-applepay", "create-reply")]
    assert_documented(reply, replies, f"simulator vs {name}")
    assert_documented(reply["paymentProductSession302SpecificOutput"], [r[next(iter(r))] for r in replies], name)


@pytest.mark.parametrize(
    ("path", "body", "property_name"),
    [
        ("/v1/1234/sessions", {"tokens": ["sim-400"]}, "tokens"),
        ("/v1/1234/sessions", {"amount": 100}, "amount"),  # a field Worldline does not take
        ("/v1/1234/sessions", {"paymentProductFilters": {"restrictTo": {"products": ["1"]}}}, None),
        ("/v1/1234/products/302/sessions", {"paymentProductSession302SpecificInput": {"domainName": "d"}}, None),
        (
            "/v1/1234/products/302/sessions",
            {"paymentProductSession302SpecificInput": {"domainName": "d", "validationUrl": APPLE_URL, "amount": 1}},
            "paymentProductSession302SpecificInput.amount",
        ),
    ],
)
async def test_simulator_errors_have_the_documented_shape(
    simulator: Any, path: str, body: dict[str, Any], property_name: str | None
) -> None:
    status, reply = await signed_post(simulator, path, body)
    assert status == 400
    assert_documented_error(reply, f"simulator 400 for {body}")
    if property_name is not None:
        assert reply["errors"][0]["propertyName"] == property_name


async def test_simulator_authentication_errors_have_the_documented_shape(simulator: Any) -> None:
    base, client = simulator
    for path in ("/v1/1234/sessions", "/client/v1/9991-c/products/302/sessions"):
        headers = {"Content-Type": "application/json", "Authorization": "GCS v1Client:unknown"}
        async with client.post(base + path, data=b"{}", headers=headers) as response:
            assert response.status == 401, path
            assert_documented_error(await response.json(), f"simulator 401 at {path}")
