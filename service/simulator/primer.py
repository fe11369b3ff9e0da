"""Primer's client-session API, as strict as the real one about keys, versions and field shapes.

Spelled out independently of the adapter's wire module, so a wrong field name fails here as in production.
Faults: the magic amounts of ``triggers.FAULTS_BY_AMOUNT`` on ``amount`` (POST and PATCH).
Large replies: ``metadata`` ``{"sim_reply_bytes": N}`` pads a 200 reply to about N bytes (a ``simulatorPadding``
field) and sends it chunked, a little at a time.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from aiohttp import web
from msgspec import UNSET, Struct, UnsetType

from service.simulator.state import SimulatorState, apply_fault, send_in_chunks
from service.simulator.triggers import fault_for_amount

PROVIDER = "primer"
SUPPORTED_VERSIONS = {"2.1", "2.2", "2.3", "2.4"}
REPLY_BYTES_KEY = "sim_reply_bytes"  # metadata key: pad the reply to about this many bytes
STATE_KEY = web.AppKey("primer_state", SimulatorState)


class _Address(Struct, forbid_unknown_fields=True):
    firstName: str | None = None  # noqa: N815 - Primer's spelling
    lastName: str | None = None  # noqa: N815
    addressLine1: str | None = None  # noqa: N815
    addressLine2: str | None = None  # noqa: N815
    city: str | None = None
    state: str | None = None
    postalCode: str | None = None  # noqa: N815
    countryCode: str | None = None  # noqa: N815


class _Customer(Struct, forbid_unknown_fields=True):
    emailAddress: str | None = None  # noqa: N815
    mobileNumber: str | None = None  # noqa: N815
    firstName: str | None = None  # noqa: N815
    lastName: str | None = None  # noqa: N815
    billingAddress: _Address | None = None  # noqa: N815
    shippingAddress: _Address | None = None  # noqa: N815


class _LineItem(Struct, forbid_unknown_fields=True):
    itemId: str  # noqa: N815
    amount: int
    quantity: int = 1
    description: str | None = None


class _Order(Struct, forbid_unknown_fields=True):
    countryCode: str | None = None  # noqa: N815
    lineItems: list[_LineItem] | None = None  # noqa: N815


class _PaymentMethod(Struct, forbid_unknown_fields=True):
    vaultOnSuccess: bool | None = None  # noqa: N815
    descriptor: str | None = None


class _Body(Struct, forbid_unknown_fields=True):
    clientToken: str | UnsetType = UNSET  # noqa: N815
    orderId: str | UnsetType | None = UNSET  # noqa: N815
    currencyCode: str | UnsetType | None = UNSET  # noqa: N815
    amount: int | UnsetType | None = UNSET
    customerId: str | UnsetType | None = UNSET  # noqa: N815
    customer: _Customer | UnsetType | None = UNSET
    metadata: dict[str, Any] | UnsetType | None = UNSET
    order: _Order | UnsetType | None = UNSET
    paymentMethod: _PaymentMethod | UnsetType | None = UNSET  # noqa: N815


def _error(status: int, error_id: str, description: str, validation: list[Any] | None = None) -> web.Response:
    body: dict[str, Any] = {
        "error": {"errorId": error_id, "description": description, "diagnosticsId": secrets.token_hex(8)}
    }
    if validation is not None:
        body["error"]["validationErrors"] = validation
    return web.json_response(body, status=status)


_IDS = {
    400: "InvalidRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "ClientSessionNotFound",
    409: "Conflict",
    429: "TooManyRequests",
}


def error_for_status(status: int, message: str | None = None) -> web.Response:
    return _error(status, _IDS.get(status, "InternalServerError"), message or f"simulated {status}")


def _invalid(path: str, description: str) -> web.Response:
    return _error(
        400,
        "RequestValidationError",
        "The request is invalid",
        [{"model": "ClientSessionRequest", "errors": [{"path": path, "description": description}]}],
    )


_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _validate(body: _Body) -> web.Response | None:
    if isinstance(body.currencyCode, str) and not _CURRENCY.match(body.currencyCode):
        return _invalid("$.currencyCode", "must be an ISO 4217 alphabetic code")
    if isinstance(body.amount, int) and body.amount < 0:
        return _invalid("$.amount", "must be a non-negative integer in minor units")
    order = body.order if isinstance(body.order, _Order) else None
    items = order.lineItems if order else None
    for index, item in enumerate(items or []):
        if item.amount < 0 or item.quantity < 1:
            return _invalid(f"$.order.lineItems[{index}]", "amount must be >= 0 and quantity >= 1")
    if items and isinstance(body.amount, int):
        total = sum(item.amount * item.quantity for item in items)
        if total != body.amount:
            return _invalid("$.amount", f"does not match the sum of the line items ({total})")
    return None


def _authenticate(state: SimulatorState, request: web.Request) -> web.Response | None:
    keys = {tables.primer.api_key.reveal() for tables in state.settings.accounts.values() if tables.primer is not None}
    if request.headers.get("X-Api-Key") not in keys:
        return _error(401, "Unauthorized", "Invalid or missing X-Api-Key")
    version = request.headers.get("X-Api-Version")
    if version is None:
        return _error(400, "MissingApiVersion", "X-Api-Version header is required")
    if version not in SUPPORTED_VERSIONS:
        return _error(410, "ApiVersionRetired", f"API version {version} is not available")
    return None


async def _read_body(request: web.Request) -> _Body | web.Response:
    if request.content_type != "application/json":
        return _error(415, "UnsupportedMediaType", "Content-Type must be application/json")
    try:
        return msgspec.json.decode(await request.read(), type=_Body)
    except msgspec.ValidationError as exc:
        text = str(exc)
        path = text.rsplit("at `", 1)[-1].rstrip("`") if "at `" in text else "$"
        return _invalid(path, text)
    except msgspec.DecodeError:
        return _error(400, "InvalidJson", "The body is not valid JSON")


def _session_reply(session: dict[str, Any]) -> web.Response:
    return web.json_response(session)


def _to_plain(value: Any) -> Any:
    return msgspec.to_builtins(value)


async def _handle(request: web.Request, operation: str) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    key = request.headers.get("X-Idempotency-Key")
    refusal = _authenticate(state, request)
    body = await _read_body(request) if refusal is None else None
    if isinstance(body, web.Response):
        refusal = body
    if refusal is not None:
        state.record(PROVIDER, operation, refusal.status, key)
        return refusal
    assert isinstance(body, _Body)
    fault = fault_for_amount(body.amount)
    if fault is not None:
        state.record(PROVIDER, operation, fault.status if fault.kind == "status" else 0, key)
        return await apply_fault(fault, state, request, error_for_status)
    if key is not None and f"{PROVIDER}:{key}" in state.idempotency:
        state.record(PROVIDER, operation, 409, key)
        return _error(409, "IdempotencyKeyAlreadyExists", "This idempotency key was already used")
    response = _create(state, body) if operation == "create" else _update(state, body)
    if key is not None and response.status == 200:
        state.idempotency[f"{PROVIDER}:{key}"] = True
    state.record(PROVIDER, operation, response.status, key)
    size = _reply_bytes(body)
    if size and response.status == 200 and isinstance(response.body, bytes):
        return await send_in_chunks(request, 200, _padded(response.body, size))
    return response


def _reply_bytes(body: _Body) -> int:
    size = body.metadata.get(REPLY_BYTES_KEY) if isinstance(body.metadata, dict) else None
    return size if isinstance(size, int) and not isinstance(size, bool) and size > 0 else 0


def _padded(reply: bytes, size: int) -> bytes:
    fields = msgspec.json.decode(reply)
    fields["simulatorPadding"] = "x" * max(0, size - len(reply))
    return msgspec.json.encode(fields)


def _create(state: SimulatorState, body: _Body) -> web.Response:
    invalid = _validate(body)
    if invalid is not None:
        return invalid
    if not isinstance(body.clientToken, UnsetType):
        return _invalid("$.clientToken", "is not accepted when creating a client session")
    token = "sim_primer_" + secrets.token_urlsafe(24)
    fields = {k: v for k, v in _to_plain(body).items() if v is not None}
    warnings = []
    customer = fields.get("customer") or {}
    if not customer.get("emailAddress"):
        warnings.append(
            {"type": "CHECKOUT_MODULE", "code": "MISSING_EMAIL_ADDRESS", "message": "3DS needs an email address"}
        )
    expires = datetime.now(UTC) + timedelta(hours=24)
    session = {
        **fields,
        "clientToken": token,
        "clientExpirationDate": expires.isoformat(),
        "warnings": warnings,
    }
    state.sessions[f"{PROVIDER}:{token}"] = session
    return _session_reply(session)


def _update(state: SimulatorState, body: _Body) -> web.Response:
    if isinstance(body.clientToken, UnsetType):
        return _invalid("$.clientToken", "is required")
    session = state.sessions.get(f"{PROVIDER}:{body.clientToken}")
    if session is None:
        return _error(404, "ClientSessionNotFound", "No client session has this clientToken")
    invalid = _validate(body)
    if invalid is not None:
        return invalid
    if not isinstance(body.paymentMethod, UnsetType):
        return _invalid("$.paymentMethod", "cannot be updated")
    for name, value in _to_plain(body).items():  # UNSET fields are absent; null clears
        if name == "clientToken":
            continue
        if value is None:
            session.pop(name, None)
        elif name == "order" and isinstance(value, dict):
            session["order"] = {**session.get("order", {}), **value}
        else:
            session[name] = value
    return _session_reply(session)


async def create_session(request: web.Request) -> web.StreamResponse:
    return await _handle(request, "create")


async def update_session(request: web.Request) -> web.StreamResponse:
    return await _handle(request, "update")


async def retrieve_session(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    refusal = _authenticate(state, request)
    if refusal is not None:
        state.record(PROVIDER, "retrieve", refusal.status)
        return refusal
    session = state.sessions.get(f"{PROVIDER}:{request.query.get('clientToken', '')}")
    status = 200 if session else 404
    state.record(PROVIDER, "retrieve", status)
    if session is None:
        return _error(404, "ClientSessionNotFound", "No client session has this clientToken")
    return _session_reply(session)


def register(app: web.Application, state: SimulatorState) -> None:
    app[STATE_KEY] = state
    app.router.add_post("/client-session", create_session)
    app.router.add_patch("/client-session", update_session)
    app.router.add_get("/client-session", retrieve_session)
