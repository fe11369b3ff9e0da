"""Mastercard Gateway (MPGS) session API: Create and Update Session, strict like the real gateway.

Routes (``{version}`` an integer API version from 1 to the current 100, else 400):
``POST /api/rest/version/{version}/merchant/{merchantId}/session`` (201) and ``PUT …/session/{id}`` (200).
HTTP Basic auth: user exactly ``merchant.{merchantId}`` for the merchant in the path and that merchant's
``api_password`` from ``state.settings.accounts[*].mpgs``; anything else is 401 with MPGS's error JSON (cause
INVALID_REQUEST). Sessions: id ``SESSION0002`` + hex (35 characters), a 10-character ``version`` that changes on
every update, a random base64 ``aes256Key``, ``authenticationLimit`` 5 unless the request says otherwise (MPGS's
default). A ``PUT`` with a stale ``session.version`` is 400 INVALID_REQUEST; an unknown session is 400
INVALID_REQUEST with field ``session.id`` (the likely real behaviour, unconfirmed).

Replies as MPGS documents them (``tests/providers/mpgs/``, checked by ``tests/unit/test_mpgs_conformance.py``):
Create answers ``merchant``, ``result`` SUCCESS, ``session {aes256Key, authenticationLimit, id, updateStatus
NO_UPDATE, version}`` (and ``correlationId`` when sent); Update answers *no* ``result``: ``merchant``, ``session
{id, updateStatus SUCCESS, version}``, the API ``version`` and the stored order, customer, billing and shipping
(and this request's ``correlationId``). Errors carry ``supportCode`` for SERVER_FAILED and REQUEST_REJECTED, as
MPGS's reference says. Spelled out independently of the adapter's wire module, so a wrong field name fails here
as in production.

Faults (every call is recorded with ``state.record("mpgs", operation, status)``; 0 for hang/garbage/reset):
- ``PUT``: ``order.amount`` whose minor-unit value is a key of ``triggers.FAULTS_BY_AMOUNT`` ("400.00" GBP = 40000
  gives 400 INVALID_REQUEST on ``order.amount``; "500.00" 500 SERVER_FAILED; "502.00" 502 HTML; "503.00" 503
  SERVER_BUSY; "590.00" hangs; "591.00" answers 200 with garbage; "592.00" resets the connection); ``order.id``
  or ``correlationId`` equal to a key of ``triggers.FAULTS_BY_WORD``.
- ``POST``: ``correlationId`` equal to a key of ``triggers.FAULTS_BY_WORD`` ("sim-500", "sim-timeout"…).
- ``sim-busy`` as the ``POST`` ``correlationId`` or the ``PUT`` ``order.id``/``order.reference``: 503 SERVER_BUSY.
- ``sim-update-failure`` as the ``PUT`` ``order.reference``: 200 with ``session.updateStatus`` FAILURE.
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
DEFAULT_AUTHENTICATION_LIMIT = 5
BUSY_WORD = "sim-busy"
UPDATE_FAILURE_WORD = "sim-update-failure"
STATE_KEY = web.AppKey("mpgs_state", SimulatorState)
PATH = "/api/rest/version/{version}/merchant/{merchant}/session"

_BUSY = Fault("status", 503)
_CAUSES = {400: "INVALID_REQUEST", 401: "INVALID_REQUEST", 403: "REQUEST_REJECTED", 404: "INVALID_REQUEST"}
_WITH_SUPPORT_CODE = frozenset({"SERVER_FAILED", "REQUEST_REJECTED"})  # MPGS: supportCode only for these
_STORED_GROUPS = ("order", "customer", "billing", "shipping")


def _error(
    status: int, cause: str, explanation: str, field: str | None = None, validation_type: str | None = None
) -> web.Response:
    error: dict[str, Any] = {"cause": cause, "explanation": explanation}
    if cause in _WITH_SUPPORT_CODE:
        error["supportCode"] = secrets.token_hex(6)
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


def _created_reply(session: dict[str, Any], correlation_id: str | None) -> web.Response:
    fields = ("aes256Key", "authenticationLimit", "id", "updateStatus", "version")
    body: dict[str, Any] = {"merchant": session["merchant"], "result": "SUCCESS"}
    body["session"] = {name: session[name] for name in fields}
    if correlation_id is not None:
        body["correlationId"] = correlation_id
    return web.json_response(body, status=201)


def _updated_reply(session: dict[str, Any], request: web.Request, correlation_id: str | None) -> web.Response:
    """Update Session's reply: no ``result``; the session's id, status and version; the stored fields."""
    body: dict[str, Any] = {"merchant": session["merchant"]}
    body.update({group: session[group] for group in _STORED_GROUPS if group in session})
    body["session"] = {name: session[name] for name in ("id", "updateStatus", "version")}
    body["version"] = request.match_info["version"]  # the API version of the call, as MPGS echoes it
    if correlation_id is not None:
        body["correlationId"] = correlation_id
    return web.json_response(body, status=200)


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
        "authenticationLimit": body.get("session", {}).get("authenticationLimit", DEFAULT_AUTHENTICATION_LIMIT),
    }
    state.sessions[f"{PROVIDER}:{session['id']}"] = session
    state.record(PROVIDER, "create", 201)
    return _created_reply(session, correlation_id)


def _update_fault(body: dict[str, Any], minor: int | None) -> Fault | None:
    order = body.get("order", {})
    if BUSY_WORD in (order.get("reference"), order.get("id")):
        return _BUSY
    return fault_for_amount(minor) or fault_for_word(order.get("id"), body.get("correlationId"))


def _update_refusal(session: dict[str, Any] | None, body: dict[str, Any]) -> web.Response | Fault | None:
    """Why the update is refused (a response), a triggered fault, or None when it may be applied."""
    refusal = mpgs_body.check(body, mpgs_body.UPDATE_SPEC)
    if refusal is not None:
        return _refused(refusal)
    if session is None:
        return _unknown_session()
    order = body.get("order", {})
    currency = order.get("currency") or session.get("order", {}).get("currency")
    minor = mpgs_body.minor_units(order["amount"], currency) if "amount" in order else None
    if isinstance(minor, Refusal):
        return _refused(minor)
    fault = _update_fault(body, minor)
    if fault is not None:
        return fault
    version = body.get("session", {}).get("version")
    if version is not None and version != session["version"]:
        return _error(400, "INVALID_REQUEST", "Session version mismatch", "session.version", "INVALID")
    return None


def _merge(stored: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    """Fields are overwritten, never removed: nested groups merge key by key."""
    merged = dict(stored)
    for key, value in sent.items():
        merged[key] = _merge(stored.get(key, {}), value) if isinstance(value, dict) else value
    return merged


def _apply(session: dict[str, Any], body: dict[str, Any]) -> None:
    for group in _STORED_GROUPS:
        if group in body:
            session[group] = _merge(session.get(group, {}), body[group])
    if "authenticationLimit" in body.get("session", {}):
        session["authenticationLimit"] = body["session"]["authenticationLimit"]
    failed = body.get("order", {}).get("reference") == UPDATE_FAILURE_WORD
    session["updateStatus"] = "FAILURE" if failed else "SUCCESS"
    if not failed:
        session["version"] = _new_version(session["version"])


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
    _apply(session, body)
    state.record(PROVIDER, "update", 200)
    return _updated_reply(session, request, body.get("correlationId"))


def register(app: web.Application, state: SimulatorState) -> None:
    app[STATE_KEY] = state
    app.router.add_post(PATH, create_session)
    app.router.add_put(PATH + "/{session_id}", update_session)
