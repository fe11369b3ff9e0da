"""What Worldline's server and client APIs share in the simulator: error bodies, v1HMAC and client
authentication, strict body decoding with ``propertyName``, and idempotence keys.

Written independently of the adapter (its own string-to-sign over the headers actually received), so an
adapter that signs something other than what it sends fails here as it would at Worldline. Error codes
are illustrative except ``1409`` (idempotent request in progress) and ``1426`` (no sessions for product).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import msgspec
from aiohttp import web
from msgspec import Struct

from service.providers.worldline import WORLDLINE
from service.settings import WorldlineAccount
from service.simulator.state import SimulatorState, apply_fault
from service.simulator.triggers import fault_for_word

DATE_TOLERANCE = timedelta(minutes=15)
IDEMPOTENCE_HEADER = "X-GCS-Idempotence-Key"
STATE_KEY = web.AppKey("worldline_state", SimulatorState)

_CODES: dict[int, tuple[str, str]] = {
    400: ("21000120", "INVALID_VALUE"),
    401: ("9002", "MISSING_OR_INVALID_AUTHORIZATION"),
    403: ("9007", "ACCESS_TO_MERCHANT_NOT_ALLOWED"),
    404: ("1002", "UNKNOWN_RESOURCE"),
    409: ("1408", "DUPLICATE_REQUEST"),
    429: ("9429", "TOO_MANY_REQUESTS"),
}


def error(status: int, code: str, error_id: str, message: str, property_name: str | None = None) -> web.Response:
    category = "PAYMENT_PLATFORM_ERROR" if status >= 500 else "CONNECT_PLATFORM_ERROR"
    item: dict[str, Any] = {
        "category": category,
        "code": code,
        "httpStatusCode": status,
        "id": error_id,
        "message": message,
        "requestId": str(uuid.uuid4().int)[:8],
    }
    if property_name:
        item["propertyName"] = property_name
    return web.json_response({"errorId": str(uuid.uuid4()), "errors": [item]}, status=status)


def error_for_status(status: int, property_name: str | None = None, message: str | None = None) -> web.Response:
    code, error_id = _CODES.get(status, ("9999", "UNKNOWN_SERVER_ERROR"))
    return error(status, code, error_id, message or f"simulated {status}", property_name)


def in_progress() -> web.Response:
    return error(409, "1409", "DUPLICATE_REQUEST_IN_PROGRESS", "A request with this idempotence key is running")


def _unauthorised(message: str) -> web.Response:
    return error(401, "9002", "MISSING_OR_INVALID_AUTHORIZATION", message)


def _string_to_sign(request: web.Request) -> str:
    gcs = sorted(
        (name.lower(), re.sub(r"\r?\n[ \t]*", " ", value).strip())
        for name, value in request.headers.items()
        if name.lower().startswith("x-gcs")
    )
    head = [request.method, request.headers.get("Content-Type", ""), request.headers.get("Date", "")]
    return "\n".join([*head, *(f"{name}:{value}" for name, value in gcs), request.raw_path]) + "\n"


def _date_is_fresh(value: str | None) -> bool:
    try:
        sent = parsedate_to_datetime(value or "")
    except (TypeError, ValueError):
        return False
    sent = sent if sent.tzinfo else sent.replace(tzinfo=UTC)
    return abs(datetime.now(UTC) - sent) <= DATE_TOLERANCE


def _accounts_with_key(state: SimulatorState, key_id: str) -> list[WorldlineAccount]:
    tables = state.settings.accounts.values()
    return [t.worldline for t in tables if t.worldline is not None and t.worldline.api_key_id == key_id]


def verify_v1hmac(state: SimulatorState, request: web.Request, merchant_id: str) -> web.Response | None:
    """None when the request is signed by a known key of ``merchant_id`` with a fresh Date, else the refusal."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    key_id, _, sent = credentials.removeprefix("v1HMAC:").rpartition(":")
    if scheme != "GCS" or not credentials.startswith("v1HMAC:") or not sent:
        return _unauthorised("Authorization must be GCS v1HMAC:{apiKeyId}:{signature}")
    if not _date_is_fresh(request.headers.get("Date")):
        return _unauthorised("Date is missing, not RFC 1123, or more than 15 minutes off")
    text = _string_to_sign(request).encode("utf-8")
    for account in _accounts_with_key(state, key_id):
        digest = hmac.new(account.secret_api_key.reveal().encode("utf-8"), text, hashlib.sha256).digest()
        if hmac.compare_digest(base64.b64encode(digest).decode("ascii"), sent):
            if account.merchant_id != merchant_id:
                return error_for_status(403)
            return None
    return _unauthorised("unknown apiKeyId or bad signature")


