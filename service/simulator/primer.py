"""Primer's client-session API (v2.4), as strict as the real one about keys, versions and field shapes.

Bodies are read by ``primer_body``, spelled independently of the adapter. What the documents say, the simulator does
(``tests/providers/primer/``, checked by ``tests/unit/test_primer_conformance.py``):

- POST answers the session with ``clientToken``, ``clientTokenExpirationDate`` (UTC, no offset) and ``warnings``;
  PATCH and GET answer the session without them (``ClientSessionAPIResponse``).
- ``amount`` left out is computed from the order (line items, fees, shipping); a given one overrides it.
- A badly formed body is 422 ``RequestValidationError`` with ``validationErrors`` [{model, errors: [{path,
  description}]}]; an empty metadata key is 400 ``MetadataContainsEmptyKey``; a PATCH of an unknown token is 400
  ``ClientSessionValidationError``; every error carries a ``diagnosticsId``.
- PATCH changes only what it gives: ``customer``, ``order`` and ``paymentMethod`` field by field (addresses,
  ``shipping`` and lists replaced whole), ``metadata`` whole, ``null`` clears; ``paymentMethod.options`` is refused.

Faults: the magic amounts of ``triggers.FAULTS_BY_AMOUNT`` on ``amount`` (POST and PATCH). Large replies:
``metadata`` ``{"sim_reply_bytes": N}`` pads a 200 reply to about N bytes (inside the echoed ``metadata``) and sends
it chunked, a little at a time. Unsupported ``X-Api-Version`` values answer 410 (a retired version).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from aiohttp import web

from service.simulator import primer_body
from service.simulator.state import SimulatorState, apply_fault, send_in_chunks
from service.simulator.triggers import fault_for_amount

PROVIDER = "primer"
SUPPORTED_VERSIONS = {"2.1", "2.2", "2.3", "2.4"}
REPLY_BYTES_KEY = "sim_reply_bytes"  # metadata key: pad the reply to about this many bytes
PADDING_KEY = "simulatorPadding"  # the metadata key that carries the padding in the reply
STATE_KEY = web.AppKey("primer_state", SimulatorState)
_MERGED = ("customer", "order", "paymentMethod")  # PATCHed field by field; anything else is replaced whole


def _error(status: int, error_id: str, description: str, validation: list[Any] | None = None) -> web.Response:
    error: dict[str, Any] = {"errorId": error_id, "description": description, "diagnosticsId": secrets.token_hex(8)}
    if validation is not None:
        error["validationErrors"] = validation
    return web.json_response({"error": error}, status=status)


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


def _invalid(path: str, description: str, model: str = "ClientSessionAPIRequest") -> web.Response:
    return _error(
        422,
        "RequestValidationError",
        "We were unable to validate your request, please check your payload against /docs/api",
        [{"model": model, "errors": [{"path": path, "description": description}]}],
    )


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


async def _read_body(request: web.Request, model: str) -> primer_body.Body | web.Response:
    if request.content_type != "application/json":
        return _error(415, "UnsupportedMediaType", "Content-Type must be application/json")
    try:
        body = msgspec.json.decode(await request.read(), type=primer_body.Body)
    except msgspec.ValidationError as exc:
        text = str(exc)
        return _invalid(text.rsplit("at `", 1)[-1].rstrip("`") if "at `" in text else "$", text, model)
    except msgspec.DecodeError:
        return _error(400, "InvalidJson", "The body is not valid JSON")
    if isinstance(body.metadata, dict) and "" in body.metadata:
        return _error(400, "MetadataContainsEmptyKey", "Metadata field contains empty string key.")
    return body


def _session_reply(session: dict[str, Any], **extra: Any) -> web.Response:
    """The session as Primer answers it: a given amount, else the one computed from the order."""
    reply = dict(session)
    if "amount" not in reply and (total := primer_body.order_total(session)) is not None:
        reply["amount"] = total
    return web.json_response({**reply, **extra})


async def _handle(request: web.Request, operation: str) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    key = request.headers.get("X-Idempotency-Key")
    model = "ClientSessionAPIRequest" if operation == "create" else "ClientSessionUpdateAPIRequest"
    refusal = _authenticate(state, request)
    body = await _read_body(request, model) if refusal is None else None
    if isinstance(body, web.Response):
        refusal = body
    if refusal is not None:
        state.record(PROVIDER, operation, refusal.status, key)
        return refusal
    assert isinstance(body, primer_body.Body)
    fault = fault_for_amount(body.amount)
    if fault is not None:
        state.record(PROVIDER, operation, fault.status if fault.kind == "status" else 0, key)
        return await apply_fault(fault, state, request, error_for_status)
    if key is not None and f"{PROVIDER}:{key}" in state.idempotency:
        state.record(PROVIDER, operation, 409, key)
        return _error(409, "IdempotencyKeyAlreadyExists", f'The idempotency key "{key}" already exists')
    response = _create(state, body) if operation == "create" else _update(state, body)
    if key is not None and response.status == 200:
        state.idempotency[f"{PROVIDER}:{key}"] = True
    state.record(PROVIDER, operation, response.status, key)
    size = _reply_bytes(body)
    if size and response.status == 200 and isinstance(response.body, bytes):
        return await send_in_chunks(request, 200, _padded(response.body, size))
    return response


def _reply_bytes(body: primer_body.Body) -> int:
    size = body.metadata.get(REPLY_BYTES_KEY) if isinstance(body.metadata, dict) else None
    return size if isinstance(size, int) and not isinstance(size, bool) and size > 0 else 0


def _padded(reply: bytes, size: int) -> bytes:
    fields = msgspec.json.decode(reply)
    fields["metadata"] = {**(fields.get("metadata") or {}), PADDING_KEY: "x" * max(0, size - len(reply))}
    return msgspec.json.encode(fields)


def _warnings(session: dict[str, Any]) -> list[dict[str, str]]:
    if (session.get("customer") or {}).get("emailAddress"):
        return []
    return [{"type": "CHECKOUT_MODULE", "code": "MISSING_EMAIL_ADDRESS", "message": "3DS needs an email address"}]


def _create(state: SimulatorState, body: primer_body.Body) -> web.Response:
    if isinstance(body.clientToken, str):
        return _invalid("$.clientToken", "extra fields not permitted")
    token = "sim_primer_" + secrets.token_urlsafe(24)
    session = _without_nulls(primer_body.plain(body))
    state.sessions[f"{PROVIDER}:{token}"] = session
    expires = (datetime.now(UTC) + timedelta(hours=24)).replace(tzinfo=None)  # "UTC with no timezoneinfo"
    return _session_reply(
        session, clientToken=token, clientTokenExpirationDate=expires.isoformat(), warnings=_warnings(session)
    )


def _without_nulls(fields: dict[str, Any]) -> dict[str, Any]:
    """A created session: ``null`` means "not given" at any depth."""
    return {k: _without_nulls(v) if isinstance(v, dict) else v for k, v in fields.items() if v is not None}


def _merged(stored: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    result = {**stored, **change}
    return {name: value for name, value in result.items() if value is not None}


def _update(state: SimulatorState, body: primer_body.Body) -> web.Response:
    if not isinstance(body.clientToken, str):
        return _invalid("$.clientToken", "field required", "ClientSessionUpdateAPIRequest")
    session = state.sessions.get(f"{PROVIDER}:{body.clientToken}")
    if session is None:
        return _error(400, "ClientSessionValidationError", "The client token is invalid.")
    change = primer_body.plain(body)
    change.pop("clientToken")
    if isinstance(change.get("paymentMethod"), dict) and "options" in change["paymentMethod"]:
        return _invalid("$.paymentMethod.options", "cannot be updated", "ClientSessionUpdateAPIRequest")
    for name, value in change.items():
        if value is None:
            session.pop(name, None)
        elif name in _MERGED:
            session[name] = _merged(session.get(name) or {}, value)
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
    state.record(PROVIDER, "retrieve", 200 if session else 400)
    if session is None:
        return _error(400, "ClientSessionValidationError", "The client token is invalid.")
    return _session_reply(session)


def register(app: web.Application, state: SimulatorState) -> None:
    app[STATE_KEY] = state
    app.router.add_post("/client-session", create_session)
    app.router.add_patch("/client-session", update_session)
    app.router.add_get("/client-session", retrieve_session)
