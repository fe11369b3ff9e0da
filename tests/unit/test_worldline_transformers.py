"""Worldline client sessions: request bodies, replies and every error mapping, from recorded JSON bytes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from contracts.codec import decode_command
from contracts.commands import CreateWorldlineSession
from contracts.names import CommandType, ErrorCode
from service.messaging.intake import split_error
from service.providers.base import ProviderError
from service.providers.worldline import APPLE_PAY, WORLDLINE, transformers

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
HTML = b"<html><head><title>Error</title></head><body>Request blocked</body></html>"


def command(**options: Any) -> CreateWorldlineSession:
    return msgspec.convert({"command_id": "cmd-1", "options": options}, CreateWorldlineSession)


def body_of(**options: Any) -> Any:
    return msgspec.json.decode(transformers.create_body(command(**options)))


def test_empty_options_send_an_empty_object() -> None:
    assert transformers.create_body(command()) == b"{}"


def test_filters_and_tokens_use_worldline_names_and_types() -> None:
    body = body_of(
        payment_product_filters={
            "restrict_to": {"groups": ["cards"], "products": [1, 3]},
            "exclude": {"products": [302]},
        },
        tokens=["tok-1", "tok-2"],
    )
    assert body == {
        "paymentProductFilters": {
            "restrictTo": {"groups": ["cards"], "products": [1, 3]},
            "exclude": {"products": [302]},
        },
        "tokens": ["tok-1", "tok-2"],
    }


def test_empty_filters_are_left_out() -> None:
    assert body_of(payment_product_filters={"restrict_to": {"groups": [], "products": []}}, tokens=[]) == {}
    assert body_of(payment_product_filters={"exclude": {"groups": ["cards"]}}) == {
        "paymentProductFilters": {"exclude": {"groups": ["cards"]}}
    }


REPLY = (
    b'{"assetUrl": "https://assets.example/", "clientApiUrl": "https://api.example/client",'
    b' "clientSessionId": "f8a1c2", "customerId": "1234-9a8b", "invalidTokens": ["expired-1"], "region": "EU"}'
)


@pytest.mark.parametrize("status", [200, 201])
def test_session_reply_becomes_the_event_session(status: int) -> None:
    session = transformers.parse_session(status, REPLY, NOW)
    assert session.id == session.client_session_id == "f8a1c2"
    assert session.customer_id == "1234-9a8b"
    assert session.client_api_url == "https://api.example/client"
    assert session.asset_url == "https://assets.example/"
    assert session.invalid_tokens == ["expired-1"]
    assert session.region == "EU"
    assert session.expires_at == NOW + timedelta(hours=2)


def test_minimal_reply_and_unknown_fields() -> None:
    session = transformers.parse_session(201, b'{"clientSessionId": "s", "customerId": "c", "new": 1}', NOW)
    assert session.invalid_tokens == []
    assert session.region is None
    assert session.client_api_url is None


@pytest.mark.parametrize(
    "body", [b"", b"<html>ok</html>", b'{"truncated": ', b"[]", b'{"customerId": "c"}', b'{"clientSessionId": "s"}']
)
def test_malformed_success_is_retryable_provider_error(body: bytes) -> None:
    with pytest.raises(ProviderError) as caught:
        transformers.parse_session(201, body, NOW)
    assert caught.value.code == ErrorCode.PROVIDER_ERROR
    assert caught.value.retryable
    assert caught.value.provider_status == 201


def error_body(status: int, code: str = "21000120", prop: str | None = None, message: str = "bad") -> bytes:
    item: dict[str, Any] = {
        "category": "CONNECT_PLATFORM_ERROR",
        "code": code,
        "httpStatusCode": status,
        "id": "INVALID_VALUE",
        "message": message,
        "requestId": "978754",
    }
    if prop:
        item["propertyName"] = prop
    return msgspec.json.encode({"errorId": "657b10da-000006d6", "errors": [item]})


def test_validation_error_names_the_field_code_and_error_id() -> None:
    error = transformers.parse_error(400, error_body(400, prop="paymentProductFilters.restrictTo.products[0]"))
    assert error.code == ErrorCode.VALIDATION_FAILED
    assert not error.retryable
    assert error.field == "paymentProductFilters.restrictTo.products[0]"
    assert error.provider_code == "21000120"
    assert error.request_id == "657b10da-000006d6"
    assert error.provider_status == 400
    assert error.message == "bad"


@pytest.mark.parametrize(
    ("status", "code", "expected", "retryable"),
    [
        (401, "9002", ErrorCode.AUTHENTICATION_FAILED, False),
        (403, "9007", ErrorCode.AUTHENTICATION_FAILED, False),
        (404, "1002", ErrorCode.NOT_FOUND, False),
        (410, "1002", ErrorCode.NOT_FOUND, False),
        (409, "1409", ErrorCode.CONFLICT, True),
        (409, "1408", ErrorCode.CONFLICT, False),
        (429, "9429", ErrorCode.RATE_LIMITED, True),
        (500, "9999", ErrorCode.PROVIDER_UNAVAILABLE, True),
        (502, "9999", ErrorCode.PROVIDER_UNAVAILABLE, True),
        (503, "9999", ErrorCode.PROVIDER_UNAVAILABLE, True),
        (504, "9999", ErrorCode.PROVIDER_UNAVAILABLE, True),
        (404, "1426", ErrorCode.UNSUPPORTED, False),
        (402, "30001", ErrorCode.PROVIDER_ERROR, False),
    ],
)
def test_status_and_code_mapping(status: int, code: str, expected: ErrorCode, retryable: bool) -> None:
    error = transformers.parse_error(status, error_body(status, code))
    assert (error.code, error.retryable, error.provider_status, error.provider_code) == (
        expected,
        retryable,
        status,
        code,
    )


@pytest.mark.parametrize(
    ("status", "expected", "retryable"),
    [
        (403, ErrorCode.AUTHENTICATION_FAILED, False),
        (401, ErrorCode.AUTHENTICATION_FAILED, False),
        (400, ErrorCode.VALIDATION_FAILED, False),
        (404, ErrorCode.NOT_FOUND, False),
        (409, ErrorCode.CONFLICT, False),
        (502, ErrorCode.PROVIDER_UNAVAILABLE, True),
        (504, ErrorCode.PROVIDER_UNAVAILABLE, True),
    ],
)
@pytest.mark.parametrize("body", [HTML, b"", b"\xff\xfe garbage", b'{"errors": "nope"}', b"[1, 2]"])
def test_bodies_that_are_not_worldline_errors_map_by_status(
    status: int, expected: ErrorCode, retryable: bool, body: bytes
) -> None:
    error = transformers.parse_error(status, body)
    assert (error.code, error.retryable, error.provider_status) == (expected, retryable, status)
    assert error.provider_code is None
    assert error.field is None
    assert "<html>" not in error.message


def test_error_without_items_and_numeric_code() -> None:
    empty = transformers.parse_error(400, b'{"errorId": "e-1", "errors": []}')
    assert empty.code == ErrorCode.VALIDATION_FAILED
    assert empty.request_id == "e-1"
    assert empty.provider_code is None
    numeric = transformers.parse_error(409, b'{"errors": [{"code": 1409}]}')
    assert numeric.provider_code == "1409"
    assert numeric.retryable


def test_echoed_tokens_are_redacted_from_the_message_and_it_is_bounded() -> None:
    body = error_body(400, prop="tokens[0]", message="TOKEN tok-secret-1 UNKNOWN " + "x" * 900)
    error = transformers.parse_error(400, body, redact=["tok-secret-1"])
    assert "tok-secret-1" not in error.message
    assert "***" in error.message
    assert len(error.message) <= 500


def test_provider_name_appears_in_fallback_messages() -> None:
    assert APPLE_PAY in transformers.parse_error(502, HTML, provider=APPLE_PAY).message
    assert WORLDLINE in transformers.parse_error(502, HTML).message


@pytest.mark.parametrize(
    ("body", "reference"),
    [
        (b'{"errorId": 4711, "errors": [{"code": 21000120}]}', "4711"),  # a number: read as text
        (b'{"errorId": "e-1", "errors": [{"httpStatusCode": "400"}]}', "e-1"),  # odd item types do not lose it
        (b'{"errorId": "e-2"}', "e-2"),  # no errors at all
        (b'{"errorId": "", "errors": []}', None),
        (b'{"errors": [{"code": "1", "requestId": "r-1"}]}', None),  # requestId is not the support reference
    ],
)
def test_error_id_is_the_request_id_whatever_else_the_body_holds(body: bytes, reference: str | None) -> None:
    error = transformers.parse_error(400, body)
    assert error.code == ErrorCode.VALIDATION_FAILED
    assert error.request_id == reference


def refused_field(message_type: CommandType, body: dict[str, Any]) -> str | None:
    try:
        decode_command(message_type, msgspec.json.encode(body))
    except msgspec.ValidationError as exc:
        return split_error(str(exc))[1]
    return None


APPLE_OPTIONS = {"validation_url": "https://apple-pay-gateway.apple.com/x", "domain_name": "shop.example"}


@pytest.mark.parametrize("field", ["amount", "currency", "customer", "metadata"])
@pytest.mark.parametrize(
    ("message_type", "body"),
    [
        (CommandType.CREATE, {"provider": WORLDLINE}),
        (CommandType.CREATE, {"provider": APPLE_PAY, "options": APPLE_OPTIONS}),
        (CommandType.UPDATE, {"provider": WORLDLINE, "session_id": "s"}),
        (CommandType.UPDATE, {"provider": APPLE_PAY, "session_id": "s"}),
    ],
)
def test_fields_worldline_cannot_take_are_refused_naming_them(
    message_type: CommandType, body: dict[str, Any], field: str
) -> None:
    """They used to be accepted and silently dropped (a full create sent ``{}``)."""
    values = {"amount": 1250, "currency": "EUR", "customer": {"email": "a@example.com"}, "metadata": {"k": "v"}}
    command = {"command_id": "c-1", **body}
    assert refused_field(message_type, command) is None
    assert refused_field(message_type, {**command, field: values[field]}) == field
