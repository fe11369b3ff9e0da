"""Mastercard Gateway (MPGS) session API: Create, Update and Retrieve Session, strict like the real gateway.

Routes (``{version}`` an integer API version from 1 to the current 100, else 400):
``POST /api/rest/version/{version}/merchant/{merchantId}/session`` (201), ``PUT …/session/{id}`` and
``GET …/session/{id}``. HTTP Basic auth: user exactly ``merchant.{merchantId}`` for the merchant in the path and
that merchant's ``api_password`` from ``state.settings.accounts[*].mpgs``; anything else is 401 with MPGS's error
JSON (cause INVALID_REQUEST). Sessions: id ``SESSION0002`` + hex (35 characters), a 10-character ``version``
that changes on every update, a random base64 ``aes256Key``. A ``PUT`` with a stale ``session.version`` is 400
INVALID_REQUEST; an unknown session is 400 INVALID_REQUEST with field ``session.id`` (the likely real behaviour,
unconfirmed). Retrieve replies carry no ``result`` (also unconfirmed), so the adapter's lenient path is exercised.
Spelled out independently of the adapter's wire module, so a wrong field name fails here as in production.

Faults (every call is recorded with ``state.record("mpgs", operation, status)``; 0 for hang/garbage/reset):
- ``PUT``: ``order.amount`` whose minor-unit value is a key of ``triggers.FAULTS_BY_AMOUNT`` ("400.00" GBP = 40000
  gives 400 INVALID_REQUEST on ``order.amount``; "500.00" 500 SERVER_FAILED; "502.00" 502 HTML; "503.00" 503
  SERVER_BUSY; "590.00" hangs; "591.00" answers 200 with garbage; "592.00" resets the connection).
- ``POST``: ``correlationId`` equal to a key of ``triggers.FAULTS_BY_WORD`` ("sim-500", "sim-timeout"…).
- ``sim-busy`` as the ``POST`` ``correlationId`` or the ``PUT`` ``order.reference``: 503 with cause SERVER_BUSY.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any

import msgspec
from aiohttp import web

from service.simulator import mpgs_body
from service.simulator.mpgs_body import Refusal
from service.simulator.state import SimulatorState, apply_fault
from service.simulator.triggers import Fault, fault_for_amount, fault_for_word

PROVIDER = "mpgs"
CURRENT_VERSION = 100
BUSY_WORD = "sim-busy"
STATE_KEY = web.AppKey("mpgs_state", SimulatorState)
PATH = "/api/rest/version/{version}/merchant/{merchant}/session"

_BUSY = Fault("status", 503)
_CAUSES = {400: "INVALID_REQUEST", 401: "INVALID_REQUEST", 403: "REQUEST_REJECTED", 404: "INVALID_REQUEST"}


def _error(
    status: int, cause: str, explanation: str, field: str | None = None, validation_type: str | None = None
) -> web.Response:
    error: dict[str, Any] = {"cause": cause, "explanation": explanation, "supportCode": secrets.token_hex(6)}
    if field is not None:
        error["field"] = field
    if validation_type is not None:
        error["validationType"] = validation_type
    return web.json_response({"result": "ERROR", "error": error}, status=status)


def error_for_status(status: int, message: str | None = None) -> web.Response:
    """A triggered status fault as MPGS would spell it."""
    if status == 400:
        return _error(400, "INVALID_REQUEST", message or "simulated 400", "order.amount", "INVALID")
    cause = _CAUSES.get(status) or ("SERVER_BUSY" if status in (429, 503) else "SERVER_FAILED")
    return _error(status, cause, message or f"simulated {status}")


def _refused(refusal: Refusal) -> web.Response:
    return _error(400, "INVALID_REQUEST", refusal.explanation, refusal.field, refusal.validation_type)


def _unknown_session() -> web.Response:
    return _error(400, "INVALID_REQUEST", "Session not found or expired", "session.id", "INVALID")


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def _check_access(state: SimulatorState, request: web.Request) -> web.Response | None:
    merchant = request.match_info["merchant"]
    passwords = [
        tables.mpgs.api_password.reveal()
        for tables in state.settings.accounts.values()
        if tables.mpgs is not None and tables.mpgs.merchant_id == merchant
    ]
    credentials = _basic_credentials(request.headers.get("Authorization"))
    if (
        credentials is None
        or credentials[0] != f"merchant.{merchant}"
        or not any(secrets.compare_digest(credentials[1].encode(), password.encode()) for password in passwords)
    ):
        return _error(401, "INVALID_REQUEST", "Invalid credentials.")
    version = request.match_info["version"]
    if not version.isdigit() or not 1 <= int(version) <= CURRENT_VERSION:
        return _error(400, "INVALID_REQUEST", f"Unsupported API version '{version[:10]}'")
    return None


async def _read_body(request: web.Request) -> dict[str, Any] | web.Response:
    raw = await request.read()
    if not raw.strip():
        return {}
    if request.content_type != "application/json":
        return _error(400, "INVALID_REQUEST", "Content-Type must be application/json")
    try:
        data = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return _error(400, "INVALID_REQUEST", "Request body is not valid JSON")
    if not isinstance(data, dict):
        return _error(400, "INVALID_REQUEST", "Request body must be a JSON object")
    return data


def _new_version(old: str | None = None) -> str:
    while (version := secrets.token_hex(5)) == old:
        pass
    return version


def _reply(session: dict[str, Any], status: int = 200, *, with_result: bool = True) -> web.Response:
    fields = ("id", "version", "aes256Key", "authenticationLimit", "updateStatus")
    body: dict[str, Any] = {"merchant": session["merchant"]}
    if with_result:
        body["result"] = "SUCCESS"
    body["session"] = {name: session[name] for name in fields if name in session}
    body.update({name: session[name] for name in ("correlationId", "order", "customer") if session.get(name)})
    return web.json_response(body, status=status)


def _stored(state: SimulatorState, request: web.Request) -> dict[str, Any] | None:
    session_id = request.match_info["session_id"]
    session = state.sessions.get(f"{PROVIDER}:{session_id}") if 31 <= len(session_id) <= 35 else None
    return session if session is not None and session["merchant"] == request.match_info["merchant"] else None


async def _faulted(state: SimulatorState, request: web.Request, operation: str, fault: Fault) -> web.StreamResponse:
    state.record(PROVIDER, operation, fault.status if fault.kind == "status" else 0)
    return await apply_fault(fault, state, request, error_for_status)


async def create_session(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    body = _check_access(state, request) or await _read_body(request)
    if isinstance(body, web.Response):
        state.record(PROVIDER, "create", body.status)
        return body
    refusal = mpgs_body.check(body, mpgs_body.CREATE_SPEC)
    if refusal is not None:
        state.record(PROVIDER, "create", 400)
        return _refused(refusal)
    correlation_id = body.get("correlationId")
    fault = _BUSY if correlation_id == BUSY_WORD else fault_for_word(correlation_id)
    if fault is not None:
        return await _faulted(state, request, "create", fault)
    session: dict[str, Any] = {
        "merchant": request.match_info["merchant"],
        "id": "SESSION0002" + secrets.token_hex(12),
        "version": _new_version(),
        "aes256Key": base64.b64encode(secrets.token_bytes(32)).decode("ascii"),
        "updateStatus": "NO_UPDATE",
        **({"correlationId": correlation_id} if correlation_id else {}),
        **body.get("session", {}),
    }
    state.sessions[f"{PROVIDER}:{session['id']}"] = session
    state.record(PROVIDER, "create", 201)
    return _reply(session, 201)


def _update_refusal(session: dict[str, Any] | None, body: dict[str, Any]) -> web.Response | Fault | None:
    """Why the update is refused (a response), a triggered fault, or None when it may be applied."""
    refusal = mpgs_body.check(body, mpgs_body.UPDATE_SPEC)
    if refusal is not None:
        return _refused(refusal)
    if session is None:
        return _unknown_session()
    order = body.get("order", {})
    minor: int | Refusal | None = None
    if "amount" in order:
        currency = order.get("currency") or session.get("order", {}).get("currency")
        minor = mpgs_body.minor_units(order["amount"], currency)
        if isinstance(minor, Refusal):
            return _refused(minor)
    fault = _BUSY if order.get("reference") == BUSY_WORD else fault_for_amount(minor)
    if fault is not None:
        return fault
    version = body.get("session", {}).get("version")
    if version is not None and version != session["version"]:
        return _error(400, "INVALID_REQUEST", "Session version mismatch", "session.version", "INVALID")
    return None


async def update_session(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    body = _check_access(state, request) or await _read_body(request)
    if isinstance(body, web.Response):
        state.record(PROVIDER, "update", body.status)
        return body
    session = _stored(state, request)
    outcome = _update_refusal(session, body)
    if isinstance(outcome, Fault):
        return await _faulted(state, request, "update", outcome)
    if isinstance(outcome, web.Response):
        state.record(PROVIDER, "update", outcome.status)
        return outcome
    assert session is not None
    for group in ("order", "customer"):  # fields are overwritten, never removed
        if group in body:
            session[group] = {**session.get(group, {}), **body[group]}
    if "correlationId" in body:
        session["correlationId"] = body["correlationId"]
    session["version"] = _new_version(session["version"])
    session["updateStatus"] = "SUCCESS"
    state.record(PROVIDER, "update", 200)
    return _reply(session)


async def retrieve_session(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    refusal = _check_access(state, request)
    session = _stored(state, request) if refusal is None else None
    response = refusal or (_unknown_session() if session is None else _reply(session, with_result=False))
    state.record(PROVIDER, "retrieve", response.status)
    return response


def register(app: web.Application, state: SimulatorState) -> None:
    app[STATE_KEY] = state
    app.router.add_post(PATH, create_session)
    app.router.add_put(PATH + "/{session_id}", update_session)
    app.router.add_get(PATH + "/{session_id}", retrieve_session)
