"""MPGS replies from hand-written JSON: the edges around the documented shapes of tests/providers/mpgs/ (which
``test_mpgs_conformance.py`` parses): ``result`` values, ``updateStatus`` values, refusals inside a 2xx, and
every error mapping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from contracts.events import MpgsSession
from contracts.names import ErrorCode
from service.providers.base import ProviderError
from service.providers.mpgs import transformers

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
AES_KEY = "5Yy0dL4t0Wq3bWJ2Zk1hY2tlcktleTEyMzQ1Njc4OTA9"
CREATED = (
    b'{"merchant":"TESTMERCHANT01","result":"SUCCESS","session":{"aes256Key":"' + AES_KEY.encode() + b'",'
    b'"authenticationLimit":5,"id":"SESSION0002776555272H59580914I1","updateStatus":"NO_UPDATE",'
    b'"version":"e3f1a2b4c5"}}'
)
UPDATED = (
    b'{"merchant":"TESTMERCHANT01","order":{"amount":"15.02","currency":"GBP"},"result":"SUCCESS",'
    b'"session":{"id":"SESSION0002776555272H59580914I1","updateStatus":"SUCCESS","version":"0d9c8b7a61"}}'
)


def reply(result: str | None = "SUCCESS", **session: Any) -> bytes:
    """A session reply; ``result=None`` leaves ``result`` out, as Update Session replies do."""
    body: dict[str, Any] = {"merchant": "TESTMERCHANT01", "session": {"id": "SESSION0002776555272H59580914I1"}}
    body["session"].update(session)
    if result is not None:
        body["result"] = result
    return msgspec.json.encode(body)


def parse(body: bytes, status: int = 201, **kwargs: Any) -> MpgsSession:
    kwargs.setdefault("include_aes256_key", False)
    return transformers.parse_session(status, body, now=NOW, **kwargs)


def refusal(body: bytes, status: int = 200, **kwargs: Any) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        parse(body, status, **kwargs)
    return caught.value


def test_created_session_without_the_aes256_key_by_default() -> None:
    session = parse(CREATED)
    assert session == MpgsSession(
        id="SESSION0002776555272H59580914I1",
        expires_at=NOW + timedelta(minutes=15),
        version="e3f1a2b4c5",
        update_status="NO_UPDATE",
        authentication_limit=5,
        aes256_key=None,
    )
    assert AES_KEY not in repr(session)
    assert AES_KEY.encode() not in msgspec.json.encode(session)


def test_aes256_key_only_when_the_account_opts_in() -> None:
    assert parse(CREATED, include_aes256_key=True).aes256_key == AES_KEY


def test_any_2xx_is_accepted() -> None:
    assert parse(UPDATED, 200).update_status == "SUCCESS"
    assert parse(CREATED, 202).id == "SESSION0002776555272H59580914I1"


def test_merge_keeps_what_the_put_reply_does_not_echo() -> None:
    created, updated = parse(CREATED, include_aes256_key=True), parse(UPDATED, 200, include_aes256_key=True)
    merged = transformers.merge_created(created, updated)
    assert (merged.version, merged.update_status) == ("0d9c8b7a61", "SUCCESS")
    assert (merged.authentication_limit, merged.aes256_key) == (5, AES_KEY)
    assert transformers.merge_created(parse(CREATED), parse(UPDATED, 200)).aes256_key is None


@pytest.mark.parametrize(
    ("result", "code", "retryable"),
    [
        ("FAILURE", ErrorCode.VALIDATION_FAILED, False),
        ("PENDING", ErrorCode.PROVIDER_ERROR, True),
        ("UNKNOWN", ErrorCode.PROVIDER_ERROR, True),
        ("SOMETHING_NEW", ErrorCode.PROVIDER_ERROR, True),
    ],
)
def test_result_other_than_success_is_not_success(result: str, code: ErrorCode, retryable: bool) -> None:
    error = refusal(reply(result, aes256Key=AES_KEY))
    assert (error.code, error.retryable, error.provider_code, error.provider_status) == (code, retryable, result, 200)
    assert AES_KEY not in str(error)
    assert AES_KEY not in repr(error)


def test_update_status_failure_is_a_refusal() -> None:
    error = refusal(reply(updateStatus="FAILURE", aes256Key=AES_KEY))
    assert error.code is ErrorCode.VALIDATION_FAILED
    assert not error.retryable
    assert error.provider_code == "FAILURE"
    assert AES_KEY not in error.message


def test_unknown_update_status_is_never_success() -> None:
    error = refusal(reply(updateStatus="PARTIAL"))
    assert error.code is ErrorCode.PROVIDER_ERROR
    assert error.retryable


@pytest.mark.parametrize("update_status", ["SUCCESS"])
def test_an_update_reply_without_result_is_a_session_when_update_status_says_success(update_status: str) -> None:
    """MPGS's Update Session replies carry no ``result`` (tests/providers/mpgs/update-reply.*.json)."""
    session = parse(reply(None, updateStatus=update_status, version="0d9c8b7a61"), 200)
    assert (session.update_status, session.version) == ("SUCCESS", "0d9c8b7a61")


