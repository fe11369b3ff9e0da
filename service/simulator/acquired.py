"""Acquired.com's login and payment-session API, as strict as the real one about tokens and field shapes.

Routes: ``POST /v1/login``, ``POST /v1/payment-sessions``, ``PUT /v1/payment-sessions/{session_id}``.
The body is spelled out in ``acquired_body`` independently of the adapter's wire module.

Login checks ``app_id``/``app_key`` against every ``[accounts.*.acquired]`` table of the settings (wrong: 401
``unauthorized``) and issues a random Bearer token valid for ``state.extra["acquired_token_ttl"]`` whole seconds
(default 3600; tests lower it to see the adapter refresh). Issued tokens live in ``state.extra["acquired_tokens"]``
(token -> monotonic expiry): tests revoke them all by clearing that dict (the next session call answers 401).
Session calls need ``Authorization: Bearer <valid token>`` (else 401); ``Company-Id`` and ``Mid``, when sent, must
be UUIDs (else 400). Create answers 201 ``{"session_id": "<uuid>"}`` (Acquired documents 201 for creations and
its Magento module reads ``session_id``); update answers 200 ``{"status": "Success"}``, the reply Acquired
documents for its other updates (its session update reply is not documented; the adapter accepts any 2xx).
Errors carry Acquired's documented titles. Every call is recorded as ``("acquired", "login" | "create" |
"update", status)``; a fault that is not a status records 0.

Faults: ``transaction.amount`` whose minor-unit value is a key of ``triggers.FAULTS_BY_AMOUNT`` (400.00 gbp -> 400
validation error, 403.00 -> 403 HTML, 500.00 -> 500, 502.00 -> 502 HTML, 590.00 -> hang, 591.00 -> garbage 200,
592.00 -> connection reset), on create and update, after the body has passed validation.
"""

from __future__ import annotations

import secrets
import time
import uuid
from typing import Any

import msgspec
from aiohttp import web

from service.providers.acquired import PROVIDER
from service.simulator import acquired_body as wire
from service.simulator import acquired_checks as checks
from service.simulator.state import SimulatorState, apply_fault
from service.simulator.triggers import fault_for_amount

TOKEN_TTL_KEY = "acquired_token_ttl"  # noqa: S105 - a state key, not a credential
TOKENS_KEY = "acquired_tokens"
DEFAULT_TOKEN_TTL = 3600
STATE_KEY = web.AppKey("acquired_state", SimulatorState)