def authenticate_client(state: SimulatorState, request: web.Request, customer_id: str) -> web.Response | None:
    """``GCS v1Client:{clientSessionId}`` must name a live session of ``customer_id``."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    session_id = credentials.removeprefix("v1Client:") if credentials.startswith("v1Client:") else ""
    session = state.sessions.get(f"{WORLDLINE}:{session_id}") if scheme == "GCS" and session_id else None
    if session is None or session["expiresAt"] < time.time():
        return _unauthorised("unknown or expired client session")
    if session["customerId"] != customer_id:
        return error_for_status(403)
    return None


BodyT = TypeVar("BodyT", bound=Struct)
_AT = re.compile(r" - at `\$\.?(?P<path>[^`]*)`$")
_FIELD = re.compile(r"(?:missing required|unknown) field `(?P<name>[^`]+)`")


def _property_name(text: str) -> str | None:
    at = _AT.search(text)
    path = at.group("path") if at else ""
    field = _FIELD.search(text)
    if field:
        path = f"{path}.{field.group('name')}" if path else field.group("name")
    return path or None


async def read_body(request: web.Request, body_type: type[BodyT]) -> BodyT | web.Response:
    if request.content_type != "application/json":
        return error(400, "21000020", "INVALID_CONTENT_TYPE", "Content-Type must be application/json")
    try:
        return msgspec.json.decode(await request.read(), type=body_type)
    except msgspec.ValidationError as exc:
        return error(400, "21000120", "INVALID_VALUE", _AT.sub("", str(exc)), _property_name(str(exc)))
    except msgspec.DecodeError:
        return error(400, "21000020", "INVALID_JSON", "The body is not valid JSON")


def replay(state: SimulatorState, scope: str, key: str | None) -> web.Response | None:
    """The first response again (plus its timestamp) when ``key`` already finished in ``scope``."""
    first = state.idempotency.get(f"worldline:{scope}:{key}") if key else None
    if first is None:
        return None
    status, body, stamp = first
    response = web.Response(status=status, body=body, content_type="application/json")
    response.headers["X-GCS-Idempotence-Request-Timestamp"] = str(stamp)
    return response


def remember(state: SimulatorState, scope: str, key: str | None, response: web.Response) -> None:
    if key and response.status < 500 and isinstance(response.body, bytes):
        stamp = int(time.time() * 1000)
        state.idempotency[f"worldline:{scope}:{key}"] = (response.status, response.body, stamp)


async def signed_body(
    state: SimulatorState, request: web.Request, merchant_id: str, body_type: type[BodyT]
) -> BodyT | web.Response:
    """The decoded body of a v1HMAC-signed server API request, or the refusal."""
    refusal = verify_v1hmac(state, request, merchant_id)
    return refusal if refusal is not None else await read_body(request, body_type)


IN_PROGRESS_WORD = "sim-1409"


def _first_in_progress(state: SimulatorState, scope: str, key: str | None) -> bool:
    """``sim-1409``: the first call with a key is "still in progress" (409/1409); the retry goes through."""
    seen: set[str] = state.extra.setdefault("worldline:in-progress", set())
    marker = f"{scope}:{key}"
    if marker in seen:
        return False
    seen.add(marker)
    return True


def _fault_error(status: int, message: str | None, *, property_name: str) -> web.Response:
    return error_for_status(status, property_name if status == 400 else None, message)


async def serve(
    state: SimulatorState,
    request: web.Request,
    produce: Callable[[], web.Response],
    *,
    provider: str,
    scope: str,
    word: str | None,
    fault_property: str,
) -> web.StreamResponse:
    """Faults by trigger ``word``, then idempotent replay, then ``produce``; every call is recorded."""
    key = request.headers.get(IDEMPOTENCE_HEADER)
    fault = fault_for_word(word)
    if fault is not None:
        state.record(provider, "create", fault.status if fault.kind == "status" else 0, key)
        return await apply_fault(fault, state, request, functools.partial(_fault_error, property_name=fault_property))
    response = replay(state, scope, key)
    if response is None and word == IN_PROGRESS_WORD and _first_in_progress(state, scope, key):
        response = in_progress()
    elif response is None:
        response = produce()
        remember(state, scope, key, response)
    state.record(provider, "create", response.status, key)
    return response
