"""Worldline Connect v1HMAC request signing, as the official server SDKs compute it. Pure functions.

The string to sign is built from the very header mapping that goes on the wire, so what is signed is
exactly what is sent: the Content-Type, the Date and every ``X-GCS-*`` header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime

import msgspec

from service.providers.base import idempotency_key

IDEMPOTENCE_KEY_LENGTH = 40
_LINE_FOLD = re.compile(r"\r?\n[ \t]*")


def canonical_header_value(value: str) -> str:
    """Line folds become one space, then surrounding whitespace is trimmed."""
    return _LINE_FOLD.sub(" ", value).strip()


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""


def string_to_sign(method: str, path_and_query: str, headers: Mapping[str, str]) -> str:
    """``path_and_query`` is the request target as sent: percent-encoded path plus ``?query`` if any."""
    gcs = sorted(
        (name.lower(), canonical_header_value(value))
        for name, value in headers.items()
        if name.lower().startswith("x-gcs")
    )
    lines = [method.upper(), _header(headers, "content-type"), _header(headers, "date")]
    lines += [f"{name}:{value}" for name, value in gcs]
    lines.append(path_and_query)
    return "\n".join(lines) + "\n"


def signature(secret: str, text: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def authorization(api_key_id: str, secret: str, method: str, path_and_query: str, headers: Mapping[str, str]) -> str:
    """The ``Authorization`` header value for a request carrying exactly ``headers``."""
    return f"GCS v1HMAC:{api_key_id}:{signature(secret, string_to_sign(method, path_and_query, headers))}"


def http_date(moment: datetime) -> str:
    """RFC 1123 in GMT, e.g. ``Fri, 06 Jun 2014 13:39:43 GMT``."""
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def idempotence_key(command_id: str) -> str:
    """Deterministic per command (retries and redeliveries reuse it), ASCII, at most 40 characters."""
    return idempotency_key(command_id)[:IDEMPOTENCE_KEY_LENGTH]


def server_meta_info(integrator: str) -> str:
    """``X-GCS-ServerMetaInfo``: base64 of the JSON the SDKs send. Whether it is required is unconfirmed."""
    meta = {
        "platformIdentifier": f"Python/{sys.version_info.major}.{sys.version_info.minor}",
        "sdkIdentifier": "payment-sessions/1",
        "sdkCreator": "payment-sessions",
        "integrator": integrator,
    }
    return base64.b64encode(msgspec.json.encode(meta)).decode("ascii")