_TYPES = {400: "validation", 401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict"}
_TITLES = {  # Acquired's "HTTP responses" page
    400: "Your request parameters did not pass our validation.",
    401: "Authentication with the API failed, please check your details and try again.",
    403: "You do not have access to the requested resource, please check your details and try again.",
    404: "Unable to find the requested resource, please check your request and try again.",
    409: "There was a conflict when trying to complete your request.",
    500: "An error occurred, we are investigating the reason.",
}


def _error(status: int, instance: str, invalid: list[dict[str, str]] | None = None) -> web.Response:
    body: dict[str, Any] = {
        "status": "error",
        "error_type": _TYPES.get(status, "too_many_requests" if status == 429 else "internal_server_error"),
        "title": _TITLES.get(status, _TITLES[500] if status >= 500 else f"simulated {status}"),
        "instance": instance,
    }
    if invalid is not None:
        body["invalid_parameters"] = invalid
    return web.json_response(body, status=status)


def _invalid(instance: str, problem: wire.InvalidParameterError) -> web.Response:
    return _error(400, instance, [{"parameter": problem.parameter, "reason": problem.reason}])


def error_for_status(status: int, message: str | None = None) -> web.Response:
    invalid = [{"parameter": "transaction.amount", "reason": message or "simulated 400"}] if status == 400 else None
    return _error(status, "/v1/payment-sessions", invalid)


def _tokens(state: SimulatorState) -> dict[str, float]:
    tokens: dict[str, float] = state.extra.setdefault(TOKENS_KEY, {})
    return tokens


async def login(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    try:
        body: wire.Login = wire.decode(await request.read(), wire.Login)
    except wire.InvalidParameterError as problem:
        state.record(PROVIDER, "login", 400)
        return _invalid(request.path, problem)
    accounts = [tables.acquired for tables in state.settings.accounts.values() if tables.acquired is not None]
    if not any(a.app_id == body.app_id and a.app_key.reveal() == body.app_key for a in accounts):
        state.record(PROVIDER, "login", 401)
        return _error(401, request.path)
    ttl = int(state.extra.get(TOKEN_TTL_KEY, DEFAULT_TOKEN_TTL))
    token = secrets.token_urlsafe(32)
    _tokens(state)[token] = time.monotonic() + ttl
    state.record(PROVIDER, "login", 200)
    return web.json_response({"token_type": "Bearer", "expires_in": ttl, "access_token": token})


def _refusal(state: SimulatorState, request: web.Request) -> web.Response | None:
    """401 without a valid, unexpired Bearer token; 400 when Company-Id or Mid is not a UUID."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    expiry = _tokens(state).get(token) if scheme == "Bearer" else None
    if expiry is None or expiry <= time.monotonic():
        return _error(401, request.path)
    for header in ("Company-Id", "Mid"):
        value = request.headers.get(header)
        try:
            if value is not None:
                uuid.UUID(value)
        except ValueError:
            return _invalid(request.path, wire.InvalidParameterError(header, "must be a UUID"))
    if request.content_type != "application/json":
        return _invalid(request.path, wire.InvalidParameterError("Content-Type", "must be application/json"))
    return None


def _session_key(session_id: str) -> str:
    return f"{PROVIDER}:{session_id}"


def _plain(body: wire.SessionBody) -> dict[str, Any]:
    plain: dict[str, Any] = msgspec.to_builtins(body)  # UNSET fields are absent
    return plain


def _create(state: SimulatorState, body: wire.SessionBody) -> web.Response:
    session_id = str(uuid.uuid4())
    state.sessions[_session_key(session_id)] = {"session_id": session_id, **_plain(body)}
    return web.json_response({"session_id": session_id}, status=201)


def _update(session: dict[str, Any], body: wire.SessionBody) -> web.Response:
    for name, value in _plain(body).items():  # only the parameters sent change
        if isinstance(value, dict) and isinstance(session.get(name), dict):
            session[name] = {**session[name], **value}
        else:
            session[name] = value
    return web.json_response({"status": "Success"}, status=200)


async def _handle(request: web.Request, operation: str) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    refusal = _refusal(state, request)
    session: dict[str, Any] | None = None
    if refusal is None and operation == "update":
        session = state.sessions.get(_session_key(request.match_info["session_id"]))
        refusal = _error(404, request.path) if session is None else None
    if refusal is not None:
        state.record(PROVIDER, operation, refusal.status)
        return refusal
    stored_currency = (session or {}).get("transaction", {}).get("currency")
    try:
        shape = wire.CreateBody if operation == "create" else wire.UpdateBody
        body: wire.SessionBody = wire.decode(await request.read(), shape)
        checks.validate(body, stored_currency=stored_currency)
    except wire.InvalidParameterError as problem:
        state.record(PROVIDER, operation, 400)
        return _invalid(request.path, problem)
    txn = body.transaction
    currency = txn.currency if isinstance(txn, wire.Transaction) and isinstance(txn.currency, str) else stored_currency
    amount = txn.amount if isinstance(txn, wire.Transaction) else None
    fault = fault_for_amount(checks.minor_units(amount, currency or ""))
    if fault is not None:
        state.record(PROVIDER, operation, fault.status if fault.kind == "status" else 0)
        return await apply_fault(fault, state, request, error_for_status)
    response = _create(state, body) if session is None else _update(session, body)
    state.record(PROVIDER, operation, response.status)
    return response


async def create_session(request: web.Request) -> web.StreamResponse:
    return await _handle(request, "create")


async def update_session(request: web.Request) -> web.StreamResponse:
    return await _handle(request, "update")


def register(app: web.Application, state: SimulatorState) -> None:
    app[STATE_KEY] = state
    app.router.add_post("/v1/login", login)
    app.router.add_post("/v1/payment-sessions", create_session)
    app.router.add_put("/v1/payment-sessions/{session_id}", update_session)
