"""Acquired replies from recorded bodies: sessions, tokens and every error mapping (HTML and garbage too)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from contracts.names import ErrorCode
from service.providers.acquired import errors, login, transformers
from service.providers.base import ProviderError

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SESSION_ID = "5d7f3a2e-8c1b-4f6a-9e0d-3b2c1a4f5e6d"
HTML = b"<html><head><title>Error</title></head><body><h1>Request blocked</h1></body></html>"

VALIDATION = {
    "status": "error",
    "error_type": "validation",
    "title": "Your request parameters did not pass our validation.",
    "instance": "/v1/payment-sessions",
    "invalid_parameters": [
        {"parameter": "transaction.currency", "reason": "Must be one of the supported currencies"},
        {"parameter": "transaction.amount", "reason": "Must be a number"},
    ],
}
UNAUTHORIZED = {
    "status": "error",
    "error_type": "unauthorized",
    "title": "Authentication with the API failed, please check your details and try again.",
    "instance": "/v1/login",
}
NOT_FOUND = {
    "status": "error",
    "error_type": "not_found",
    "title": "The requested resource could not be found.",
    "instance": f"/v1/payment-sessions/{SESSION_ID}",
}


def encode(body: dict[str, Any]) -> bytes:
    return msgspec.json.encode(body)


def raised(call: Any) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        call()
    return caught.value


# --- sessions ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 201])
def test_created_session_lives_ten_minutes(status: int) -> None:
    session = transformers.parse_created(status, encode({"session_id": SESSION_ID}), NOW)
    assert session.id == SESSION_ID
    assert session.expires_at == NOW + timedelta(minutes=10)


@pytest.mark.parametrize(
    "body", [b'{"truncated": ', b"", HTML, b"[]", b'{"session_id": ""}', b'{"session_id": 7}', b"{}"]
)
def test_malformed_create_reply_is_a_retryable_provider_error(body: bytes) -> None:
    error = raised(lambda: transformers.parse_created(201, body, NOW))
    assert error.code is ErrorCode.PROVIDER_ERROR
    assert error.retryable
    assert error.provider_status == 201


def test_error_object_in_a_2xx_is_never_success() -> None:
    error = raised(lambda: transformers.parse_created(200, encode(VALIDATION), NOW))
    assert error.code is ErrorCode.VALIDATION_FAILED
    assert not error.retryable
    assert error.field == "transaction.currency"
    error = raised(
        lambda: transformers.parse_updated(200, encode({"status": "error", "error_type": "odd"}), SESSION_ID)
    )
    assert error.code is ErrorCode.PROVIDER_ERROR
    assert error.retryable  # a 2xx we cannot interpret


@pytest.mark.parametrize(
    ("status", "body"),
    [(204, b""), (200, b'{"status": "success"}'), (200, encode({"session_id": SESSION_ID})), (202, b"not json")],
)
def test_any_2xx_update_is_success_without_a_known_expiry(status: int, body: bytes) -> None:
    session = transformers.parse_updated(status, body, SESSION_ID)
    assert session.id == SESSION_ID
    assert session.expires_at is None


# --- errors --------------------------------------------------------------------------------------------


def test_validation_error_names_the_first_invalid_parameter_and_quotes_all() -> None:
    error = errors.parse_error(400, encode(VALIDATION))
    assert error.code is ErrorCode.VALIDATION_FAILED
    assert not error.retryable
    assert error.provider_status == 400
    assert error.provider_code == "validation"
    assert error.field == "transaction.currency"
    assert error.request_id == "/v1/payment-sessions"  # instance: the only reference Acquired gives
    assert error.message == (
        "Your request parameters did not pass our validation. "
        "(transaction.currency: Must be one of the supported currencies; transaction.amount: Must be a number)"
    )


def test_many_invalid_parameters_are_counted_not_all_quoted() -> None:
    items = [{"parameter": f"p{i}", "reason": "bad"} for i in range(8)]
    error = errors.parse_error(400, encode({**VALIDATION, "invalid_parameters": items}))
    assert error.field == "p0"
    assert error.message.endswith("(p0: bad; p1: bad; p2: bad; p3: bad; p4: bad; 3 more)")


def test_odd_invalid_parameters_items_are_skipped() -> None:
    body = {**VALIDATION, "invalid_parameters": ["?", {"reason": "no name"}, {"parameter": "tds.contact_url"}]}
    error = errors.parse_error(422, encode(body))
    assert error.code is ErrorCode.VALIDATION_FAILED
    assert error.field == "tds.contact_url"
    assert error.message.endswith("(tds.contact_url: invalid)")


@pytest.mark.parametrize(
    ("status", "body", "code", "retryable", "provider_code"),
    [
        (401, UNAUTHORIZED, ErrorCode.AUTHENTICATION_FAILED, False, "unauthorized"),
        (
            403,
            {**UNAUTHORIZED, "error_type": "forbidden", "title": "Forbidden"},
            ErrorCode.AUTHENTICATION_FAILED,
            False,
            "forbidden",
        ),
        (404, NOT_FOUND, ErrorCode.NOT_FOUND, False, "not_found"),
        (409, {**NOT_FOUND, "error_type": "conflict", "title": "Conflict"}, ErrorCode.CONFLICT, False, "conflict"),
        (
            429,
            {**NOT_FOUND, "error_type": "too_many_requests", "title": "Slow down"},
            ErrorCode.RATE_LIMITED,
            True,
            "too_many_requests",
        ),
        (
            500,
            {**NOT_FOUND, "error_type": "internal_server_error", "title": "Oops"},
            ErrorCode.PROVIDER_UNAVAILABLE,
            True,
            "internal_server_error",
        ),
        (
            503,
            {**NOT_FOUND, "error_type": "service_unavailable", "title": "Down"},
            ErrorCode.PROVIDER_UNAVAILABLE,
            True,
            "service_unavailable",
        ),
        (418, {**NOT_FOUND, "error_type": "teapot", "title": "Teapot"}, ErrorCode.PROVIDER_ERROR, False, "teapot"),
    ],
)
def test_error_json_maps_by_status(
    status: int, body: dict[str, Any], code: ErrorCode, retryable: bool, provider_code: str
) -> None:
    error = errors.parse_error(status, encode(body))
    assert error.code is code
    assert error.retryable is retryable
    assert error.provider_status == status
    assert error.provider_code == provider_code
    assert error.message == body["title"]
    assert error.field is None
    assert error.request_id == body["instance"]


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [
        (400, ErrorCode.VALIDATION_FAILED, False),
        (401, ErrorCode.AUTHENTICATION_FAILED, False),
        (403, ErrorCode.AUTHENTICATION_FAILED, False),
        (404, ErrorCode.NOT_FOUND, False),
        (429, ErrorCode.RATE_LIMITED, True),
        (500, ErrorCode.PROVIDER_UNAVAILABLE, True),
        (502, ErrorCode.PROVIDER_UNAVAILABLE, True),
        (504, ErrorCode.PROVIDER_UNAVAILABLE, True),
    ],
)
@pytest.mark.parametrize("body", [HTML, b"", b'{"truncated": ', b"[1, 2]", b'{"unrelated": true}', b"\xff\xfe"])
def test_html_and_garbage_error_bodies_map_by_status(
    status: int, code: ErrorCode, retryable: bool, body: bytes
) -> None:
    error = errors.parse_error(status, body)
    assert error.code is code
    assert error.retryable is retryable
    assert error.provider_status == status
    assert error.provider_code is None
    assert error.request_id is None
    assert error.message == f"acquired answered {status} without an Acquired error body"


# --- login ---------------------------------------------------------------------------------------------


def test_login_reply_gives_token_and_lifetime() -> None:
    body = encode({"token_type": "Bearer", "expires_in": 3600, "access_token": "tok-1"})
    assert login.parse_login(200, body) == ("tok-1", 3600)


def test_login_reply_without_lifetime_assumes_the_documented_hour() -> None:
    assert login.parse_login(200, encode({"access_token": "tok-1"})) == ("tok-1", 3600)


@pytest.mark.parametrize(
    "body",
    [
        b'{"truncated": ',
        HTML,
        encode({"token_type": "Bearer", "expires_in": 3600}),
        encode({"token_type": "Basic", "expires_in": 3600, "access_token": "tok-1"}),
        encode({"token_type": "Bearer", "expires_in": "soon", "access_token": "tok-1"}),
    ],
)
def test_malformed_login_reply_is_retryable_and_quiet(body: bytes) -> None:
    error = raised(lambda: login.parse_login(200, body))
    assert error.code is ErrorCode.PROVIDER_ERROR
    assert error.retryable
    assert "tok-1" not in error.message


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_refused_login_is_authentication_failed(status: int) -> None:
    error = login.parse_login_error(status, encode(UNAUTHORIZED), secrets=["key-1"])
    assert error.code is ErrorCode.AUTHENTICATION_FAILED
    assert not error.retryable
    assert error.provider_status == status
    assert error.message.startswith("login failed: Authentication with the API failed")


def test_login_outage_stays_retryable() -> None:
    error = login.parse_login_error(503, HTML, secrets=["key-1"])
    assert error.code is ErrorCode.PROVIDER_UNAVAILABLE
    assert error.retryable


def test_login_error_never_echoes_the_app_key() -> None:
    body = {**VALIDATION, "invalid_parameters": [{"parameter": "app_key", "reason": "app_key s3cr3t-key is invalid"}]}
    error = login.parse_login_error(400, encode(body), secrets=["s3cr3t-key", ""])
    assert "s3cr3t-key" not in error.message
    assert "s3cr3t-key" not in str(error)
    assert error.field == "app_key"