@pytest.mark.parametrize(
    ("update_status", "code", "retryable"),
    [
        ("FAILURE", ErrorCode.VALIDATION_FAILED, False),
        ("NO_UPDATE", ErrorCode.PROVIDER_ERROR, True),
        ("PARTIAL", ErrorCode.PROVIDER_ERROR, True),
        (None, ErrorCode.PROVIDER_ERROR, True),
    ],
)
def test_without_result_anything_but_update_status_success_is_not_success(
    update_status: str | None, code: ErrorCode, retryable: bool
) -> None:
    fields = {} if update_status is None else {"updateStatus": update_status}
    error = refusal(reply(None, version="e3f1a2b4c5", aes256Key=AES_KEY, **fields))
    assert (error.code, error.retryable, error.provider_status) == (code, retryable, 200)
    assert AES_KEY not in repr(error)


def test_result_success_without_update_status_is_still_success() -> None:
    assert parse(reply("SUCCESS")).update_status is None


@pytest.mark.parametrize(
    ("cause", "code", "retryable"),
    [
        ("INVALID_REQUEST", ErrorCode.VALIDATION_FAILED, False),
        ("REQUEST_REJECTED", ErrorCode.AUTHENTICATION_FAILED, False),
        ("SERVER_BUSY", ErrorCode.PROVIDER_UNAVAILABLE, True),
        ("SERVER_FAILED", ErrorCode.PROVIDER_UNAVAILABLE, True),
        ("SOMETHING_NEW", ErrorCode.PROVIDER_ERROR, True),
    ],
)
def test_an_error_object_inside_a_2xx_is_never_success(cause: str, code: ErrorCode, retryable: bool) -> None:
    body = {"result": "ERROR", "error": {"cause": cause, "supportCode": "9a8b7c6d5e4f"}}
    error = refusal(msgspec.json.encode(body))
    assert (error.code, error.retryable, error.provider_code, error.request_id) == (
        code,
        retryable,
        cause,
        "9a8b7c6d5e4f",
    )


@pytest.mark.parametrize(
    "body",
    [
        b'{"truncated": ',
        b"<html><body>OK</body></html>",
        b"",
        b'{"result":"SUCCESS"}',
        b'{"result":"SUCCESS","session":{"version":"e3f1a2b4c5"}}',
        b'{"result":"SUCCESS","session":{"id":42}}',
        b"[]",
    ],
)
def test_malformed_2xx_is_a_retryable_provider_error(body: bytes) -> None:
    error = refusal(body)
    assert error.code is ErrorCode.PROVIDER_ERROR
    assert error.retryable
    assert error.provider_status == 200


def mpgs_error(cause: str, field: str | None = None, explanation: str = "refused") -> bytes:
    error: dict[str, Any] = {"cause": cause, "explanation": explanation, "supportCode": "6f0e1d2c3b4a"}
    if field is not None:
        error.update(field=field, validationType="INVALID")
    return msgspec.json.encode({"result": "ERROR", "error": error})


HTML = b"<html><head><title>Error</title></head><body><h1>Request blocked</h1></body></html>"


