"""v1HMAC signing against the vectors from Worldline's official SDK (tests/data/worldline_v1hmac.json)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import msgspec
import pytest

from service.providers.worldline import signing

VECTORS: dict[str, Any] = json.loads((Path(__file__).parent.parent / "data" / "worldline_v1hmac.json").read_text())


@pytest.mark.parametrize(
    "vector", VECTORS["vectors"], ids=lambda v: v["signature" if "signature" in v else "api_key_id"]
)
def test_signature_of_the_sdk_string_to_sign(vector: dict[str, Any]) -> None:
    expected = vector.get("signature") or vector["authorization"].rsplit(":", 1)[1]
    assert signing.signature(vector["secret"], vector["string_to_sign"]) == expected


def test_string_to_sign_and_authorization_from_the_headers_sent() -> None:
    vector = next(v for v in VECTORS["vectors"] if "request" in v)
    request = vector["request"]
    text = signing.string_to_sign(request["method"], request["path"], request["headers"])
    assert text == vector["string_to_sign"]
    header = signing.authorization(
        vector["api_key_id"], vector["secret"], request["method"], request["path"], request["headers"]
    )
    assert header == vector["authorization"]


@pytest.mark.parametrize(("raw", "canonical"), [tuple(pair) for pair in VECTORS["header_value_canonicalisation"]])
def test_header_value_canonicalisation(raw: str, canonical: str) -> None:
    assert signing.canonical_header_value(raw) == canonical


def test_folded_x_gcs_values_are_signed_canonically_and_sorted_by_lower_case_name() -> None:
    headers = {"X-GCS-b": " two\r\n  lines ", "x-gcs-A": "one", "Content-Type": "application/json", "Date": "d"}
    text = signing.string_to_sign("POST", "/v1/1/sessions?a=%20b", headers)
    assert text == "POST\napplication/json\nd\nx-gcs-a:one\nx-gcs-b:two lines\n/v1/1/sessions?a=%20b\n"


def test_no_content_type_signs_an_empty_line_and_other_headers_are_ignored() -> None:
    text = signing.string_to_sign(
        "GET", "/v1/9991/tokens/123456789", {"Date": "Fri, 06 Jun 2014 13:39:43 GMT", "Accept": "x"}
    )
    assert text == VECTORS["vectors"][1]["string_to_sign"]


def test_http_date_is_rfc_1123_in_gmt() -> None:
    moment = datetime(2014, 6, 6, 15, 39, 43, 123456, tzinfo=timezone(timedelta(hours=2)))
    assert signing.http_date(moment) == "Fri, 06 Jun 2014 13:39:43 GMT"
    assert signing.http_date(datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)) == "Tue, 02 Jan 2024 03:04:05 GMT"


def test_idempotence_key_is_deterministic_ascii_and_at_most_40_characters() -> None:
    key = signing.idempotence_key("cmd-" + "é" * 120)
    assert key == signing.idempotence_key("cmd-" + "é" * 120)
    assert key.isascii()
    assert len(key) == 40
    assert signing.idempotence_key("cmd-1") != signing.idempotence_key("cmd-2")


def test_server_meta_info_is_base64_json_naming_the_integrator() -> None:
    meta = msgspec.json.decode(base64.b64decode(signing.server_meta_info("Acme Shop")))
    assert set(meta) == {"platformIdentifier", "sdkIdentifier", "sdkCreator", "integrator"}
    assert meta["integrator"] == "Acme Shop"