@pytest.mark.parametrize(
    ("status", "body", "code", "retryable", "field"),
    [
        (400, mpgs_error("INVALID_REQUEST", "order.amount"), ErrorCode.VALIDATION_FAILED, False, "order.amount"),
        (400, mpgs_error("INVALID_REQUEST", "session.version"), ErrorCode.VALIDATION_FAILED, False, "session.version"),
        (400, mpgs_error("INVALID_REQUEST", "session.id"), ErrorCode.NOT_FOUND, False, "session.id"),
        (400, mpgs_error("INVALID_REQUEST", "sessionId"), ErrorCode.NOT_FOUND, False, "sessionId"),
        (400, mpgs_error("INVALID_REQUEST"), ErrorCode.VALIDATION_FAILED, False, None),
        (401, mpgs_error("INVALID_REQUEST"), ErrorCode.AUTHENTICATION_FAILED, False, None),
        (403, HTML, ErrorCode.AUTHENTICATION_FAILED, False, None),
        (404, mpgs_error("INVALID_REQUEST"), ErrorCode.NOT_FOUND, False, None),
        (404, HTML, ErrorCode.NOT_FOUND, False, None),
        (400, mpgs_error("REQUEST_REJECTED"), ErrorCode.AUTHENTICATION_FAILED, False, None),
        (403, mpgs_error("REQUEST_REJECTED"), ErrorCode.AUTHENTICATION_FAILED, False, None),
        (429, mpgs_error("SERVER_BUSY"), ErrorCode.RATE_LIMITED, True, None),
        (503, mpgs_error("SERVER_BUSY"), ErrorCode.PROVIDER_UNAVAILABLE, True, None),
        (500, mpgs_error("SERVER_FAILED"), ErrorCode.PROVIDER_UNAVAILABLE, True, None),
        (400, mpgs_error("SERVER_BUSY"), ErrorCode.PROVIDER_UNAVAILABLE, True, None),
        (500, mpgs_error("REQUEST_REJECTED"), ErrorCode.PROVIDER_UNAVAILABLE, True, None),
        (502, HTML, ErrorCode.PROVIDER_UNAVAILABLE, True, None),
        (504, b"", ErrorCode.PROVIDER_UNAVAILABLE, True, None),
        (500, b"\x00\xff garbage", ErrorCode.PROVIDER_UNAVAILABLE, True, None),
        (400, b"not json at all", ErrorCode.VALIDATION_FAILED, False, None),
        (400, b'{"result":"ERROR"}', ErrorCode.VALIDATION_FAILED, False, None),
        (418, mpgs_error("INVALID_REQUEST"), ErrorCode.VALIDATION_FAILED, False, None),  # by cause
        (418, mpgs_error("SOMETHING_NEW"), ErrorCode.PROVIDER_ERROR, False, None),
    ],
)
def test_error_mapping(status: int, body: bytes, code: ErrorCode, retryable: bool, field: str | None) -> None:
    error = transformers.parse_error(status, body)
    assert (error.code, error.retryable, error.field, error.provider_status) == (code, retryable, field, status)


def test_error_carries_cause_explanation_and_support_code() -> None:
    error = transformers.parse_error(400, mpgs_error("INVALID_REQUEST", "order.currency", "Value must be ISO 4217"))
    assert (error.provider_code, error.message, error.request_id) == (
        "INVALID_REQUEST",
        "Value must be ISO 4217",
        "6f0e1d2c3b4a",
    )
    assert transformers.parse_error(503, mpgs_error("SERVER_BUSY")).provider_code == "SERVER_BUSY"


def test_error_without_json_names_the_status_only() -> None:
    error = transformers.parse_error(502, HTML)
    assert error.message == "mpgs answered 502 without an MPGS error body"
    assert error.provider_code is None


def test_long_explanation_is_truncated() -> None:
    assert len(transformers.parse_error(400, mpgs_error("INVALID_REQUEST", explanation="x" * 5000)).message) == 300


@pytest.mark.parametrize(
    "error",
    [
        {"cause": "REQUEST_REJECTED", "supportCode": "6f0e1d2c3b4a"},
        {"cause": "SERVER_FAILED", "supportCode": "6f0e1d2c3b4a"},
        {"cause": "INVALID_REQUEST", "explanation": "x", "field": "order.id", "supportCode": "6f0e1d2c3b4a"},
        {"cause": "SERVER_BUSY", "explanation": "busy", "supportCode": "6f0e1d2c3b4a"},
        {"supportCode": "6f0e1d2c3b4a"},
        {"cause": 7, "explanation": ["odd"], "field": {"x": 1}, "supportCode": "6f0e1d2c3b4a"},
    ],
)
@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500, 503])
def test_support_code_reaches_request_id_for_every_error_shape(error: dict[str, Any], status: int) -> None:
    parsed = transformers.parse_error(status, msgspec.json.encode({"result": "ERROR", "error": error}))
    assert parsed.request_id == "6f0e1d2c3b4a"
    assert parsed.to_error_info().provider_reference == "6f0e1d2c3b4a"


def test_odd_types_in_the_error_object_are_left_out_not_fatal() -> None:
    body = {"result": "ERROR", "error": {"cause": 7, "explanation": ["odd"], "field": {"x": 1}}}
    error = transformers.parse_error(400, msgspec.json.encode(body))
    assert (error.code, error.provider_code, error.field) == (ErrorCode.VALIDATION_FAILED, None, None)
